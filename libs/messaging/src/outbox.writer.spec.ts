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
        { type: 'inventory.changed', channels: ['catalog'], data: { productId: 'p', stock: 1, delta: -1, version: 2 } },
      ]),
    ).rejects.toThrow(/inside the transaction/);
    expect(queries).toEqual([]);
  });

  it('does nothing for no events', async () => {
    const { manager, queries } = fakeManager(true);
    await appendToOutbox(manager, []);
    expect(queries).toEqual([]);
  });

  it('inserts every event with a fresh id and no offset and notifies, in one parameterized statement; no lock', async () => {
    const { manager, queries } = fakeManager(true);
    await appendToOutbox(manager, [
      {
        type: 'inventory.changed',
        channels: ['product:p1', 'catalog'],
        data: { productId: 'p1', stock: 4, delta: -1, version: 2 },
      },
      { type: 'session.revoked', channels: ['user:u1'], data: { userId: 'u1', sid: 's1' } },
    ]);
    expect(queries).toHaveLength(1);
    const insert = queries[0]!;
    expect(insert.sql).not.toMatch(/lock/i);
    expect(insert.sql).toContain('INSERT INTO outbox (id, type, channels, data) VALUES');
    expect(insert.sql).not.toContain('offset');
    expect(insert.sql).toContain('($1, $2, $3, $4::jsonb), ($5, $6, $7, $8::jsonb)');
    expect(insert.sql).toContain(`SELECT pg_notify($9, '')`);
    const [id1, type1, channels1, data1, id2] = insert.params as unknown[];
    expect(id1).toMatch(/^[0-9a-f-]{36}$/);
    expect(id2).not.toBe(id1);
    expect(type1).toBe('inventory.changed');
    expect(channels1).toEqual(['product:p1', 'catalog']);
    expect(JSON.parse(data1 as string)).toEqual({ productId: 'p1', stock: 4, delta: -1, version: 2 });
    expect(insert.params![8]).toBe(OUTBOX_NOTIFY_CHANNEL);
  });
});
