import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { canTransition, channels } from '@tandem/contracts';
import type { CancelReason, Order, OrderStatus, Page } from '@tandem/contracts';
import type { NewOrderDto, PageQueryDto } from '@tandem/contracts/server';
import { appendToOutbox } from '@tandem/messaging';
import type { NewEvent } from '@tandem/messaging';
import { Problems } from '@tandem/platform';
import { isAdmin } from '@tandem/security';
import type { Principal } from '@tandem/security';
import { inventoryEvent } from './catalog.service.js';
import { fingerprint, once } from './idempotency.js';
import type { StoredResponse } from './idempotency.js';
import { loadOrders } from './order.model.js';
import { cancelReasonFor, isExpired, ORDER_POLICY, pendingOrdersLockKey } from './order-policy.js';
import type { OrderPolicy } from './order-policy.js';
import { assertUuid, decodeCursor, encodeCursor, readSnapshot } from './snapshot.js';
import type { Snapshot } from './snapshot.js';

const DEFAULT_PAGE = 20;

interface Reserved {
  id: string;
  stock: number;
  version: number;
  price_amount: string;
  price_currency: string;
}

function orderChannels(order: Order) {
  return [channels.user(order.userId), channels.order(order.id)];
}

/**
 * Moves a locked order (`SELECT … FOR UPDATE`, so its status is current) to `to` in the caller's
 * transaction: bumps its version, returns the stock of a cancelled order and writes the events
 * (docs/contract.md, "Orders"). The one path for customers, admins and the expiry sweep.
 */
