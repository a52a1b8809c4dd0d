import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * order id → owner, learnt from order.* events as they pass through the gateway. It authorizes
 * `order:{id}` subscriptions without a call to commerce for every order the gateway has seen; for
 * others, ChannelAccessService asks commerce through the CommercePort.
 */
export interface OrderOwners {
  remember(orderId: string, userId: string): Promise<void>;
  ownerOf(orderId: string): Promise<string | undefined>;
}

export const ORDER_OWNERS = Symbol('ORDER_OWNERS');

export class MemoryOrderOwners implements OrderOwners {
  private readonly owners: LRUCache<string, string>;

  constructor(max: number, ttlSeconds: number) {
    this.owners = new LRUCache({ max, ttl: ttlSeconds * 1000 });
  }

  async remember(orderId: string, userId: string): Promise<void> {
    this.owners.set(orderId, userId);
  }

  async ownerOf(orderId: string): Promise<string | undefined> {
    return this.owners.get(orderId);
  }
}

export class RedisOrderOwners implements OrderOwners {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async remember(orderId: string, userId: string): Promise<void> {
    await this.redis.set(`${this.prefix}order-owner:${orderId}`, userId, 'EX', this.ttlSeconds);
  }

  async ownerOf(orderId: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}order-owner:${orderId}`)) ?? undefined;
  }
}
