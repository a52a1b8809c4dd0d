import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadOrders } from './order.model.js';
import { expirySweepIntervalMs, ORDER_POLICY } from './order-policy.js';
import type { OrderPolicy } from './order-policy.js';
import { applyTransition } from './orders.service.js';

/** Most orders one sweep cancels; the next sweep continues. */
const SWEEP_LIMIT = 500;

/**
 * Cancels `pending` orders older than PENDING_ORDER_TTL_SECONDS with `cancelReason: expired`,
 * returning their stock and emitting the events of any cancel (docs/contract.md, "Orders").
 *
 * Each expired order is cancelled in its own short transaction that takes it with
 * `FOR UPDATE SKIP LOCKED`: several commerce replicas sweep at once without waiting on each other
 * and never cancel one order twice (the row is re-read under its lock, so an order the customer
 * paid or cancelled meanwhile is no longer selected). One order per transaction also keeps the
 * product locks in the same id order as placing an order, so sweeps cannot deadlock with it.
 */
@Injectable()
export class OrderExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderExpiry.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ORDER_POLICY) private readonly policy: OrderPolicy,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: Error) => {
          this.logger.warn(`order expiry sweep failed: ${error.message}`);
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, expirySweepIntervalMs(this.policy.pendingTtlSeconds));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Cancels every order expired now (up to SWEEP_LIMIT); returns how many this replica cancelled. */
  async sweep(): Promise<number> {
    let cancelled = 0;
    while (cancelled < SWEEP_LIMIT && (await this.expireOne())) cancelled += 1;
    return cancelled;
  }

  private expireOne(): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [order] = await loadOrders(
        manager,
        `status = 'pending' AND created_at < clock_timestamp() - make_interval(secs => $1)`,
        [this.policy.pendingTtlSeconds],
        'ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED',
      );
      if (!order) return false;
      await applyTransition(manager, order.order, 'cancelled', 'expired');
      return true;
    });
  }
}
