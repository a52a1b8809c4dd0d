import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { Problems } from './problem.js';
import { REDIS } from './redis.js';

/** A fixed-window limiter: Redis-backed (shared by replicas) when Redis is configured, else in memory. */
export function createLimiter(
  redis: Redis | null,
  keyPrefix: string,
  points: number,
  durationSeconds: number,
): RateLimiterAbstract {
  const options = { keyPrefix: `tandem:${keyPrefix}`, points, duration: durationSeconds };
  return redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
}

export function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** Consumes one point for `key`; throws 429 problem+json with Retry-After when the budget is spent. */
export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string, points = 1): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw Problems.tooManyRequests(retryAfterSeconds(error));
    throw error;
  }
}

export const REQUESTS_PER_IP_PER_MINUTE = Symbol('REQUESTS_PER_IP_PER_MINUTE');

/**
 * Per-IP request budget for the routes of the controllers that name it (`@UseGuards`): scoped to
 * the routes it protects, never a global guard, so apps sharing a process keep their own limits.
 */
@Injectable()
export class IpRateLimitGuard implements CanActivate {
  /** Made at the first request: constructing the guard (e.g. to read route metadata) touches no store. */
  private limiter?: RateLimiterAbstract;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(REQUESTS_PER_IP_PER_MINUTE) private readonly perMinute: number,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    this.limiter ??= createLimiter(this.redis, 'requests-ip', this.perMinute, 60);
    await consumeOrThrow(this.limiter, req.ip ?? 'unknown');
    return true;
  }
}
