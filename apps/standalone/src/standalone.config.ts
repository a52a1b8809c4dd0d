import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { BaseConfig, ConfigError, IsServiceUrl, loadConfig, ToBoolean } from '@tandem/platform';
import { AuthConfig } from '../../auth/src/auth.config.js';
import { CommerceConfig } from '../../commerce/src/commerce.config.js';
import { RealtimeConfig } from '../../realtime/src/index.js';

/**
 * Variables only standalone reads. The apps' own variables (ACCESS_TOKEN_TTL, HISTORY_MAX_EVENTS…)
 * keep their names and meaning: they are validated by each app's schema below, with the
 * contract's "standalone: embedded default" variables made optional.
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

  @IsOptional()
  @IsServiceUrl(['postgres:', 'postgresql:'])
  DATABASE_URL?: string;

  @IsOptional()
  @IsServiceUrl(['amqp:', 'amqps:'])
  BROKER_URL?: string;
}

// The contract's Configuration table: in standalone these fall back to embedded defaults, so the
// apps' schemas are reused with those variables made optional (the decorators are applied by hand:
// redeclaring the fields would shadow the parents' under useDefineForClassFields).
class StandaloneAuthConfig extends AuthConfig {}
class StandaloneCommerceConfig extends CommerceConfig {}
class StandaloneRealtimeConfig extends RealtimeConfig {}
for (const [schema, names] of [
  [StandaloneAuthConfig, ['DATABASE_URL', 'JWT_PRIVATE_KEY']],
  [StandaloneCommerceConfig, ['DATABASE_URL', 'BROKER_URL', 'AUTH_JWKS_URL']],
  [StandaloneRealtimeConfig, ['BROKER_URL', 'AUTH_JWKS_URL']],
] as const) {
  for (const name of names) IsOptional()(schema.prototype, name);
}

/** Read on its own so that the pair is checked even when another variable of AuthConfig is bad. */
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
  /** DATABASE_URL and JWT_PRIVATE_KEY are filled in at boot when they were absent. */
  auth: AuthConfig;
  commerce: CommerceConfig;
  realtime: RealtimeConfig;
}

/** Validates every schema and reports all problems at once (one ConfigError for the whole process). */
/** `env` defaults to the process environment (read by loadConfig, the one place that does). */
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
    auth: load(StandaloneAuthConfig),
    commerce: load(StandaloneCommerceConfig),
    realtime: load(StandaloneRealtimeConfig),
  };
  // contract: ADMIN_EMAIL/ADMIN_PASSWORD create that admin; half a pair would silently do nothing.
  const admin = load(AdminPair);
  if (admin && Boolean(admin.ADMIN_EMAIL) !== Boolean(admin.ADMIN_PASSWORD)) {
    problems.push(
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together (or neither: a random admin password is printed)',
    );
  }
  if (problems.length > 0) throw new ConfigError('standalone', problems);
  return settings;
}
