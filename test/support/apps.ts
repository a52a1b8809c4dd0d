import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { OutboxModule } from '@tandem/messaging';
import type { InProcessBroker } from '@tandem/messaging';
import {
  configureHttpApp,
  DatabaseProbe,
  HealthModule,
  loadConfig,
  MetricsModule,
  RedisModule,
  RedisProbe,
} from '@tandem/platform';
import type { BaseConfig } from '@tandem/platform';
import { SecurityModule } from '@tandem/security';
import type { AccessTokenVerifier } from '@tandem/security';

export interface RunningApp<C> {
  app: NestExpressApplication;
  config: C;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/**
 * Boots an app module exactly as main.ts does (same config validation, same HTTP pipeline) on a
 * random port, from an env map instead of process.env.
 */
export async function startApp<C extends BaseConfig>(
  name: string,
  schema: new () => C,
  module: (config: C) => DynamicModule,
  env: Record<string, string | undefined>,
  beforeListen?: (app: NestExpressApplication, config: C) => Promise<void> | void,
): Promise<RunningApp<C>> {
  const config = loadConfig(name, schema, { LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [module(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureHttpApp(app as INestApplication, config);
  await beforeListen?.(app, config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export interface InProcessParts {
  name: string;
  /** An embedded database (createEmbeddedTestDatabase): its pool must be one connection. */
  database: DataSourceOptions;
  /** Carries what the outbox relay publishes; the test consumes from it. */
  broker: InProcessBroker;
  /** For apps that verify tokens they did not issue (commerce). */
  verifier?: AccessTokenVerifier;
}

/**
 * The medium tier's stand-in for an app module's infrastructure: what `<App>AppModule` provides
 * when deployed, with in-process fakes of its boundaries (the embedded database, no Redis so limits
 * and stores are in memory, the in-process broker under the real outbox relay). The feature module
 * goes on top, unchanged.
 */
export function inProcessInfrastructure(parts: InProcessParts): (DynamicModule | Type)[] {
  return [
    TypeOrmModule.forRoot(parts.database),
    RedisModule.forRoot(undefined, parts.name),
    ...(parts.verifier ? [SecurityModule.forRoot(parts.verifier)] : []),
    // No LISTEN on the embedded database (no URL in its options): the relay polls, briskly.
    OutboxModule.forRoot({ name: parts.name, publisher: parts.broker, relay: { pollIntervalMs: 25 } }),
    MetricsModule,
    HealthModule.forRoot([DatabaseProbe, RedisProbe]),
  ];
}
