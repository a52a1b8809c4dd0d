import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configureHttpApp, loadConfig } from '@tandem/platform';
import type { BaseConfig } from '@tandem/platform';

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
