import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import type { Page } from '../catalog.js';
import {
  ADMIN_SETTABLE_STATUSES,
  CANCEL_REASONS,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  ORDER_STATUSES,
} from '../orders.js';
import type {
  AdminSettableStatus,
  CancelReason,
  NewOrder,
  Order,
  OrderItem,
  OrderLine,
  OrderStatus,
  OrderStatusRequest,
} from '../orders.js';
import { MoneyDto } from './catalog.dto.js';

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

/** An order line as answered (docs/contract.md, "Orders"): documents the response in OpenAPI. */
export class OrderItemDto implements OrderItem {
  @ApiProperty({ format: 'uuid' })
  productId!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY })
  quantity!: number;

  @ApiProperty({ type: () => MoneyDto })
  unitPrice!: MoneyDto;
}

/** An order as answered and as carried by order events (docs/contract.md, "Orders"). */
export class OrderDto implements Order {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: ORDER_STATUSES })
  status!: OrderStatus;

  @ApiProperty({ enum: CANCEL_REASONS, required: false, description: 'Present when the order is cancelled' })
  cancelReason?: CancelReason;

  @ApiProperty({ type: () => [OrderItemDto] })
  items!: OrderItemDto[];

  @ApiProperty({ type: () => MoneyDto })
  total!: MoneyDto;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Starts at 1 and grows by one on every change' })
  version!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class OrderPageDto implements Page<Order> {
  @ApiProperty({ type: () => [OrderDto] })
  items!: OrderDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Opaque; pass it back as `cursor` for the next page' })
  nextCursor!: string | null;
}
