import { IsOptional } from 'class-validator';
import {
  BaseConfig,
  ConfigError,
  DatabaseSettings,
  IsDatabaseUrl,
  IsServiceUrl,
  loadConfig,
  OptionalInt,
} from './config.js';

class ExampleConfig extends BaseConfig {
  @IsDatabaseUrl()
  DATABASE_URL!: string;

  @IsOptional()
  @IsServiceUrl(['amqp:'])
  BROKER_URL?: string;
}

describe('loadConfig', () => {
  it('parses and types the variables, with defaults', () => {
    const config = loadConfig('example', ExampleConfig, {
      DATABASE_URL: 'postgres://u@db:5432/x',
      PORT: '8080',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      PATH: '/usr/bin',
    });
    expect(config.PORT).toBe(8080);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.TRUST_PROXY_HOPS).toBe(0);
    expect(Object.keys(config)).not.toContain('PATH');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig('example', ExampleConfig, { DATABASE_URL: 'mysql://x', PORT: 'eighty', BROKER_URL: 'http://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('example');
    expect(message).toMatch(/DATABASE_URL must be a postgres:\/\//);
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/BROKER_URL must be a amqp:\/\//);
  });

  it('treats an empty string as absent, so a required variable cannot be blanked', () => {
    expect(() => loadConfig('example', ExampleConfig, { DATABASE_URL: '' })).toThrow(/DATABASE_URL/);
  });

  it('rejects URLs without a host', () => {
    expect(() => loadConfig('example', ExampleConfig, { DATABASE_URL: 'postgres://' })).toThrow(/DATABASE_URL/);
  });
});

/** The pattern of every app: knobs with defaults, and the deployed config adding what it requires. */
class ExampleSettings extends DatabaseSettings {
  @OptionalInt(1, 100)
  BATCH: number = 10;
}
class ExampleDeployedConfig extends ExampleSettings {
  @IsDatabaseUrl()
  DATABASE_URL!: string;
}

describe('settings and config', () => {
  it('settings need no variable at all and keep their defaults', () => {
    const settings = loadConfig('example', ExampleSettings, {});
    expect(settings.BATCH).toBe(10);
    expect(settings.MIGRATIONS_RUN).toBeUndefined();
  });

  it('the deployed config validates the same knobs and requires its URL', () => {
    expect(() => loadConfig('example', ExampleDeployedConfig, { BATCH: '5' })).toThrow(/DATABASE_URL/);
    const config = loadConfig('example', ExampleDeployedConfig, {
      DATABASE_URL: 'postgresql://db/x',
      BATCH: '5',
      MIGRATIONS_RUN: 'false',
    });
    expect(config).toEqual(
      expect.objectContaining({ DATABASE_URL: 'postgresql://db/x', BATCH: 5, MIGRATIONS_RUN: false }),
    );
  });

  it('checks bounds and booleans of the knobs in both', () => {
    for (const schema of [ExampleSettings, ExampleDeployedConfig]) {
      let error: unknown;
      try {
        loadConfig('example', schema, { DATABASE_URL: 'postgres://db/x', BATCH: '101', MIGRATIONS_RUN: 'maybe' });
      } catch (e) {
        error = e;
      }
      expect((error as ConfigError).problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^BATCH/), expect.stringMatching(/^MIGRATIONS_RUN/)]),
      );
    }
  });
});
