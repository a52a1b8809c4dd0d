import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AnyEventMap, AnyEventType, Channel } from '@tandem/contracts';

export const OUTBOX_NOTIFY_CHANNEL = 'tandem_outbox';

export interface NewEvent<T extends AnyEventType = AnyEventType> {
  type: T;
  channels: Channel[];
  data: AnyEventMap[T];
}

/**
 * Appends events inside the caller's transaction. The rows get no stream offset here, only an
 * insertion sequence: the relay assigns offsets to committed rows in the order it observes them
 * (docs/events.md, "Offsets and `X-Stream-Offset`"). So writers take no lock and commit in
 * parallel, and an offset can never be handed out to a transaction that commits after a larger one.
 */
export async function appendToOutbox(manager: EntityManager, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('appendToOutbox must run inside the transaction of the change it describes');
  }
  const values: unknown[] = [];
  const rows = events.map((event, i) => {
    values.push(randomUUID(), event.type, event.channels, JSON.stringify(event.data));
    const n = i * 4;
    return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::jsonb)`;
  });
  values.push(OUTBOX_NOTIFY_CHANNEL);
  // One round trip: a data-modifying WITH runs whether or not it is read. The notification is
  // delivered to LISTENers only on commit: it wakes the relay without polling.
  await manager.query(
    `WITH inserted AS (INSERT INTO outbox (id, type, channels, data) VALUES ${rows.join(', ')})
     SELECT pg_notify($${values.length}, '')`,
    values,
  );
}

/**
 * The newest offset assigned in `manager`'s snapshot (0 before any event). Read it in the same
 * snapshot as the data it describes: every event up to it is then reflected in that data
 * (docs/events.md, "Offsets and `X-Stream-Offset`").
 */
export async function streamHead(manager: EntityManager): Promise<number> {
  const [row] = await manager.query(`SELECT coalesce(max("offset"), 0)::text AS head FROM outbox`);
  return Number(row.head);
}
