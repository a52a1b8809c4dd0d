import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { REDIS } from '@tandem/platform';
import { TokenCheckUnavailableError } from './token-errors.js';

/**
 * How long a "not revoked" answer from Redis is reused in-process. docs/contract.md "Auth": a
 * revoked session's access tokens are refused everywhere within 1 s; this bound plus one Redis
 * write keeps every verifier well inside it, while a burst of one user's calls costs one round trip.
 */
export const NOT_REVOKED_CACHE_MS = 500;
/** Sessions remembered per process (revoked ones and recent "not revoked" answers alike). */
const LOCAL_ENTRIES = 50_000;

/**
 * The denylist of revoked sessions (docs/security.md, "Authentication, tokens and revocation"):
 * auth adds a session (`sid`, the refresh-token family) on logout and on refresh-token reuse; the
 * REST guard, the socket handshake, the `auth` swap and SSE refuse access tokens of a listed
 * session although they have not expired. An entry only has to outlive the access tokens of its
 * session, so it is kept for the access-token lifetime. A session is never un-revoked, so a "revoked"
 * answer is cached for good.
 */
export abstract class SessionRevocations {
  /** Lists `sid` for `ttlSeconds` (the access-token lifetime). Idempotent. */
  abstract revoke(sid: string, ttlSeconds: number): Promise<void>;
  /** Throws TokenCheckUnavailableError when the list cannot be read. */
  abstract isRevoked(sid: string): Promise<boolean>;
}

/** One process (standalone, single-replica tests): a bounded in-memory list with expiry. */
export class MemorySessionRevocations extends SessionRevocations {
  private readonly revoked = new LRUCache<string, true>({ max: LOCAL_ENTRIES, ttl: 1, ttlAutopurge: false });

  async revoke(sid: string, ttlSeconds: number): Promise<void> {
    this.revoked.set(sid, true, { ttl: ttlSeconds * 1000 });
  }

  async isRevoked(sid: string): Promise<boolean> {
    return this.revoked.has(sid);
  }
}

/**
 * Shared by every replica of every app (each deployment gives auth, commerce and realtime the same
 * Redis): one key per revoked session with a TTL, read with one EXISTS per check at most.
 */
export class RedisSessionRevocations extends SessionRevocations {
  private readonly revoked = new LRUCache<string, true>({ max: LOCAL_ENTRIES });
  private readonly notRevoked = new LRUCache<string, true>({ max: LOCAL_ENTRIES, ttl: NOT_REVOKED_CACHE_MS });
  /** Concurrent checks of one session share one round trip. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'tandem:revoked-session:',
  ) {
    super();
  }

  async revoke(sid: string, ttlSeconds: number): Promise<void> {
    this.revoked.set(sid, true);
    this.notRevoked.delete(sid);
    await this.redis.set(this.prefix + sid, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  isRevoked(sid: string): Promise<boolean> {
    if (this.revoked.has(sid)) return Promise.resolve(true);
    if (this.notRevoked.has(sid)) return Promise.resolve(false);
    let pending = this.inFlight.get(sid);
    if (!pending) {
      pending = this.lookup(sid).finally(() => this.inFlight.delete(sid));
      this.inFlight.set(sid, pending);
    }
    return pending;
  }

  private async lookup(sid: string): Promise<boolean> {
    let listed: number;
    try {
      listed = await this.redis.exists(this.prefix + sid);
    } catch {
      // Fail closed but retryable: a token whose session cannot be checked is neither accepted
      // nor called invalid (that would log the client out).
      throw new TokenCheckUnavailableError('the session denylist cannot be read', 1);
    }
    if (listed > 0) this.revoked.set(sid, true);
    else this.notRevoked.set(sid, true);
    return listed > 0;
  }
}

/**
 * The one SessionRevocations of a process: Redis when REDIS_URL is set, memory otherwise. A static
 * module, so auth, the guard and the gateway share one instance when they share a process
 * (standalone).
 */
@Global()
@Module({
  providers: [
    {
      provide: SessionRevocations,
      inject: [REDIS],
      useFactory: (redis: Redis | null): SessionRevocations =>
        redis ? new RedisSessionRevocations(redis) : new MemorySessionRevocations(),
    },
  ],
  exports: [SessionRevocations],
})
export class SessionRevocationsModule {}
