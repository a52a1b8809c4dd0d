import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { ReadinessProbe } from './health.js';

export const REDIS = Symbol('REDIS');

/**
 * One Redis connection per app, created by the module (never at import time) with error and
 * reconnect handling. `null` when REDIS_URL is absent: callers fall back to in-memory state.
 */
function createRedis(url: string, name: string): Redis {
  const logger = new Logger(`redis:${name}`);
  const client = new Redis(url, {
    connectionName: `tandem-${name}`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  let reported = false;
  client.on('error', (error: Error) => {
    if (!reported) logger.warn(`redis error: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('redis connection restored');
    reported = false;
  });
  return client;
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(url: string | undefined, name: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [{ provide: REDIS, useFactory: () => (url ? createRedis(url, name) : null) }, RedisCloser],
      exports: [REDIS],
    };
  }
}

@Injectable()
export class RedisProbe implements ReadinessProbe {
  readonly name = 'redis';
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async check(): Promise<void> {
    if (this.redis) await this.redis.ping();
  }
}