export async function applyTransition(
  manager: EntityManager,
  order: Order,
  to: OrderStatus,
  cancelReason?: CancelReason,
): Promise<Order> {
  if (!canTransition(order.status, to)) {
    throw Problems.conflict('invalid-transition', `An order that is ${order.status} cannot become ${to}`);
  }
  await manager.query(
    `UPDATE orders SET status = $2, cancel_reason = $3, version = version + 1, updated_at = clock_timestamp()
      WHERE id = $1`,
    [order.id, to, to === 'cancelled' ? cancelReason : null],
  );
  const events: NewEvent[] = [];
  if (to === 'cancelled') {
    const returned = new Map<string, number>();
    for (const item of order.items) returned.set(item.productId, (returned.get(item.productId) ?? 0) + item.quantity);
    for (const productId of [...returned.keys()].sort()) {
      const quantity = returned.get(productId)!;
      const [[row]] = await manager.query(
        `UPDATE products SET stock = stock + $2, version = version + 1, updated_at = clock_timestamp()
          WHERE id = $1 RETURNING stock, version`,
        [productId, quantity],
      );
      events.push(inventoryEvent(productId, row.stock, quantity, row.version));
    }
  }
  const updated = (await loadOrders(manager, 'id = $1', [order.id]))[0]!.order;
  events.unshift({
    type: 'order.status_changed',
    channels: orderChannels(updated),
    data: { orderId: order.id, from: order.status, to, order: updated },
  });
  await appendToOutbox(manager, events);
  return updated;
}

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ORDER_POLICY) private readonly policy: OrderPolicy,
  ) {}

  /**
   * Places an order and reserves its stock in one transaction. Each product's stock is taken with
   * a conditional UPDATE (`stock >= quantity`), in product-id order so concurrent orders cannot
   * deadlock; no read-then-write, so no oversell under any concurrency.
   */
  place(
    principal: Principal,
    dto: NewOrderDto,
    idempotencyKey: string,
  ): Promise<StoredResponse<Order> & { replayed: boolean }> {
    const request = fingerprint({ method: 'POST', path: '/api/v1/orders', body: dto });
    return this.dataSource.transaction((manager) =>
      once(manager, principal.id, idempotencyKey, request, async () => ({
        status: 201,
        body: await this.reserveAndCreate(manager, principal.id, dto),
      })),
    );
  }

  private async reserveAndCreate(manager: EntityManager, userId: string, dto: NewOrderDto): Promise<Order> {
    await this.assertPendingBudget(manager, userId);
    const wanted = new Map<string, number>();
    for (const line of dto.items) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    const reserved = new Map<string, Reserved>();
    for (const productId of [...wanted.keys()].sort()) {
      const quantity = wanted.get(productId)!;
      const [row]: Reserved[] = await manager
        .query(
          `UPDATE products SET stock = stock - $2, version = version + 1, updated_at = clock_timestamp()
            WHERE id = $1 AND stock >= $2 RETURNING id, stock, version, price_amount, price_currency`,
          [productId, quantity],
        )
        .then(([rows]: [Reserved[]]) => rows);
      if (!row) {
        const [exists] = await manager.query('SELECT stock FROM products WHERE id = $1', [productId]);
        if (!exists) throw Problems.unprocessable('unknown-product', `Product ${productId} does not exist`);
        throw Problems.conflict(
          'insufficient-stock',
          `Only ${exists.stock} of product ${productId} left, ${quantity} requested`,
        );
      }
      reserved.set(productId, row);
    }
    const currencies = new Set([...reserved.values()].map((row) => row.price_currency));
    if (currencies.size > 1)
      throw Problems.unprocessable('mixed-currencies', 'All products of an order must share one currency');
    const currency = [...currencies][0]!;
    const total = dto.items.reduce(
      (sum, line) => sum + Number(reserved.get(line.productId)!.price_amount) * line.quantity,
      0,
    );

    const [{ id }] = await manager.query(
      `INSERT INTO orders (user_id, status, total_amount, currency) VALUES ($1, 'pending', $2, $3) RETURNING id`,
      [userId, total, currency],
    );
    const values: unknown[] = [];
    const tuples = dto.items.map((line, i) => {
      const price = reserved.get(line.productId)!;
      values.push(id, i + 1, line.productId, line.quantity, price.price_amount, price.price_currency);
      const n = i * 6;
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`;
    });
    await manager.query(
      `INSERT INTO order_items (order_id, line, product_id, quantity, unit_amount, currency) VALUES ${tuples.join(', ')}`,
      values,
    );
    const order = (await loadOrders(manager, 'id = $1', [id]))[0]!.order;
    await appendToOutbox(manager, [
      { type: 'order.created', channels: orderChannels(order), data: order },
      ...[...reserved.values()].map((row) => inventoryEvent(row.id, row.stock, -wanted.get(row.id)!, row.version)),
    ]);
    return order;
  }

  /**
   * MAX_PENDING_ORDERS_PER_USER (docs/contract.md, "Orders"): one customer's placements are
   * serialized by a transaction-scoped advisory lock, so parallel posts count each other's orders
   * (READ COMMITTED: the count after the lock sees every committed placement) and none slips past.
   */
  private async assertPendingBudget(manager: EntityManager, userId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [pendingOrdersLockKey(userId)]);
    const [{ pending }] = await manager.query(
      `SELECT count(*)::int AS pending FROM orders WHERE user_id = $1 AND status = 'pending'`,
      [userId],
    );
    if (pending >= this.policy.maxPendingPerUser) {
      throw Problems.conflict(
        'pending-orders-limit',
        `You already hold ${pending} unpaid orders; pay or cancel one first (at most ${this.policy.maxPendingPerUser})`,
      );
    }
  }

  list(principal: Principal, query: PageQueryDto): Promise<Snapshot<Page<Order>>> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const before = decodeCursor(query.cursor);
    return readSnapshot(this.dataSource, async (manager) => {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (!isAdmin(principal)) {
        params.push(principal.id);
        conditions.push(`user_id = $${params.length}`);
      }
      if (before) {
        params.push(before.createdAt, before.id);
        conditions.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      params.push(limit + 1);
      const rows = await loadOrders(
        manager,
        conditions.length ? conditions.join(' AND ') : 'true',
        params,
        `ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((row) => row.order),
        nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.order.id) : null,
      };
    });
  }

  get(principal: Principal, id: string): Promise<Snapshot<Order>> {
    return readSnapshot(this.dataSource, (manager) => this.visible(manager, principal, id, false));
  }

  /**
   * Simulated payment: only the owner pays, and only within PENDING_ORDER_TTL_SECONDS. An order past
   * it is expired here, as the sweep would (committed), and the payment is a 409: no payment lands
   * in the moments before the next sweep (docs/contract.md, "Orders").
   */
  async pay(principal: Principal, id: string): Promise<Order> {
    const paid = await this.dataSource.transaction(async (manager) => {
      const order = await this.visible(manager, principal, id, true);
      if (order.userId !== principal.id) throw Problems.forbidden('Only the customer who placed the order can pay it');
      if (order.status === 'pending' && isExpired(order, this.policy.pendingTtlSeconds, Date.now())) {
        await applyTransition(manager, order, 'cancelled', 'expired');
        return null;
      }
      return applyTransition(manager, order, 'paid');
    });
    if (!paid) throw Problems.conflict('invalid-transition', 'The order was not paid in time and has been cancelled');
    return paid;
  }

  /** Owner or admin; stock goes back to the shelf. */
  cancel(principal: Principal, id: string): Promise<Order> {
    return this.transition(principal, id, 'cancelled');
  }

  /** Admin fulfilment: `shipped`, then `delivered`. */
  setStatus(principal: Principal, id: string, status: 'shipped' | 'delivered'): Promise<Order> {
    return this.transition(principal, id, status);
  }

  private transition(principal: Principal, id: string, to: 'cancelled' | 'shipped' | 'delivered'): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.visible(manager, principal, id, true);
      return applyTransition(manager, order, to, to === 'cancelled' ? cancelReasonFor(principal, order) : undefined);
    });
  }

  /** The order if the principal may see it; another customer's order is a 404, never a 403. */
  private async visible(manager: EntityManager, principal: Principal, id: string, lock: boolean): Promise<Order> {
    assertUuid(id, 'Order');
    const [found] = await loadOrders(manager, 'id = $1', [id], lock ? 'FOR UPDATE' : '');
    if (!found || (found.order.userId !== principal.id && !isAdmin(principal)))
      throw Problems.notFound('Order not found');
    return found.order;
  }
}
