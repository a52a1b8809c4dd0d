import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  registerDecorator,
  validateSync,
} from 'class-validator';
import type { ValidationError, ValidationOptions } from 'class-validator';

/**
 * Configuration is read from the environment once, at boot, into a typed object validated by a
 * class (docs/contract.md, "Configuration"). Nothing else reads `process.env`. A bad value stops the
 * app with a message naming every bad variable.
 *
 * Each app has two classes: `<App>Settings` holds every feature knob, all optional with defaults,
 * and `<App>Config extends <App>Settings` adds what the deployed app requires (its URLs, its key).
 * Standalone validates the settings and supplies the rest itself.
 */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration for ${app}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Accepts only absolute URLs whose scheme is one of `protocols` (e.g. `['postgres:', 'postgresql:']`). */
export function IsServiceUrl(protocols: string[], options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isServiceUrl',
      target: object.constructor,
      propertyName,
      options: { message: `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return protocols.includes(url.protocol) && url.hostname.length > 0;
          } catch {
            return false;
          }
        },
      },
    });
}

/** Turns an env string into an integer (leaving non-numeric strings for the validator to reject). */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

export const ToBoolean = () =>
  Transform(({ value }) =>
    value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value,
  );

/** Comma-separated list → trimmed, non-empty items. */
export const ToList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : value,
  );

/** An optional integer variable within `[min, max]` (numeric strings are converted). */
export function OptionalInt(min: number, max?: number): PropertyDecorator {
  return (target, key) => {
    const decorators = [IsOptional(), ToInt(), IsInt(), Min(min), ...(max === undefined ? [] : [Max(max)])];
    for (const decorate of decorators) decorate(target, key as string);
  };
}

/** Variables every app understands. */
export class BaseConfig {
  @OptionalInt(0, 65535)
  PORT?: number;

  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Comma-separated allowed origins for REST and Socket.IO; absent → same-origin only. */
  @IsOptional()
  @ToList()
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  /** How many proxy hops to trust for the client IP (X-Forwarded-For); 0 behind no proxy. */
  @OptionalInt(0, 10)
  TRUST_PROXY_HOPS: number = 0;

  @IsOptional()
  @IsServiceUrl(['redis:', 'rediss:'])
  REDIS_URL?: string;

  /** `iss` and `aud` of access tokens: auth issues them, every app verifies them. */
  @IsOptional()
  @IsString()
  JWT_ISSUER: string = 'tandem-auth';

  @IsOptional()
  @IsString()
  JWT_AUDIENCE: string = 'tandem';
}

/** A PostgreSQL URL (`postgres://` or `postgresql://`). */
export const IsDatabaseUrl = (options?: ValidationOptions) => IsServiceUrl(['postgres:', 'postgresql:'], options);

/** Settings of an app that owns a PostgreSQL database (auth, commerce): knobs only, no URL. */
export class DatabaseSettings extends BaseConfig {
  /** Run pending migrations at start (default: yes, except in production, where a Job runs them). */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  MIGRATIONS_RUN?: boolean;

  /**
   * PostgreSQL connections each replica keeps. Writes no longer wait for one another (the outbox
   * takes no global lock: docs/events.md), so a replica's concurrent writes are bounded by this pool.
   */
  @OptionalInt(1, 200)
  DATABASE_POOL_SIZE: number = 10;
}

/** What such an app runs on when deployed: its settings and its database. */
export interface DatabaseConfig extends DatabaseSettings {
  DATABASE_URL: string;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const name = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${name}${message.slice(error.property.length)}` : `${name} ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], name)];
  });
}

/**
 * Validates `env` against `schema`. Empty strings count as absent, so `FOO=` in a manifest does not
 * sneak past a required check. Throws ConfigError listing every problem.
 */
export function loadConfig<T extends object>(
  app: string,
  schema: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  // Only the schema's variables travel into the config: PATH, HOME and friends stay behind.
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((meta) => meta.propertyName),
  );
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.has(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(schema, present);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(app, flatten(errors));
  return config;
}
