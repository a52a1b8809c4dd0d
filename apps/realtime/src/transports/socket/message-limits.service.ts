import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { REDIS } from '@tandem/platform';
import { RealtimeMetrics } from '../../ops/realtime.metrics.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';

type LimitOutcome = 'ok' | 'limited' | 'abuse';

/**
 * Message budgets of clients (docs/contract.md, Realtime: "per-connection and per-IP rates are limited"). A socket
 * is local to one replica, so its budget is in memory; an IP's budget spans replicas, so it lives
 * in Redis when REDIS_URL is set (with an in-memory insurance limiter if Redis stops answering).
 * Spending twice the budget within one window is abuse: the caller disconnects the socket.
 */
@Injectable()
export class MessageLimitsService {
  private readonly perSocket: RateLimiterMemory;
  private readonly perIp: RateLimiterAbstract;

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    @Inject(REDIS) redis: Redis | null,
    private readonly metrics: RealtimeMetrics,
  ) {
    this.perSocket = new RateLimiterMemory({
      keyPrefix: 'socket',
      points: settings.SOCKET_MESSAGES_PER_SECOND * 2,
      duration: 1,
    });
    const ipOptions = {
      keyPrefix: `${settings.REALTIME_REDIS_PREFIX}ip`,
      points: settings.IP_MESSAGES_PER_SECOND,
      duration: 1,
    };
    this.perIp = redis
      ? new RateLimiterRedis({
          ...ipOptions,
          storeClient: redis,
          insuranceLimiter: new RateLimiterMemory(ipOptions),
        })
      : new RateLimiterMemory(ipOptions);
  }

  async consume(socketId: string, ip: string): Promise<LimitOutcome> {
    let socketRes: RateLimiterRes;
    try {
      socketRes = await this.perSocket.consume(socketId);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.metrics.rateLimited.inc({ scope: 'socket' });
      return 'abuse';
    }
    if (socketRes.consumedPoints > this.settings.SOCKET_MESSAGES_PER_SECOND) {
      this.metrics.rateLimited.inc({ scope: 'socket' });
      return 'limited';
    }
    try {
      await this.perIp.consume(ip);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return 'ok'; // the limiter's own failure never blocks clients
      this.metrics.rateLimited.inc({ scope: 'ip' });
      return 'limited';
    }
    return 'ok';
  }

  forget(socketId: string): void {
    void this.perSocket.delete(socketId);
  }
}
