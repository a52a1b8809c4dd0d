import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { consumeOrThrow, createLimiter, Problems, REDIS, retryAfterSeconds } from '@tandem/platform';
import { AuthConfig } from './auth.config.js';

/**
 * Brute-force protection (docs/contract.md "Auth": repeated failed logins for one account or one IP
 * are slowed down or refused). Only failures count; a success clears the account's counter. Redis counters
 * are shared by every auth replica; in memory they are per process (one replica).
 */
@Injectable()
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;
  private readonly perIpRequests: RateLimiterAbstract;

  constructor(@Inject(AuthConfig) config: AuthConfig, @Inject(REDIS) redis: Redis | null) {
    const window = config.LOGIN_BLOCK_SECONDS;
    this.perAccount = createLimiter(redis, 'auth:login-account', config.LOGIN_MAX_FAILURES_PER_ACCOUNT, window);
    this.perIp = createLimiter(redis, 'auth:login-ip', config.LOGIN_MAX_FAILURES_PER_IP, window);
    this.perIpRequests = createLimiter(redis, 'auth:requests-ip', config.AUTH_REQUESTS_PER_IP_PER_MINUTE, 60);
  }

  /** Throws 429 when the account or the IP is currently refused. */
  async assertLoginAllowed(email: string, ip: string): Promise<void> {
    const checks: [RateLimiterAbstract, string][] = [
      [this.perAccount, email],
      [this.perIp, ip],
    ];
    const states = await Promise.all(checks.map(([limiter, key]) => limiter.get(key)));
    const blocked = states.filter(
      (res, i): res is RateLimiterRes => res !== null && res.consumedPoints >= checks[i]![0].points,
    );
    if (blocked.length > 0) {
      const wait = Math.max(...blocked.map(retryAfterSeconds));
      throw Problems.tooManyRequests(wait, 'Too many failed logins; try again later');
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
    await consumeOrThrow(this.perIpRequests, ip);
  }
}
