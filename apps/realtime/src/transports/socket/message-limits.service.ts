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
 * Message budgets of clients (docs/contract.md, Realtime: "per-connection and per-IP rates are limited"),
 * replays per socket, SSE requests per IP. A socket
 * is local to one replica, so its budget is in memory; an IP's budget spans replicas, so it lives
 * in Redis when REDIS_URL is set (with an in-memory insurance limiter if Redis stops answering).
 * Spending twice the budget within one window is abuse: the caller disconnects the socket.
 */
@Injectable()
export class MessageLimitsService {
  private readonly perSocket: RateLimiterMemory;
  private readonly perIp: RateLimiterAbstract;
  /** Replays (subscriptions with `since`) per socket and minute: replay floods cannot multiply history reads. */
  private readonly replays: RateLimiterMemory;
  /** SSE requests per IP and minute (across replicas with Redis). */
  private readonly sseRequests: RateLimiterAbstract;

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
    this.replays = new RateLimiterMemory({
      keyPrefix: 'replay',
      points: settings.SOCKET_REPLAYS_PER_MINUTE,
      duration: 60,
    });
    const ipOptions = {
      keyPrefix: `${settings.REALTIME_REDIS_PREFIX}ip`,
      points: settings.IP_MESSAGES_PER_SECOND,
      duration: 1,
    };
    const shared = (options: { keyPrefix: string; points: number; duration: number }) =>
      redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
    this.perIp = shared(ipOptions);
    this.sseRequests = shared({
      keyPrefix: `${settings.REALTIME_REDIS_PREFIX}sse`,
      points: settings.SSE_REQUESTS_PER_MINUTE,
      duration: 60,
    });
  }

  /** Spends one SSE request of the IP's budget: undefined if allowed, else seconds until it may retry. */
  async consumeSseRequest(ip: string): Promise<number | undefined> {
    try {
      await this.sseRequests.consume(ip);
      return undefined;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return undefined; // the limiter's own failure never blocks clients
      this.metrics.connectionsRefused.inc({ scope: 'sse_rate' });
      return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    }
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

  /** Spends one replay of the socket's budget; false when it is spent (the caller answers `rate_limited`). */
  async consumeReplay(socketId: string): Promise<boolean> {
    try {
      await this.replays.consume(socketId);
      return true;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.metrics.rateLimited.inc({ scope: 'replay' });
      return false;
    }
  }

  forget(socketId: string): void {
    void this.perSocket.delete(socketId);
    void this.replays.delete(socketId);
  }
}
