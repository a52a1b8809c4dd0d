import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { TokenCheckUnavailableError } from './token-errors.js';

/** Where a verifier finds the public key named by a token's `kid`, and the set it holds. */
export type KeySet = JWTVerifyGetKey & { jwks?: () => JSONWebKeySet | undefined };

/** Answers about the token itself (no key for it), as opposed to failures to fetch the set. */
function isTokenFault(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  );
}

/** Longest wait after a failed fetch before the next one is tried (the Retry-After of a 503). */
const RETRY_AFTER_FAILURE_MS = 5_000;

export interface RemoteJwksOptions {
  /** Minimum time between two fetches triggered by an unknown `kid` (ms). */
  cooldownMs?: number;
  /**
   * Longest time keys are trusted after the last successful fetch (ms). The JWKS response's
   * `Cache-Control: max-age` makes the verifier refetch sooner: auth says how long its set may be
   * cached.
   */
  cacheMaxAgeMs?: number;
  timeoutMs?: number;
}

/** Cache lifetime a JWKS response allows, in ms; `undefined` when it names none. */
export function cacheControlMaxAgeMs(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const match = /(^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(,|$)/i.exec(cacheControl);
  return match ? Number(match[2]) * 1000 : undefined;
}

/** However short the server's `max-age` (even `no-store`), a verifier does not refetch more often than this. */
const MIN_CACHE_MS = 1000;

/**
 * The auth app's key set over HTTP (docs/deploy.md "Signing keys and rotation"). jose fetches,
 * caches and selects the key; a token naming a `kid` the cache lacks (a rotation) triggers a
 * refetch at most once per cooldown, so a flood of tokens with random `kid`s cannot turn into a
 * flood of fetches. On top of that, the set is refetched once the response's `max-age` has passed,
 * so a key auth stops publishing is dropped within that time everywhere. If auth does not answer
 * that refetch (a restart), the keys held stay trusted up to `cacheMaxAgeMs` after the last
 * successful fetch (stale-while-error), and the refetch is retried once per cooldown. Past that, or
 * with no set at all, an outage is a TokenCheckUnavailableError (503 with Retry-After, not 401:
 * docs/security.md), and fetches are retried at most every few seconds, not once per request.
 */
export function remoteKeySet(jwksUrl: string, options: RemoteJwksOptions = {}): KeySet {
  const ceilingMs = options.cacheMaxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  /** When the held set has outlived the max-age of the response it came from. */
  let refreshAt = -Infinity;
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: ceilingMs,
    timeoutDuration: options.timeoutMs ?? 5_000,
    [customFetch]: async (url: string, init: RequestInit) => {
      const response = await fetch(url, init);
      if (response.status === 200) {
        const allowed = cacheControlMaxAgeMs(response.headers.get('cache-control'));
        refreshAt = Date.now() + (allowed === undefined ? ceilingMs : Math.max(MIN_CACHE_MS, allowed));
      }
      return response;
    },
  });
  const retryMs = Math.min(cooldownMs, RETRY_AFTER_FAILURE_MS);
  /** After a failed fetch, when the next one may be tried. */
  let retryAt = -Infinity;
  const unavailable = () =>
    new TokenCheckUnavailableError(
      "auth's signing keys cannot be fetched",
      Math.max(1, Math.ceil((retryAt - Date.now()) / 1000)),
    );
  const keySet: KeySet = async (header, token) => {
    if (remote.fresh && Date.now() >= refreshAt) {
      refreshAt = Date.now() + cooldownMs;
      await remote.reload().catch(() => undefined);
    }
    // jose refetches by itself when it holds no set or its own lifetime (the ceiling) has passed.
    if (!remote.fresh && Date.now() < retryAt) throw unavailable();
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenFault(error)) throw error;
      retryAt = Date.now() + retryMs;
      throw unavailable();
    }
  };
  keySet.jwks = () => remote.jwks();
  return keySet;
}

/** Keys known in-process (the auth app itself, standalone): no HTTP. */
export function localKeySet(jwks: JSONWebKeySet): KeySet {
  return createLocalJWKSet(jwks);
}
