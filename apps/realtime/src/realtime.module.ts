import { Injectable, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RabbitMqBroker } from '@tandem/messaging';
import type { EventConsumerSource } from '@tandem/messaging';
import { HealthModule, loggingModule, MetricsModule, REDIS, RedisModule, RedisProbe } from '@tandem/platform';
import type { ReadinessProbe } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { ChannelAccess } from './channel-access.js';
import { CommerceClient } from './commerce.client.js';
import { DrainService } from './drain.service.js';
import { EventConsumer } from './event-consumer.service.js';
import { EVENT_HISTORY, MemoryEventHistory, RedisEventHistory } from './event-history.js';
import type { EventHistory } from './event-history.js';
import type { OrderOwners } from './order-owners.js';
import type { ProcessedEvents } from './processed-events.js';
import { FanoutService } from './fanout.service.js';
import { MessageLimits } from './message-limits.js';
import { MemoryOrderOwners, ORDER_OWNERS, RedisOrderOwners } from './order-owners.js';
import { MemoryProcessedEvents, PROCESSED_EVENTS, RedisProcessedEvents } from './processed-events.js';
import { RealtimeConfig } from './realtime.config.js';
import type { RealtimeSettings } from './realtime.config.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import { REALTIME_EVENT_SOURCE, REALTIME_OWNS_SOURCE, REALTIME_SETTINGS } from './realtime.tokens.js';
import { SocketScaleOut } from './socket-scale-out.js';
import { SocketSessions } from './socket-sessions.service.js';
import { StreamController, StreamRegistry } from './stream.controller.js';
import { SubscriptionService } from './subscriptions.service.js';

/** What a host process may inject instead of the deployed defaults. */
export interface RealtimeDeps {
  /** Where events come from. Default: RabbitMQ at BROKER_URL (the module then owns and closes it). */
  eventSource?: EventConsumerSource;
  /** How access tokens are checked. Default: auth's JWKS at AUTH_JWKS_URL. */
  verifier?: AccessTokenVerifier;
}

/** Readiness: the gateway is ready once it consumes from the broker. */
@Injectable()
export class RealtimeBrokerProbe implements ReadinessProbe {
  readonly name = 'broker';
  constructor(private readonly consumer: EventConsumer) {}
  check(): Promise<void> {
    return this.consumer.check();
  }
}

/**
 * The realtime feature: Socket.IO gateway, SSE stream, broker consumer, history.
 *
 * Composition seam for a standalone process (one process, no RabbitMQ, maybe no Redis):
 *   imports: [
 *     RedisModule.forRoot(undefined, 'standalone'), // REDIS must be provided (null → in-memory
 *                                                   // adapter, history, dedup and limits)
 *     MetricsModule,
 *     RealtimeModule.register(settings, { eventSource: inProcessBroker, verifier: AccessTokenVerifier.local(jwks, …) }),
 *   ]
 * and, before listen: `useRealtimeAdapter(app)` (the Socket.IO server options: Origin check,
 * message size, draining). `settings` is a RealtimeConfig (e.g. loadConfig('realtime',
 * RealtimeConfig, env) with BROKER_URL / AUTH_JWKS_URL optional: see RealtimeSettings); the
 * injected broker stays owned (and closed) by the host.
 */
@Module({})
export class RealtimeModule {
  static register(settings: RealtimeSettings, deps: RealtimeDeps = {}): DynamicModule {
    const storeOf = <T>(memory: () => T, redis: (client: Redis) => T) => ({
      inject: [REDIS],
      useFactory: (client: Redis | null) => (client ? redis(client) : memory()),
    });
    const limits = { maxEvents: settings.HISTORY_MAX_EVENTS, maxAgeMs: settings.HISTORY_MAX_AGE_SECONDS * 1000 };
    const prefix = settings.REALTIME_REDIS_PREFIX;
    return {
      module: RealtimeModule,
      // Global so that the app's HealthModule can reach the broker probe's consumer.
      global: true,
      imports: [MetricsModule],
      controllers: [StreamController],
      providers: [
        { provide: REALTIME_SETTINGS, useValue: settings },
        {
          provide: REALTIME_EVENT_SOURCE,
          useFactory: () => {
            if (deps.eventSource) return deps.eventSource;
            if (!settings.BROKER_URL) throw new Error('realtime needs BROKER_URL or an injected event source');
            return new RabbitMqBroker(settings.BROKER_URL, 'realtime');
          },
        },
        { provide: REALTIME_OWNS_SOURCE, useValue: deps.eventSource === undefined },
        {
          provide: AccessTokenVerifier,
          useFactory: () => {
            if (deps.verifier) return deps.verifier;
            if (!settings.AUTH_JWKS_URL) throw new Error('realtime needs AUTH_JWKS_URL or an injected verifier');
            return AccessTokenVerifier.remote(settings.AUTH_JWKS_URL, {
              issuer: settings.JWT_ISSUER,
              audience: settings.JWT_AUDIENCE,
            });
          },
        },
        {
          provide: EVENT_HISTORY,
          ...storeOf<EventHistory>(
            () => new MemoryEventHistory(limits),
            (client) => new RedisEventHistory(client, prefix, limits),
          ),
        },
        {
          provide: PROCESSED_EVENTS,
          ...storeOf<ProcessedEvents>(
            () => new MemoryProcessedEvents(),
            (client) => new RedisProcessedEvents(client, prefix, settings.DEDUP_TTL_SECONDS),
          ),
        },
        {
          provide: ORDER_OWNERS,
          ...storeOf<OrderOwners>(
            () => new MemoryOrderOwners(),
            (client) => new RedisOrderOwners(client, prefix),
          ),
        },
        RealtimeMetrics,
        FanoutService,
        SubscriptionService,
        CommerceClient,
        ChannelAccess,
        MessageLimits,
        SocketSessions,
        SocketScaleOut,
        EventConsumer,
        StreamRegistry,
        DrainService,
        RealtimeGateway,
      ],
      exports: [EventConsumer, REALTIME_SETTINGS],
    };
  }
}

/** The realtime app as deployed on its own: feature + Redis, logs, health, metrics. */
@Module({})
export class RealtimeAppModule {
  static forRoot(config: RealtimeConfig): DynamicModule {
    return {
      module: RealtimeAppModule,
      imports: [
        loggingModule('realtime', config.LOG_LEVEL),
        RedisModule.forRoot(config.REDIS_URL, 'realtime'),
        MetricsModule,
        RealtimeModule.register(config),
        HealthModule.forRoot([RedisProbe, RealtimeBrokerProbe]),
      ],
    };
  }
}
