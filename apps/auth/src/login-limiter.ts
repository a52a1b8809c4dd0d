import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { consumeOrThrow, createLimiter, Problems, REDIS, retryAfterSeconds } from '@tandem/platform';
import { AuthConfig } from './auth.config.js';

/**
 * Brute-force protection (docs/contract.md "Auth": repeated failed logins for one account or one IP
 * are refused, also when they arrive in parallel). Every login spends one attempt of the account's
 * and of the IP's budget atomically BEFORE the password is checked, so N simultaneous guesses get
 * at most the budget of 401s and the rest 429, and no hashing is queued for a refused attempt. A
 * success gives the attempts back (the account's counter is cleared). Redis counters are shared by
 * every auth replica; in memory they are per process (one replica).
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

  /**
   * Spends one attempt for the account and one for the IP; throws 429 with Retry-After when either
   * budget is spent (and gives back the other, so a refused request costs nobody an attempt).
   */
  async consumeAttempt(email: string, ip: string): Promise<void> {
    const spends: [RateLimiterAbstract, string][] = [
      [this.perAccount, email],
      [this.perIp, ip],
    ];
    const outcomes = await Promise.allSettled(spends.map(([limiter, key]) => limiter.consume(key, 1)));
    const refused = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' && outcome.reason instanceof RateLimiterRes ? [outcome.reason] : [],
    );
    const failed = outcomes.find(
      (outcome): outcome is PromiseRejectedResult =>
        outcome.status === 'rejected' && !(outcome.reason instanceof RateLimiterRes),
    );
    if (refused.length === 0 && !failed) return;
    await Promise.all(
      outcomes.map((outcome, i) =>
        outcome.status === 'fulfilled' ? spends[i]![0].reward(spends[i]![1], 1).catch(() => undefined) : undefined,
      ),
    );
    if (failed) throw failed.reason;
    throw Problems.tooManyRequests(
      Math.max(...refused.map(retryAfterSeconds)),
      'Too many failed logins; try again later',
    );
  }

  /** The password was right: the account's failures are forgotten and the IP's attempt is given back. */
  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.delete(email), this.perIp.reward(ip, 1)]);
  }

  /** The attempt was not checked (the server was too busy): nobody loses it. */
  async refund(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.reward(email, 1), this.perIp.reward(ip, 1)]);
  }

  /** General per-IP budget for registration and refresh. */
  async consumeRequest(ip: string): Promise<void> {
    await consumeOrThrow(this.perIpRequests, ip);
  }
}
