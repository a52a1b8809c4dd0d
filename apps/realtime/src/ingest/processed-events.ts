import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * Which event ids this gateway has already handled, to drop broker redeliveries and outbox relay
 * retries (docs/contract.md, Events: consumers de-duplicate by id). With Redis the claim is shared
 * by every replica (SET NX with a TTL); without it, a bounded in-memory cache with the same TTL.
 */
export interface ProcessedEvents {
  /** True if the caller is the first to claim `id` and should handle it. */
  claim(id: string): Promise<boolean>;
  /** Gives the claim back after a failed attempt, so a redelivery is handled again. */
  release(id: string): Promise<void>;
}

export const PROCESSED_EVENTS = Symbol('PROCESSED_EVENTS');

export class MemoryProcessedEvents implements ProcessedEvents {
  private readonly seen: LRUCache<string, true>;

  constructor(maxIds: number, ttlSeconds: number) {
    this.seen = new LRUCache({ max: maxIds, ttl: ttlSeconds * 1000, ttlAutopurge: false });
  }

  async claim(id: string): Promise<boolean> {
    if (this.seen.has(id)) return false;
    this.seen.set(id, true);
    return true;
  }

  async release(id: string): Promise<void> {
    this.seen.delete(id);
  }
}

export class RedisProcessedEvents implements ProcessedEvents {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async claim(id: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}seen:${id}`, '1', 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  async release(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}seen:${id}`);
  }
}
