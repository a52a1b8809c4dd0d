import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { ADMIN_SETTABLE_STATUSES, MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../orders.js';
import type { AdminSettableStatus, NewOrder, OrderLine, OrderStatusRequest } from '../orders.js';

export class OrderLineDto implements OrderLine {
  @IsUUID('all')
  productId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class NewOrderDto implements NewOrder {
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];
}

export class OrderStatusDto implements OrderStatusRequest {
  @IsIn(ADMIN_SETTABLE_STATUSES)
  status!: AdminSettableStatus;
}
