import { createPrivateKey, createPublicKey } from 'node:crypto';
import { IsEmail, IsOptional, IsString, MinLength, registerDecorator } from 'class-validator';
import { DatabaseSettings, IsDatabaseUrl, IsServiceUrl, OptionalInt } from '@tandem/platform';

/** PEM from an env var; `\n` escapes (common in .env files and CI secrets) become newlines. */
export function normalizePem(pem: string): string {
  return pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
}

/** A PEM-encoded EC P-256 or RSA key, possibly with `\n` escapes (see normalizePem). */
export function IsPem(kind: 'private' | 'public') {
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

/**
 * Every knob of auth, each optional with a default (docs/contract.md, "Configuration"). Standalone
 * validates exactly this and supplies the database and the signing key itself.
 */
export class AuthSettings extends DatabaseSettings {
  /** Extra public keys to publish in the JWKS (the previous key while rotating). */
  @IsOptional()
  @IsPem('public')
  JWT_PUBLIC_KEY?: string;

  /** Access token lifetime in seconds: minutes, not hours. */
  @OptionalInt(30, 3600)
  ACCESS_TOKEN_TTL: number = 900;

  /** Idle lifetime of a refresh token: each refresh issues a new one valid this long. */
  @OptionalInt(300, 90 * 24 * 3600)
  REFRESH_TOKEN_TTL: number = 30 * 24 * 3600;

  /**
   * Absolute lifetime of a session (refresh-token family) from its login: refreshes never extend
   * it, after it the user signs in again (docs/security.md, "Authentication, tokens and revocation").
   */
  @OptionalInt(300, 365 * 24 * 3600)
  REFRESH_TOKEN_ABSOLUTE_TTL: number = 30 * 24 * 3600;

  /**
   * `Cache-Control: max-age` of the JWKS: how long verifiers cache it, so the longest a key dropped
   * from JWT_PUBLIC_KEY keeps verifying (docs/deploy.md, "Signing keys and rotation").
   */
  @OptionalInt(0, 24 * 3600)
  JWKS_MAX_AGE_SECONDS: number = 300;

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12)
  ADMIN_PASSWORD?: string;

  /** Failed logins for one account before it is refused for LOGIN_BLOCK_SECONDS. */
  @OptionalInt(1)
  LOGIN_MAX_FAILURES_PER_ACCOUNT: number = 5;

  /** Failed logins from one IP (any account) before that IP is refused. */
  @OptionalInt(1)
  LOGIN_MAX_FAILURES_PER_IP: number = 50;

  @OptionalInt(1)
  LOGIN_BLOCK_SECONDS: number = 900;

  /** Password hashes (scrypt, ~32 MiB each) computed at once; leaves libuv threads for the rest. */
  @OptionalInt(1, 64)
  PASSWORD_HASH_CONCURRENCY: number = 2;

  /** Hashes waiting for a slot; beyond, logins and registrations answer 503 with Retry-After. */
  @OptionalInt(0, 10_000)
  PASSWORD_HASH_QUEUE: number = 64;

  /** Registrations and refreshes per IP per minute. */
  @OptionalInt(1)
  AUTH_REQUESTS_PER_IP_PER_MINUTE: number = 60;

  @IsOptional()
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL?: string;
}

/** What a deployed auth requires on top of its settings: its database and its signing key. */
export class AuthConfig extends AuthSettings {
  @IsDatabaseUrl()
  DATABASE_URL!: string;

  @IsPem('private')
  JWT_PRIVATE_KEY!: string;
}
