import { createHash } from 'node:crypto';
import type { CancelReason, Order } from '@tandem/contracts';
import type { Principal } from '@tandem/security';

/** The anti-hoarding knobs of orders (docs/contract.md, "Orders"; docs/security.md, "Orders, stock and input"). */
export interface OrderPolicy {
  pendingTtlSeconds: number;
  maxPendingPerUser: number;
}

export const ORDER_POLICY = Symbol('ORDER_POLICY');

/** The owner cancelling is the customer; anyone else allowed to (an admin) is the admin. */
export function cancelReasonFor(principal: Principal, order: Order): CancelReason {
  return order.userId === principal.id ? 'customer' : 'admin';
}

/**
 * Whether a pending order has outlived its TTL at `now` (ms). The app's clock against the database's
 * `created_at`: hosts keep time by NTP, and the sweep (on the database's clock) decides the rest.
 */
export function isExpired(order: Pick<Order, 'createdAt'>, pendingTtlSeconds: number, now: number): boolean {
  return Date.parse(order.createdAt) + pendingTtlSeconds * 1000 <= now;
}

/**
 * How often the expiry sweep runs: a tenth of the TTL, between 1 s and 1 min, so an unpaid order
 * outlives its TTL by at most about a tenth of it (or a minute).
 */
export function expirySweepIntervalMs(pendingTtlSeconds: number): number {
  return Math.min(60_000, Math.max(1_000, pendingTtlSeconds * 100));
}

/**
 * The transaction-scoped advisory lock that serializes one customer's order placements, so the
 * pending-orders count cannot be raced by parallel posts. A 64-bit hash of a namespaced id.
 */
export function pendingOrdersLockKey(userId: string): string {
  return createHash('sha256').update(`pending-orders\n${userId}`).digest().readBigInt64BE().toString();
}
