import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { STREAM_OFFSET_HEADER } from '@tandem/contracts';
import { NewOrderDto, OrderDto, OrderPageDto, OrderStatusDto, PageQueryDto } from '@tandem/contracts/server';
import type { Order, Page } from '@tandem/contracts';
import { Authenticated, CurrentPrincipal } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { CallerRateLimitGuard } from './caller-rate-limit.guard.js';
import { requireIdempotencyKey } from './idempotency.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller('api/v1/orders')
@UseGuards(CallerRateLimitGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @ApiCreatedResponse({ type: OrderDto })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Same key and body replays the first answer' })
  @Authenticated('customer')
  async place(
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') key: string | undefined,
    @Body() dto: NewOrderDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Order> {
    const result = await this.orders.place(principal, dto, requireIdempotencyKey(key));
    res.status(result.status);
    res.setHeader('Location', `/api/v1/orders/${result.body.id}`);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return result.body;
  }

  @Get()
  @ApiOkResponse({ type: OrderPageDto })
  @Authenticated()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Page<Order>> {
    const { value, offset } = await this.orders.list(principal, query);
    res.setHeader(STREAM_OFFSET_HEADER, String(offset));
    return value;
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderDto })
  @Authenticated()
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Order> {
    const { value, offset } = await this.orders.get(principal, id);
    res.setHeader(STREAM_OFFSET_HEADER, String(offset));
    return value;
  }

  @Post(':id/pay')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderDto })
  @Authenticated()
  pay(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Order> {
    return this.orders.pay(principal, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderDto })
  @Authenticated()
  cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Order> {
    return this.orders.cancel(principal, id);
  }

  @Patch(':id/status')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderDto })
  @Authenticated('admin')
  setStatus(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: OrderStatusDto,
  ): Promise<Order> {
    return this.orders.setStatus(principal, id, dto.status);
  }
}
