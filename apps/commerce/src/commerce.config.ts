import { DatabaseConfig, IsServiceUrl, OptionalInt } from '@tandem/platform';

export class CommerceConfig extends DatabaseConfig {
  /** RabbitMQ for the outbox relay (standalone mode uses its in-process bus instead). */
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  /** Where access tokens' public keys are read: the auth app's JWKS. */
  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;

  /** API requests per client IP per minute. */
  @OptionalInt(1)
  REQUESTS_PER_IP_PER_MINUTE: number = 1200;

  /** How long relayed outbox rows and idempotency keys are kept. */
  @OptionalInt(1)
  RETENTION_HOURS: number = 24;
}
