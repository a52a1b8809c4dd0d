import { IsOptional } from 'class-validator';
import { BaseConfig, IsServiceUrl } from '@tandem/platform';

export class RealtimeConfig extends BaseConfig {
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL!: string;

  @IsServiceUrl(['http:', 'https:'])
  AUTH_JWKS_URL!: string;

  @IsOptional()
  @IsServiceUrl(['http:', 'https:'])
  COMMERCE_URL?: string;
}
