import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AnyEventMap, AnyEventType, Channel } from '@tandem/contracts';

export const OUTBOX_NOTIFY_CHANNEL = 'tandem_outbox';
/** Serialises outbox writers so offsets are handed out in commit order (see append). */
const OUTBOX_WRITE_LOCK = 7_466_001;

export interface NewEvent<T extends AnyEventType = AnyEventType> {
  type: T;
  channels: Channel[];
  data: AnyEventMap[T];
}

/**
 * Appends events inside the caller's transaction. Call it last, just before commit: it takes a
 * transaction-scoped lock so that offsets are allocated in commit order. Without it, a transaction
 * holding offset 10 could commit after one holding 11, and a client that read a snapshot at 11
 * and subscribed with `since: 11` would never see 10 (docs/events.md, "Offsets and `X-Stream-Offset`").
 */
export async function appendToOutbox(manager: EntityManager, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('appendToOutbox must run inside the transaction of the change it describes');
  }
  await manager.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_WRITE_LOCK]);
  const values: unknown[] = [];
  const rows = events.map((event, i) => {
    values.push(randomUUID(), event.type, event.channels, JSON.stringify(event.data));
    const n = i * 4;
    return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::jsonb)`;
  });
  await manager.query(`INSERT INTO outbox (id, type, channels, data) VALUES ${rows.join(', ')}`, values);
  // Delivered to LISTENers only on commit: wakes the relay without polling.
  await manager.query(`SELECT pg_notify($1, '')`, [OUTBOX_NOTIFY_CHANNEL]);
}

/** The newest offset visible to `manager`'s snapshot (0 before any event). */
export async function streamHead(manager: EntityManager): Promise<number> {
  const [row] = await manager.query(`SELECT coalesce(max("offset"), 0)::text AS head FROM outbox`);
  return Number(row.head);
}
