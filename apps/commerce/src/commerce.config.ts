import { DatabaseSettings, IsDatabaseUrl, IsServiceUrl, OptionalInt } from '@tandem/platform';

/**
 * Every knob of commerce, each optional with a default (docs/contract.md, "Configuration").
 * Standalone validates exactly this and supplies the database, the bus and the verifier itself.
 */
export class CommerceSettings extends DatabaseSettings {
  /** API requests per client IP per minute (the catalog and order routes only). */
  @OptionalInt(1)
  REQUESTS_PER_IP_PER_MINUTE: number = 1200;

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
