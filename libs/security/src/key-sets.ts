import { createLocalJWKSet, createRemoteJWKSet, customFetch } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';

/** Where a verifier finds the public key named by a token's `kid`. */
export type KeySet = JWTVerifyGetKey;

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
 * successful fetch, and the refetch is retried once per cooldown.
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
  return async (header, token) => {
    // jose refetches by itself when it holds no set or its own lifetime (the ceiling) has passed.
    if (remote.fresh && Date.now() >= refreshAt) {
      refreshAt = Date.now() + cooldownMs;
      await remote.reload().catch(() => undefined);
    }
    return remote(header, token);
  };
}

/** Keys known in-process (the auth app itself, standalone): no HTTP. */
export function localKeySet(jwks: JSONWebKeySet): KeySet {
  return createLocalJWKSet(jwks);
}
