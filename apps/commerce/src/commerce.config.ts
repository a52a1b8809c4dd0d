import { IsBoolean, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { BaseConfig, IsServiceUrl, ToBoolean, ToInt } from '@tandem/platform';

export class CommerceConfig extends BaseConfig {
  @IsServiceUrl(['postgres:', 'postgresql:'])
  DATABASE_URL!: string;

  /** RabbitMQ for the outbox relay (standalone mode uses its in-process bus instead). */
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  /** Where access tokens' public keys are read: the auth app's JWKS. */
  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;

  @IsOptional()
  @IsString()
  JWT_ISSUER: string = 'tandem-auth';

  @IsOptional()
  @IsString()
  JWT_AUDIENCE: string = 'tandem';

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  MIGRATIONS_RUN?: boolean;

  /** API requests per client IP per minute. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  REQUESTS_PER_IP_PER_MINUTE: number = 1200;

  /** How long relayed outbox rows and idempotency keys are kept. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  RETENTION_HOURS: number = 24;
}
