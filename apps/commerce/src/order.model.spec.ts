import type { EntityManager } from 'typeorm';
import { loadOrders } from './order.model.js';

/** A manager that answers the two queries of loadOrders from fixed rows and records what it was asked. */
function fakeManager(orders: unknown[], items: unknown[]) {
  const queries: { sql: string; params: unknown[] }[] = [];
  const manager = {
    query: async (sql: string, params: unknown[]) => {
      queries.push({ sql, params });
      return sql.includes('FROM orders') ? orders : items;
    },
  } as unknown as EntityManager;
  return { manager, queries };
}

const created = new Date('2026-12-01T09:00:00.000Z');
const updated = new Date('2026-12-01T09:05:00.000Z');
const row = (id: string, userId = 'u1') => ({
  id,
  user_id: userId,
  status: 'pending',
  cancel_reason: null,
  version: 1,
  total_amount: '2400',
  currency: 'EUR',
  created_at: created,
  updated_at: updated,
});
const item = (orderId: string, productId: string, quantity: number) => ({
  order_id: orderId,
  product_id: productId,
  quantity,
  unit_amount: '1200',
  currency: 'EUR',
});

describe('loadOrders', () => {
  it('builds orders with their lines in two queries, keeping the order of the rows', async () => {
    const { manager, queries } = fakeManager(
      [row('o2'), row('o1', 'u2')],
      [item('o1', 'p1', 1), item('o2', 'p2', 2), item('o1', 'p3', 1)],
    );
    const loaded = await loadOrders(manager, 'user_id = $1', ['u1'], 'ORDER BY created_at DESC');
    expect(queries).toHaveLength(2);
    expect(queries[0]!.sql).toContain('WHERE user_id = $1 ORDER BY created_at DESC');
    expect(queries[1]!.params).toEqual([['o2', 'o1']]);
    expect(loaded.map((entry) => entry.order.id)).toEqual(['o2', 'o1']);
    expect(loaded[1]!.order).toEqual({
      id: 'o1',
      userId: 'u2',
      status: 'pending',
      items: [
        { productId: 'p1', quantity: 1, unitPrice: { amount: 1200, currency: 'EUR' } },
        { productId: 'p3', quantity: 1, unitPrice: { amount: 1200, currency: 'EUR' } },
      ],
      total: { amount: 2400, currency: 'EUR' },
      version: 1,
      createdAt: '2026-12-01T09:00:00.000Z',
      updatedAt: '2026-12-01T09:05:00.000Z',
    });
    expect(loaded[1]!.createdAt).toBe(created);
  });

  it('carries the cancel reason of a cancelled order, and no such field otherwise', async () => {
    const { manager } = fakeManager(
      [{ ...row('o1'), status: 'cancelled', cancel_reason: 'expired', version: 2 }, row('o2')],
      [],
    );
    const [cancelled, pending] = await loadOrders(manager, 'true', []);
    expect(cancelled!.order).toEqual(
      expect.objectContaining({ status: 'cancelled', cancelReason: 'expired', version: 2 }),
    );
    expect(pending!.order).not.toHaveProperty('cancelReason');
  });

  it('asks once when nothing matches', async () => {
    const { manager, queries } = fakeManager([], []);
    expect(await loadOrders(manager, 'id = $1', ['x'])).toEqual([]);
    expect(queries).toHaveLength(1);
  });
});
