import { IsOptional, Matches, MaxLength } from 'class-validator';
import { BaseConfig, IsServiceUrl, OptionalInt } from '@tandem/platform';

/** Validated once at boot (style.md); every knob of the gateway lives here. See docs/realtime.md. */
export class RealtimeConfig extends BaseConfig {
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;

  @IsOptional()
  @IsServiceUrl(['http:', 'https:'])
  COMMERCE_URL?: string;

  /** Durable queue shared by every replica (competing consumers); `<queue>.dead` holds poison messages. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/)
  REALTIME_QUEUE: string = 'tandem.realtime';

  /** Prefix of every Redis key and pub/sub channel of the gateway (history, dedup, limits, adapter). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  @MaxLength(100)
  REALTIME_REDIS_PREFIX: string = 'tandem:realtime:';

  /** Unacknowledged broker deliveries per replica. */
  @OptionalInt(1, 1000)
  BROKER_PREFETCH: number = 100;

  /** Deliveries of one message whose handling failed (e.g. Redis down) before it is dead-lettered. */
  @OptionalInt(1, 100)
  BROKER_MAX_ATTEMPTS: number = 5;

  /** Events kept per channel for `since` replay. */
  @OptionalInt(1, 100_000)
  HISTORY_MAX_EVENTS: number = 1000;

  /** Age after which an event leaves the history. */
  @OptionalInt(1, 7 * 24 * 3600)
  HISTORY_MAX_AGE_SECONDS: number = 3600;

  /** How long a processed event id is remembered to drop broker redeliveries. */
  @OptionalInt(1)
  DEDUP_TTL_SECONDS: number = 24 * 3600;

  /** Largest Socket.IO message (bytes); bigger ones close the connection. */
  @OptionalInt(1024, 1024 * 1024)
  SOCKET_MAX_MESSAGE_BYTES: number = 32 * 1024;

  /** Messages per second one socket may send; beyond → `rate_limited` acks, beyond twice → disconnect. */
  @OptionalInt(1)
  SOCKET_MESSAGES_PER_SECOND: number = 20;

  /** Messages per second all sockets of one IP may send together (across replicas with Redis). */
  @OptionalInt(1)
  IP_MESSAGES_PER_SECOND: number = 200;

  /** Concurrent sockets per user (across replicas with Redis). */
  @OptionalInt(1)
  MAX_CONNECTIONS_PER_USER: number = 20;

  @OptionalInt(1, 1000)
  MAX_SUBSCRIPTIONS_PER_SOCKET: number = 100;

  /** SSE heartbeat comment interval. */
  @OptionalInt(100)
  SSE_HEARTBEAT_MS: number = 15_000;

  /** On SIGTERM, clients are disconnected spread over this many milliseconds. */
  @OptionalInt(0, 60_000)
  SHUTDOWN_DRAIN_MS: number = 5000;

  @OptionalInt(100, 60_000)
  RPC_TIMEOUT_MS: number = 10_000;
}

/**
 * What the feature module needs. The deployed app validates a full RealtimeConfig; a standalone
 * process that injects its own event source and verifier may leave BROKER_URL / AUTH_JWKS_URL out.
 */
export type RealtimeSettings = Omit<RealtimeConfig, 'BROKER_URL' | 'AUTH_JWKS_URL'> & {
  BROKER_URL?: string;
  AUTH_JWKS_URL?: string;
};
