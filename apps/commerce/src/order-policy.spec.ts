import { randomUUID } from 'node:crypto';
import type { Order } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { cancelReasonFor, expirySweepIntervalMs, isExpired, pendingOrdersLockKey } from './order-policy.js';

const principal = (id: string, roles: Principal['roles'] = ['customer']): Principal => ({
  id,
  sid: randomUUID(),
  roles,
  exp: 0,
});

describe('order policy', () => {
  it('names the customer when the owner cancels and the admin otherwise', () => {
    const order = { userId: 'u1' } as Order;
    expect(cancelReasonFor(principal('u1'), order)).toBe('customer');
    expect(cancelReasonFor(principal('u1', ['customer', 'admin']), order)).toBe('customer');
    expect(cancelReasonFor(principal('a1', ['admin']), order)).toBe('admin');
  });

  it('expires an order once its TTL has passed, not a millisecond before', () => {
    const order = { createdAt: '2026-12-01T10:00:00.000Z' };
    const placed = Date.parse(order.createdAt);
    expect(isExpired(order, 900, placed + 899_999)).toBe(false);
    expect(isExpired(order, 900, placed + 900_000)).toBe(true);
  });

  it('sweeps for expired orders every tenth of the TTL, between 1 s and 1 min', () => {
    expect(expirySweepIntervalMs(900)).toBe(60_000);
    expect(expirySweepIntervalMs(120)).toBe(12_000);
    expect(expirySweepIntervalMs(1)).toBe(1_000);
  });

  it('locks one customer at a time: a stable 64-bit key per user, different between users', () => {
    const key = pendingOrdersLockKey('u1');
    expect(key).toBe(pendingOrdersLockKey('u1'));
    expect(key).not.toBe(pendingOrdersLockKey('u2'));
    expect(BigInt(key)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(key)).toBeLessThan(2n ** 63n);
  });
});
