import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { REDIS } from '@tandem/platform';
import { FanoutService } from '../../delivery/fanout.service.js';
import { SubscriptionService } from '../../delivery/subscription.service.js';
import type { RealtimeSettings } from '../../realtime.config.js';
import { REALTIME_SETTINGS } from '../../realtime.tokens.js';
import type { RealtimeServer } from './realtime-server.js';

/**
 * Scale-out over Redis (docs/realtime.md, "Replicas and sticky sessions"): the Socket.IO Redis
 * adapter, on a publisher and a subscriber connection duplicated from the app's client. Without
 * REDIS_URL the default in-memory adapter serves one replica.
 *
 * Pub/sub is fire-and-forget: while this replica's subscriber connection is down it misses what
 * other replicas publish. When it is back (and subscribed again: a PING on that connection answers
 * only after the re-SUBSCRIBE), every local client is replayed from history from the newest offset
 * this replica had delivered; channels history cannot cover get a `resync` event
 * (docs/realtime.md, "Redis subscription loss").
 */
@Injectable()
export class SocketScaleOutService implements OnApplicationShutdown {
  private readonly logger = new Logger('realtime:scale-out');
  private pub?: Redis;
  private sub?: Redis;
  private outageFrom?: number;
  private closing = false;
  /** Redis CLIENT name of the subscriber connection (operators and tests find it by this). */
  readonly subscriberName = `tandem-realtime-${process.pid}-${randomBytes(3).toString('hex')}-sub`;
  /** Resolves when a running resync is finished. */
  resyncing: Promise<number> = Promise.resolve(0);

  constructor(
    @Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly fanout: FanoutService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  /** Installs the adapter; true when replicas are clustered through Redis. */
  attach(io: RealtimeServer): boolean {
    if (!this.redis) return false;
    this.pub = this.redis.duplicate({ connectionName: this.subscriberName.replace(/-sub$/, '-pub') });
    this.sub = this.redis.duplicate({ connectionName: this.subscriberName });
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined); // logged by the app client
    let wasReady = false;
    this.sub.on('close', () => {
      if (wasReady && !this.closing && this.outageFrom === undefined) {
        this.outageFrom = this.fanout.headOffset;
        this.logger.warn('Redis subscription lost; clients will be replayed when it is back');
      }
    });
    this.sub.on('ready', () => {
      if (!wasReady) {
        wasReady = true;
        return;
      }
      const since = this.outageFrom;
      if (since === undefined) return;
      this.resyncing = this.sub!.ping()
        .then(() => {
          this.outageFrom = undefined;
          return this.subscriptions.resync(since);
        })
        .then((count) => {
          this.logger.log(`Redis subscription restored; ${count} clients replayed from offset ${since}`);
          return count;
        })
        .catch((error: Error) => {
          this.logger.warn(`resync failed: ${error.message}`);
          return 0;
        });
    });
    io.adapter(
      createAdapter(this.pub, this.sub, {
        key: `${this.settings.REALTIME_REDIS_PREFIX}socket.io`,
        requestsTimeout: this.settings.SCALE_OUT_REQUEST_TIMEOUT_MS,
      }),
    );
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const client of [this.pub, this.sub]) await client?.quit().catch(() => client.disconnect());
  }
}
