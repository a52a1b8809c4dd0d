import { IsOptional } from 'class-validator';
import { BaseConfig, ConfigError, IsServiceUrl, loadConfig } from './config.js';

class ExampleConfig extends BaseConfig {
  @IsServiceUrl(['postgres:', 'postgresql:'])
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
