import { IsOptional, Matches, MaxLength } from 'class-validator';
import { BaseConfig, IsServiceUrl, OptionalInt } from '@tandem/platform';

/**
 * Every feature knob of the gateway, each optional with its default (validated once at boot; see
 * docs/realtime.md, "Configuration", whose table a unit test checks against this class). A
 * standalone process validates this class as is; the deployed app validates RealtimeConfig.
 */
export class RealtimeSettings extends BaseConfig {
  /** Durable queue shared by every replica (single active consumer); `<queue>.dead` holds poison messages. */
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

  /** Largest broker message accepted; a bigger one is dead-lettered (an Order of 100 lines is far below). */
  @OptionalInt(1024, 16 * 1024 * 1024)
  BROKER_MAX_MESSAGE_BYTES: number = 256 * 1024;

  /** Events kept per channel for `since` replay. */
  @OptionalInt(1, 100_000)
  HISTORY_MAX_EVENTS: number = 1000;

  /** Age after which an event leaves the history. */
  @OptionalInt(1, 7 * 24 * 3600)
  HISTORY_MAX_AGE_SECONDS: number = 3600;

  /** How long a processed event id is remembered to drop broker redeliveries. */
  @OptionalInt(1)
  DEDUP_TTL_SECONDS: number = 24 * 3600;

  /** Without Redis: event ids remembered in memory to drop redeliveries (least recently used go first). */
  @OptionalInt(1000, 10_000_000)
  MEMORY_DEDUP_MAX_IDS: number = 100_000;

  /** How long an order's owner, learnt from its events, authorizes `order:{id}` subscriptions. */
  @OptionalInt(60)
  ORDER_OWNER_TTL_SECONDS: number = 30 * 24 * 3600;

  /** Without Redis: order owners remembered in memory (least recently used go first). */
  @OptionalInt(1000, 10_000_000)
  MEMORY_ORDER_OWNERS_MAX: number = 200_000;

  /**
   * Event ids each client remembers, so that a replay does not repeat what it already received.
   * The default equals HISTORY_MAX_EVENTS: a replay of one channel never repeats an event.
   */
  @OptionalInt(16, 100_000)
  CLIENT_SEEN_IDS: number = 1000;

  /** Live events held back for a client while one of its channels replays; beyond, the client is closed. */
  @OptionalInt(16, 1_000_000)
  CLIENT_MAX_BUFFERED: number = 5000;

  /** Largest Socket.IO message (bytes); bigger ones close the connection. */
  @OptionalInt(1024, 1024 * 1024)
  SOCKET_MAX_MESSAGE_BYTES: number = 32 * 1024;

  /** Messages per second one socket may send; beyond → `rate_limited` acks, beyond twice → disconnect. */
  @OptionalInt(1)
  SOCKET_MESSAGES_PER_SECOND: number = 20;

  /** Messages per second all sockets of one IP may send together (across replicas with Redis). */
  @OptionalInt(1)
  IP_MESSAGES_PER_SECOND: number = 200;

  /** Concurrent sockets per user (across replicas with Redis), counted at the handshake and at an `auth` swap. */
  @OptionalInt(1)
  MAX_CONNECTIONS_PER_USER: number = 20;

  /** Concurrent anonymous sockets per client IP (across replicas with Redis). */
  @OptionalInt(1)
  MAX_ANONYMOUS_CONNECTIONS_PER_IP: number = 50;

  /** Concurrent SSE streams per client IP, signed in or not (across replicas with Redis). */
  @OptionalInt(1)
  MAX_SSE_STREAMS_PER_IP: number = 20;

  /** SSE requests per minute per client IP; beyond → 429 with Retry-After. */
  @OptionalInt(1)
  SSE_REQUESTS_PER_MINUTE: number = 60;

  /** Lease of a counted connection in Redis, renewed while it lives: a crashed replica's counts expire after it. */
  @OptionalInt(10, 3600)
  SLOT_LEASE_SECONDS: number = 60;

  /** Most events one `since` replay sends; a longer gap answers `recovered: false` (the client re-reads over REST). */
  @OptionalInt(1, 100_000)
  REPLAY_MAX_EVENTS: number = 500;

  /**
   * Subscriptions with `since` (replays) one socket may make per minute; beyond → `rate_limited`.
   * Above MAX_SUBSCRIPTIONS_PER_SOCKET, so a reconnected client can resume every channel at once.
   */
  @OptionalInt(1)
  SOCKET_REPLAYS_PER_MINUTE: number = 120;

  /** A socket with more than this written but not yet taken by the client (a reader that cannot keep up) is disconnected. */
  @OptionalInt(16 * 1024, 64 * 1024 * 1024)
  SOCKET_MAX_UNSENT_BYTES: number = 1024 * 1024;

  /** How long commerce's answer to "may this user read order X" is reused (granted or refused). */
  @OptionalInt(1, 3600)
  OWNERSHIP_CACHE_TTL_SECONDS: number = 30;

  /** Ownership answers kept per replica (least recently used go first). */
  @OptionalInt(100, 10_000_000)
  OWNERSHIP_CACHE_MAX: number = 10_000;

  /** Channels one socket may subscribe to. */
  @OptionalInt(1, 1000)
  MAX_SUBSCRIPTIONS_PER_SOCKET: number = 100;

  /** How long a request to the other replicas (the per-user connection count) may take. */
  @OptionalInt(100, 60_000)
  SCALE_OUT_REQUEST_TIMEOUT_MS: number = 2000;

  /** Channels one SSE request may name. */
  @OptionalInt(1, 1000)
  SSE_MAX_CHANNELS: number = 20;

  /** SSE heartbeat comment interval. */
  @OptionalInt(100)
  SSE_HEARTBEAT_MS: number = 15_000;

  /** An SSE stream with more than this unsent (a reader that cannot keep up) is closed. */
  @OptionalInt(16 * 1024, 64 * 1024 * 1024)
  SSE_MAX_UNSENT_BYTES: number = 1024 * 1024;

  /** On SIGTERM, clients are disconnected spread over this many milliseconds… */
  @OptionalInt(0, 60_000)
  SHUTDOWN_DRAIN_MS: number = 5000;

  /** …in this many batches. */
  @OptionalInt(1, 1000)
  SHUTDOWN_DRAIN_STEPS: number = 10;

  /** Timeout of one forwarded `rpc` call. */
  @OptionalInt(100, 60_000)
  RPC_TIMEOUT_MS: number = 10_000;

  /** Largest `rpc` request body (JSON bytes); a bigger one is answered 413. */
  @OptionalInt(1024, 1024 * 1024)
  RPC_MAX_BODY_BYTES: number = 64 * 1024;
}

/** The gateway deployed on its own: its feature knobs plus the services it must reach. */
export class RealtimeConfig extends RealtimeSettings {
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;

  /** Commerce's API, for `rpc` and order ownership; without it `rpc` answers 503. */
  @IsOptional()
  @IsServiceUrl(['http:', 'https:'])
  COMMERCE_URL?: string;
}
