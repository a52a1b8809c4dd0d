import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { BaseConfig, ConfigError, IsDatabaseUrl, IsServiceUrl, loadConfig, ToBoolean } from '@tandem/platform';
import { AuthConfig, AuthSettings, IsPem } from '../../auth/src/index.js';
import { CommerceSettings } from '../../commerce/src/index.js';
import { RealtimeSettings } from '../../realtime/src/index.js';

/**
 * Variables only standalone reads, and the ones a deployed app requires that standalone defaults
 * (docs/contract.md, "Configuration": the embedded defaults). The apps' own knobs
 * (ACCESS_TOKEN_TTL, REQUESTS_PER_IP_PER_MINUTE…) keep their names and meaning: each app's
 * settings class validates them.
 */
export class StandaloneConfig extends BaseConfig {
  /** Data directory of the embedded database and the generated signing key (default `.data/standalone`). */
  @IsOptional()
  @IsString()
  TANDEM_DATA_DIR: string = '.data/standalone';

  /** Seed the demo catalog and the demo customer (on by default: this is the "first minute" app). */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  TANDEM_DEMO_DATA: boolean = true;

  /** The built storefront page (default: `dist/web` of the checkout). */
  @IsOptional()
  @IsString()
  TANDEM_WEB_DIR?: string;

  /** Absent: the embedded database. */
  @IsOptional()
  @IsDatabaseUrl()
  DATABASE_URL?: string;

  /** Absent: the in-process bus. */
  @IsOptional()
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL?: string;

  /** Absent: a key pair generated at first start and kept in the data directory. */
  @IsOptional()
  @IsPem('private')
  JWT_PRIVATE_KEY?: string;
}

/** Read on its own so that the pair is checked even when another variable of AuthSettings is bad. */
class AdminPair {
  @IsOptional()
  @IsString()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;
}

export interface StandaloneSettings {
  standalone: StandaloneConfig;
  auth: AuthSettings;
  commerce: CommerceSettings;
  realtime: RealtimeSettings;
}

/**
 * Validates every schema and reports all problems at once (one ConfigError for the whole process).
 * `env` defaults to the process environment (read by loadConfig, the one place that does).
 */
export function loadStandaloneSettings(env?: Record<string, string | undefined>): StandaloneSettings {
  const problems: string[] = [];
  function load<T extends object>(schema: new () => T): T {
    try {
      return env === undefined ? loadConfig('standalone', schema) : loadConfig('standalone', schema, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.filter((problem) => !problems.includes(problem)));
      return undefined as unknown as T;
    }
  }
  const settings = {
    standalone: load(StandaloneConfig),
    auth: load(AuthSettings),
    commerce: load(CommerceSettings),
    realtime: load(RealtimeSettings),
  };
  // docs/contract.md, "Configuration": ADMIN_EMAIL/ADMIN_PASSWORD create that admin; half a pair
  // would silently do nothing.
  const admin = load(AdminPair);
  if (admin && Boolean(admin.ADMIN_EMAIL) !== Boolean(admin.ADMIN_PASSWORD)) {
    problems.push(
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together (or neither: a random admin password is printed)',
    );
  }
  if (problems.length > 0) throw new ConfigError('standalone', problems);
  return settings;
}

/**
 * Auth's full configuration in this process: its settings plus the database and signing key that
 * standalone provides. `databaseUrl` only names the database: the TypeORM options come from
 * database.ts, which also knows the embedded one.
 */
export function standaloneAuthConfig(
  auth: AuthSettings,
  provided: { databaseUrl: string; signingKey: string },
): AuthConfig {
  return Object.assign(new AuthConfig(), auth, {
    DATABASE_URL: provided.databaseUrl,
    JWT_PRIVATE_KEY: provided.signingKey,
  });
}
