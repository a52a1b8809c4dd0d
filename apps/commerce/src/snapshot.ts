import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '@tandem/contracts';
import { streamHead } from '@tandem/messaging';
import { Problems } from '@tandem/platform';

/**
 * The stream head as a scalar subquery, for reads that fit in one statement (one snapshot): the
 * newest offset the relay has assigned (rows not yet taken by the relay have none, and max skips them).
 */
export const STREAM_HEAD_SQL = `(SELECT coalesce(max("offset"), 0) FROM outbox)`;

export interface Snapshot<T> {
  value: T;
  /** The newest stream offset reflected in `value` (docs/contract.md, "Events": `X-Stream-Offset`). */
  offset: number;
}

/**
 * Runs `read` and reads the stream head in one REPEATABLE READ snapshot: every event up to `offset`
 * is reflected in the data, so `subscribe { since: offset }` joins without a gap. An event after
 * `offset` may be reflected already (the relay had not numbered it yet); it carries its entity's
 * `version` and the client drops it (docs/contract.md, "Events"; the argument: docs/events.md,
 * "Offsets and `X-Stream-Offset`"). Taking the head in another snapshot breaks the join:
 * test/commerce/join.e2e-spec.ts finds the gaps.
 */
export async function readSnapshot<T>(
  dataSource: DataSource,
  read: (manager: EntityManager) => Promise<T>,
): Promise<Snapshot<T>> {
  return dataSource.transaction('REPEATABLE READ', async (manager) => {
    await manager.query('SET TRANSACTION READ ONLY');
    const value = await read(manager);
    return { value, offset: await streamHead(manager) };
  });
}

/** Opaque keyset cursor: base64url of `[createdAt, id]`. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/**
 * The `[createdAt, id]` of a cursor this API issued, or a 400 problem. A cursor is accepted only if
 * re-encoding what it decodes to gives it back exactly (docs/security.md, "Orders, stock and
 * input"): that refuses every crafted variant at once (`["1", id]`, `["2020-02-30…", id]` that a
 * lenient date parser rolls over, numbers, extra elements, padding or stray characters that a
 * lenient base64 decoder skips) before any of it reaches the database.
 */
export function decodeCursor(cursor: string | undefined): { createdAt: string; id: string } | null {
  if (cursor === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && isUuid(parsed[1])) {
      const createdAt = new Date(parsed[0]);
      if (!Number.isNaN(createdAt.getTime()) && encodeCursor(createdAt, parsed[1]) === cursor) {
        return { createdAt: parsed[0], id: parsed[1] };
      }
    }
  } catch {
    // fall through to the 400 below
  }
  throw Problems.badRequest('The cursor is not valid', [
    { field: 'cursor', message: 'is not a cursor this API issued' },
  ]);
}

/** 404 for ids that are not UUIDs, without asking the database. */
export function assertUuid(id: string, what: string): void {
  if (!isUuid(id)) throw Problems.notFound(`${what} not found`);
}
