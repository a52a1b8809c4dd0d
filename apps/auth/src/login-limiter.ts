import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { Problems, REDIS } from '@tandem/platform';
import { AuthConfig } from './auth.config.js';

function limiter(
  redis: Redis | null,
  keyPrefix: string,
  points: number,
  duration: number,
  blockDuration = 0,
): RateLimiterAbstract {
  const options = { keyPrefix: `tandem:auth:${keyPrefix}`, points, duration, blockDuration };
  // Redis counters are shared by every auth replica; in memory they are per process (one replica).
  return redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * Brute-force protection (contract: "Repeated failed logins for one account or one IP are slowed
 * down or refused"). Only failures count; a success clears the account's counter.
 */
@Injectable()
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;
  private readonly perIpRequests: RateLimiterAbstract;

  constructor(@Inject(AuthConfig) config: AuthConfig, @Inject(REDIS) redis: Redis | null) {
    const block = config.LOGIN_BLOCK_SECONDS;
    this.perAccount = limiter(redis, 'login-account', config.LOGIN_MAX_FAILURES_PER_ACCOUNT, block, block);
    this.perIp = limiter(redis, 'login-ip', config.LOGIN_MAX_FAILURES_PER_IP, block, block);
    this.perIpRequests = limiter(redis, 'requests-ip', config.AUTH_REQUESTS_PER_IP_PER_MINUTE, 60);
  }

  /** Throws 429 when the account or the IP is currently refused. */
  async assertLoginAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = await Promise.all([this.perAccount.get(email), this.perIp.get(ip)]);
    const blocked = [account, address].filter(
      (res, i): res is RateLimiterRes =>
        res !== null && res.consumedPoints >= (i === 0 ? this.perAccount.points : this.perIp.points),
    );
    if (blocked.length > 0) {
      throw Problems.tooManyRequests(Math.max(...blocked.map(retryAfter)), 'Too many failed logins; try again later');
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.penalty(email, 1), this.perIp.penalty(ip, 1)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.perAccount.delete(email);
  }

  /** General per-IP budget for registration and refresh. */
  async consumeRequest(ip: string): Promise<void> {
    try {
      await this.perIpRequests.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw Problems.tooManyRequests(retryAfter(error));
      throw error;
    }
  }
}
