import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  IsBoolean,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  registerDecorator,
} from 'class-validator';
import { BaseConfig, IsServiceUrl, ToBoolean, ToInt } from '@tandem/platform';

/** PEM from an env var; `\n` escapes (common in .env files and CI secrets) become newlines. */
export function normalizePem(pem: string): string {
  return pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
}

function IsPem(kind: 'private' | 'public') {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: `is${kind}Pem`,
      target: object.constructor,
      propertyName,
      options: { message: `must be a PEM-encoded ${kind} key (EC P-256 or RSA ≥ 2048 bits)` },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            const key =
              kind === 'private' ? createPrivateKey(normalizePem(value)) : createPublicKey(normalizePem(value));
            return key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'rsa';
          } catch {
            return false;
          }
        },
      },
    });
}

export class AuthConfig extends BaseConfig {
  @IsServiceUrl(['postgres:', 'postgresql:'])
  DATABASE_URL!: string;

  @IsPem('private')
  JWT_PRIVATE_KEY!: string;

  /** Extra public keys to publish in the JWKS (the previous key while rotating). */
  @IsOptional()
  @IsPem('public')
  JWT_PUBLIC_KEY?: string;

  @IsOptional()
  @IsString()
  JWT_ISSUER: string = 'tandem-auth';

  @IsOptional()
  @IsString()
  JWT_AUDIENCE: string = 'tandem';

  /** Access token lifetime in seconds: minutes, not hours. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(30)
  @Max(3600)
  ACCESS_TOKEN_TTL: number = 900;

  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(300)
  @Max(90 * 24 * 3600)
  REFRESH_TOKEN_TTL: number = 30 * 24 * 3600;

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12)
  ADMIN_PASSWORD?: string;

  /** Failed logins for one account before it is refused for LOGIN_BLOCK_SECONDS. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_ACCOUNT: number = 5;

  /** Failed logins from one IP (any account) before that IP is refused. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_IP: number = 50;

  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  LOGIN_BLOCK_SECONDS: number = 900;

  /** Registrations and refreshes per IP per minute. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  AUTH_REQUESTS_PER_IP_PER_MINUTE: number = 60;

  /** Run pending migrations at start (default: yes, except in production, where a Job runs them). */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  MIGRATIONS_RUN?: boolean;

  @IsOptional()
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL?: string;
}
