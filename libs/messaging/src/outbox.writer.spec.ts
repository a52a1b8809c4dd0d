import type { EntityManager } from 'typeorm';
import { appendToOutbox, OUTBOX_NOTIFY_CHANNEL } from './outbox.writer.js';

function fakeManager(inTransaction: boolean) {
  const queries: { sql: string; params?: unknown[] }[] = [];
  const manager = {
    queryRunner: { isTransactionActive: inTransaction },
    query: async (sql: string, params?: unknown[]) => {
      queries.push({ sql, params });
      return [];
    },
  } as unknown as EntityManager;
  return { manager, queries };
}

describe('appendToOutbox', () => {
  it('refuses to write outside the transaction of the change it describes', async () => {
    const { manager, queries } = fakeManager(false);
    await expect(
      appendToOutbox(manager, [
        { type: 'inventory.changed', channels: ['catalog'], data: { productId: 'p', stock: 1, delta: -1 } },
      ]),
    ).rejects.toThrow(/inside the transaction/);
    expect(queries).toEqual([]);
  });

  it('does nothing for no events', async () => {
    const { manager, queries } = fakeManager(true);
    await appendToOutbox(manager, []);
    expect(queries).toEqual([]);
  });

  it('inserts every event in one parameterized statement with a fresh id and no offset, then notifies; no lock', async () => {
    const { manager, queries } = fakeManager(true);
    await appendToOutbox(manager, [
      {
        type: 'inventory.changed',
        channels: ['product:p1', 'catalog'],
        data: { productId: 'p1', stock: 4, delta: -1 },
      },
      { type: 'session.revoked', channels: ['user:u1'], data: { userId: 'u1', sid: 's1' } },
    ]);
    expect(queries.map((query) => query.sql.split(' ').slice(0, 2).join(' '))).toEqual([
      'INSERT INTO',
      'SELECT pg_notify($1,',
    ]);
    expect(queries.some((query) => /lock/i.test(query.sql))).toBe(false);
    const insert = queries[0]!;
    expect(insert.sql).toContain('INSERT INTO outbox (id, type, channels, data) VALUES');
    expect(insert.sql).not.toContain('offset');
    expect(insert.sql).toContain('($1, $2, $3, $4::jsonb), ($5, $6, $7, $8::jsonb)');
    const [id1, type1, channels1, data1, id2] = insert.params as unknown[];
    expect(id1).toMatch(/^[0-9a-f-]{36}$/);
    expect(id2).not.toBe(id1);
    expect(type1).toBe('inventory.changed');
    expect(channels1).toEqual(['product:p1', 'catalog']);
    expect(JSON.parse(data1 as string)).toEqual({ productId: 'p1', stock: 4, delta: -1 });
    expect(queries[1]!.params).toEqual([OUTBOX_NOTIFY_CHANNEL]);
  });
});
