import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '@tandem/platform';
import type { RealtimeSettings } from '../realtime.config.js';
import { REALTIME_SETTINGS } from '../realtime.tokens.js';

/**
 * Takes a slot when the key holds fewer than `cap` live holders (atomically: N parallel takers
 * never get more than `cap`). A slot is a sorted-set member whose score is its lease end (Redis
 * clock); expired leases are swept first, so the slots of a replica that crashed free themselves.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

/**
 * Extends the leases of this replica's live holders, re-adding any Redis lost (a flush or a
 * restart): they are connected, so they count. A released holder is never renewed: it leaves the
 * local set before its ZREM is sent, and commands on one connection keep their order.
 */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

/** What one holder (a socket or a stream) took; released when it goes away. */
export interface Slot {
  key: string;
  holder: string;
}

/**
 * Concurrent-connection caps that hold across replicas (docs/realtime.md, "Limits"): sockets per
 * user, anonymous sockets per IP, SSE streams per IP. With Redis a slot is counted in one atomic
 * script (parallel handshakes on several replicas cannot all pass a check-then-act) and leased:
 * this replica renews its holders' leases every third of SLOT_LEASE_SECONDS, so a crashed
 * replica's slots expire instead of leaking. Without Redis (one replica) the count is in memory.
 * If Redis stops answering, the local count still applies.
 */
@Injectable()
export class ConnectionSlots implements OnModuleDestroy {
  private readonly logger = new Logger('realtime:slots');
  /** This replica's holders by key: the memory count, and what the lease renewal refreshes. */
  private readonly held = new Map<string, Set<string>>();
  private readonly leaseMs: number;
  private readonly renewal?: NodeJS.Timeout;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {
    this.leaseMs = settings.SLOT_LEASE_SECONDS * 1000;
    if (redis) {
      this.renewal = setInterval(() => void this.renew(), this.leaseMs / 3);
      this.renewal.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.renewal);
  }

  /** Takes a slot of `key` for `holder` if fewer than `cap` are taken; the caller releases it. */
  async acquire(key: string, holder: string, cap: number): Promise<Slot | undefined> {
    const local = this.held.get(key);
    if (!local?.has(holder) && (local?.size ?? 0) >= cap) return undefined;
    if (this.redis) {
      try {
        const taken = await this.redis.eval(ACQUIRE, 1, this.redisKey(key), holder, String(cap), String(this.leaseMs));
        if (taken !== 1) return undefined;
      } catch (error) {
        this.logger.warn(`connection count unavailable, local count applies: ${(error as Error).message}`);
      }
    }
    // Re-read: a parallel acquire of the same key may have filled it while Redis answered.
    const set = this.held.get(key) ?? new Set<string>();
    if (!set.has(holder) && set.size >= cap) {
      if (this.redis) void this.redis.zrem(this.redisKey(key), holder).catch(() => undefined);
      return undefined;
    }
    set.add(holder);
    this.held.set(key, set);
    return { key, holder };
  }

  release(slot: Slot): void {
    const set = this.held.get(slot.key);
    if (!set?.delete(slot.holder)) return;
    if (set.size === 0) this.held.delete(slot.key);
    if (this.redis) {
      this.redis.zrem(this.redisKey(slot.key), slot.holder).catch((error: Error) => {
        this.logger.warn(`slot release failed (its lease expires instead): ${error.message}`);
      });
    }
  }

  /** Holders of `key` on this replica. */
  localCount(key: string): number {
    return this.held.get(key)?.size ?? 0;
  }

  /** Renews this replica's leases (on a timer; public for tests). */
  async renew(): Promise<void> {
    if (!this.redis || this.held.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, holders] of this.held) {
      pipeline.eval(RENEW, 1, this.redisKey(key), String(this.leaseMs), ...holders);
    }
    try {
      await pipeline.exec();
    } catch (error) {
      this.logger.warn(`slot lease renewal failed: ${(error as Error).message}`);
    }
  }

  private redisKey(key: string): string {
    return `${this.settings.REALTIME_REDIS_PREFIX}slots:${key}`;
  }
}

/** Slot keys: one concept, one naming. */
export const slotKeys = {
  userSockets: (userId: string) => `user:${userId}`,
  anonymousSockets: (ip: string) => `anon-ip:${ip}`,
  sseStreams: (ip: string) => `sse-ip:${ip}`,
};
