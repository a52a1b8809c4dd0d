import { DatabaseSettings, IsDatabaseUrl, IsServiceUrl, OptionalInt } from '@tandem/platform';

/**
 * Every knob of commerce, each optional with a default (docs/contract.md, "Configuration").
 * Standalone validates exactly this and supplies the database, the bus and the verifier itself.
 */
export class CommerceSettings extends DatabaseSettings {
  /** API requests per client IP per minute for anonymous callers (the catalog and order routes only). */
  @OptionalInt(1)
  REQUESTS_PER_IP_PER_MINUTE: number = 1200;

  /**
   * API requests per signed-in user per minute, wherever they come from (also `rpc` through the
   * gateway, which carries the user's own token): docs/contract.md, "Realtime".
   */
  @OptionalInt(1)
  REQUESTS_PER_USER_PER_MINUTE: number = 600;

  /** A `pending` order older than this is cancelled with `cancelReason: expired` (docs/contract.md, "Orders"). */
  @OptionalInt(1)
  PENDING_ORDER_TTL_SECONDS: number = 900;

  /** Pending orders one customer may hold at once; the next `POST /orders` is 409 (docs/contract.md, "Orders"). */
  @OptionalInt(1)
  MAX_PENDING_ORDERS_PER_USER: number = 3;

  /** How long relayed outbox rows and idempotency keys are kept. */
  @OptionalInt(1)
  RETENTION_HOURS: number = 24;
}

/** What a deployed commerce requires on top of its settings: its database, RabbitMQ and auth's JWKS. */
export class CommerceConfig extends CommerceSettings {
  @IsDatabaseUrl()
  DATABASE_URL!: string;

  /** RabbitMQ for the outbox relay. */
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  /** Where access tokens' public keys are read: the auth app's JWKS. */
  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;
}
