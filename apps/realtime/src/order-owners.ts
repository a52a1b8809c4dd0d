import type { Redis } from 'ioredis';
import { BoundedMap } from './lru.js';

/**
 * order id → owner, learnt from order.* events as they pass through the gateway. It authorizes
 * `order:{id}` subscriptions without a call to commerce for every order the gateway has seen; for
 * others, ChannelAccess asks commerce (when COMMERCE_URL is set).
 */
export interface OrderOwners {
  remember(orderId: string, userId: string): Promise<void>;
  ownerOf(orderId: string): Promise<string | undefined>;
}

export const ORDER_OWNERS = Symbol('ORDER_OWNERS');
const TTL_SECONDS = 30 * 24 * 3600;

export class MemoryOrderOwners implements OrderOwners {
  private readonly owners = new BoundedMap<string, string>(200_000);

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
  ) {}

  async remember(orderId: string, userId: string): Promise<void> {
    await this.redis.set(`${this.prefix}order-owner:${orderId}`, userId, 'EX', TTL_SECONDS);
  }

  async ownerOf(orderId: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}order-owner:${orderId}`)) ?? undefined;
  }
}
