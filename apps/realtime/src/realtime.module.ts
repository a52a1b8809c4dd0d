import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RabbitMqBroker } from '@tandem/messaging';
import type { EventConsumerSource } from '@tandem/messaging';
import { HealthModule, loggingModule, MetricsModule, REDIS, RedisModule, RedisProbe } from '@tandem/platform';
import { AccessTokenVerifier, SessionRevocationsModule } from '@tandem/security';
import { CommercePort, UnavailableCommercePort } from './commerce/commerce.port.js';
import { HttpCommercePort } from './commerce/http-commerce.port.js';
import { ChannelAccessService } from './delivery/channel-access.service.js';
import { ClientRegistry } from './delivery/client-registry.service.js';
import { ConnectionSlots } from './delivery/connection-slots.js';
import { FanoutService } from './delivery/fanout.service.js';
import { MemoryOrderOwners, ORDER_OWNERS, RedisOrderOwners } from './delivery/order-owners.js';
import type { OrderOwners } from './delivery/order-owners.js';
import { SubscriptionService } from './delivery/subscription.service.js';
import { EVENT_HISTORY } from './history/event-history.js';
import type { EventHistory } from './history/event-history.js';
import { MemoryEventHistory } from './history/memory-event-history.js';
import { RedisEventHistory } from './history/redis-event-history.js';
import { EventConsumerService } from './ingest/event-consumer.service.js';
import { MemoryProcessedEvents, PROCESSED_EVENTS, RedisProcessedEvents } from './ingest/processed-events.js';
import type { ProcessedEvents } from './ingest/processed-events.js';
import { RealtimeBrokerProbe } from './ops/broker.probe.js';
import { DrainService } from './ops/drain.service.js';
import { RealtimeMetrics } from './ops/realtime.metrics.js';
import type { RealtimeConfig, RealtimeSettings } from './realtime.config.js';
import { REALTIME_EVENT_SOURCE, REALTIME_OWNS_SOURCE, REALTIME_SETTINGS } from './realtime.tokens.js';
import { ClientAuthService } from './transports/client-auth.service.js';
import { MessageLimitsService } from './transports/socket/message-limits.service.js';
import { RealtimeGateway } from './transports/socket/realtime.gateway.js';
import { SocketConnectionService } from './transports/socket/socket-connection.service.js';
import { SocketScaleOutService } from './transports/socket/socket-scale-out.service.js';
import { StreamController } from './transports/sse/stream.controller.js';

/** What a host process may inject instead of the deployed defaults. */
export interface RealtimeDeps {
  /** Where events come from. Default: RabbitMQ at BROKER_URL (the module then owns and closes it). */
  eventSource?: EventConsumerSource;
  /** How access tokens are checked. Default: auth's JWKS at AUTH_JWKS_URL. */
  verifier?: AccessTokenVerifier;
  /** How commerce is reached. Default: HTTP at COMMERCE_URL; neither → `rpc` answers 503. */
  commerce?: CommercePort;
}

/**
 * The realtime feature: Socket.IO gateway, SSE stream, broker consumer, history.
 *
 * Composition seam for a standalone process (one process, no RabbitMQ, maybe no Redis):
 *   imports: [
 *     RedisModule.forRoot(undefined, 'standalone'), // REDIS must be provided (null → in-memory
 *                                                   // adapter, history, dedup and limits)
 *     MetricsModule,
 *     RealtimeModule.register(settings, { eventSource, verifier, commerce }),
 *   ]
 * and, before listen: `useRealtimeAdapter(app)` (the Socket.IO server options: Origin check,
 * message size, draining). `settings` is a RealtimeSettings (every knob, defaults included); a
 * RealtimeConfig also brings BROKER_URL / AUTH_JWKS_URL / COMMERCE_URL for the defaults above.
 * An injected event source stays owned (and closed) by the host.
 */
@Module({})
export class RealtimeModule {
  static register(settings: RealtimeSettings, deps: RealtimeDeps = {}): DynamicModule {
    const urls: Partial<RealtimeConfig> = settings;
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
      // The session denylist auth writes (docs/contract.md "Auth"), checked by ClientAuthService.
      imports: [MetricsModule, SessionRevocationsModule],
      controllers: [StreamController],
      providers: [
        { provide: REALTIME_SETTINGS, useValue: settings },
        {
          provide: REALTIME_EVENT_SOURCE,
          useFactory: () => {
            if (deps.eventSource) return deps.eventSource;
            if (!urls.BROKER_URL) throw new Error('realtime needs BROKER_URL or an injected event source');
            return new RabbitMqBroker(urls.BROKER_URL, 'realtime');
          },
        },
        { provide: REALTIME_OWNS_SOURCE, useValue: deps.eventSource === undefined },
        {
          provide: AccessTokenVerifier,
          useFactory: () => {
            if (deps.verifier) return deps.verifier;
            if (!urls.AUTH_JWKS_URL) throw new Error('realtime needs AUTH_JWKS_URL or an injected verifier');
            return AccessTokenVerifier.remote(urls.AUTH_JWKS_URL, {
              issuer: settings.JWT_ISSUER,
              audience: settings.JWT_AUDIENCE,
            });
          },
        },
        {
          provide: CommercePort,
          useFactory: (): CommercePort => {
            if (deps.commerce) return deps.commerce;
            if (!urls.COMMERCE_URL) return new UnavailableCommercePort();
            return new HttpCommercePort(urls.COMMERCE_URL, settings.RPC_TIMEOUT_MS);
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
            () => new MemoryProcessedEvents(settings.MEMORY_DEDUP_MAX_IDS, settings.DEDUP_TTL_SECONDS),
            (client) => new RedisProcessedEvents(client, prefix, settings.DEDUP_TTL_SECONDS),
          ),
        },
        {
          provide: ORDER_OWNERS,
          ...storeOf<OrderOwners>(
            () => new MemoryOrderOwners(settings.MEMORY_ORDER_OWNERS_MAX, settings.ORDER_OWNER_TTL_SECONDS),
            (client) => new RedisOrderOwners(client, prefix, settings.ORDER_OWNER_TTL_SECONDS),
          ),
        },
        RealtimeMetrics,
        ClientRegistry,
        ConnectionSlots,
        ClientAuthService,
        FanoutService,
        SubscriptionService,
        ChannelAccessService,
        MessageLimitsService,
        SocketConnectionService,
        SocketScaleOutService,
        EventConsumerService,
        DrainService,
        RealtimeGateway,
      ],
      exports: [EventConsumerService, REALTIME_SETTINGS],
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
