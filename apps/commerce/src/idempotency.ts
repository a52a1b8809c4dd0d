import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { EntityManager } from 'typeorm';
import { Problems } from '@tandem/platform';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse<T> {
  status: number;
  body: T;
}

/** Validates the Idempotency-Key header (required, 1-255 visible ASCII characters). */
export function requireIdempotencyKey(key: string | undefined): string {
  if (key === undefined || key === '') {
    throw Problems.badRequest('The Idempotency-Key header is required', [
      { field: 'Idempotency-Key', message: 'header is required' },
    ]);
  }
  if (!KEY_PATTERN.test(key)) {
    throw Problems.badRequest('The Idempotency-Key header is not valid', [
      { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
    ]);
  }
  return key;
}

/**
 * SHA-256 of the request's RFC 8785 canonical JSON (sorted keys, one number format): the same body
 * in any key order or spacing is the same request.
 */
export function fingerprint(value: unknown): Buffer {
  return createHash('sha256')
    .update(canonicalize(value) ?? '')
    .digest();
}

function lockKey(userId: string, key: string): string {
  return createHash('sha256').update(`${userId}\n${key}`).digest().readBigInt64BE().toString();
}

/**
 * Runs `work` at most once per (user, key), inside the caller's transaction:
 * - the first request takes a transaction-scoped advisory lock on the key; a concurrent request
 *   with the same key finds it taken → 409 (in flight);
 * - a stored answer with the same fingerprint is replayed; another body with the key → 422;
 * - the answer is stored in the same transaction as the work, so both commit or neither does
 *   (a failed attempt stores nothing and may be retried with the same key).
 */
export async function once<T>(
  manager: EntityManager,
  userId: string,
  key: string,
  request: Buffer,
  work: () => Promise<StoredResponse<T>>,
): Promise<StoredResponse<T> & { replayed: boolean }> {
  const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [
    lockKey(userId, key),
  ]);
  if (!locked)
    throw Problems.conflict('idempotency-in-flight', 'A request with this Idempotency-Key is still being processed');
  const [stored] = await manager.query(
    'SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    [userId, key],
  );
  if (stored) {
    if (!Buffer.from(stored.fingerprint).equals(request)) {
      throw Problems.unprocessable('idempotency-key-reused', 'This Idempotency-Key was used with a different request');
    }
    return { status: stored.response_status, body: stored.response_body as T, replayed: true };
  }
  const response = await work();
  await manager.query(
    'INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body) VALUES ($1, $2, $3, $4, $5)',
    [userId, key, request, response.status, JSON.stringify(response.body)],
  );
  return { ...response, replayed: false };
}
