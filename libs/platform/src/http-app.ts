import { Logger as NestLogger } from '@nestjs/common';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from './config.js';
import type { BaseConfig } from './config.js';
import { NOT_UNICODE, ProblemFilter, sendProblem } from './problem.js';
import { serveOpenApi } from './openapi.js';
import { createValidationPipe } from './validation.js';
import { trustProxyHops } from './client-ip.js';
import { assertJsonShape } from './json-limits.js';

/** Largest JSON body any route accepts; bigger bodies get 413 problem+json. */
export const MAX_JSON_BODY = '64kb';

/**
 * Refused while parsing, before any code sees them: keys that could reach an object's prototype,
 * and text that is not well-formed Unicode (a lone surrogate such as `"\ud800"` is valid JSON, but
 * PostgreSQL cannot store it and would fail the request with a 500).
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
function rejectHostileJson(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`forbidden key "${key}"`);
  if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) {
    throw new SyntaxError(NOT_UNICODE);
  }
  return value;
}

/**
 * Everything an HTTP app needs regardless of which modules it hosts: body limits (size, depth and
 * value count: docs/security.md, "Orders, stock and input"), validation,
 * problem+json errors, CORS, proxy trust. Used by every main.ts and by the e2e tests, so the tests
 * exercise the same pipeline as production.
 */
export function configureHttpApp(app: INestApplication, config: BaseConfig): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // ETags are the product's version (docs/contract.md, "Catalog"), set by the routes; Express's body hashes are not.
  express.set('etag', false);
  express.set('trust proxy', trustProxyHops(config.TRUST_PROXY_HOPS));
  // Express's own parser rather than useBodyParser, whose options type reserves `verify` for raw bodies.
  express.use(
    json({ limit: MAX_JSON_BODY, reviver: rejectHostileJson, verify: (_req, _res, body) => assertJsonShape(body) }),
  );
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  // Body-parser errors happen before routing; answer them in the same problem+json shape.
  const logger = new NestLogger('http');
  express.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    sendProblem(error, req, res, logger);
  });
  if (config.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.CORS_ORIGINS,
      credentials: true,
      exposedHeaders: ['ETag', 'X-Stream-Offset', 'X-Request-Id', 'Retry-After'],
    });
  }
  app.enableShutdownHooks();
}

export interface RunOptions<C extends BaseConfig> {
  name: string;
  defaultPort: number;
  config: new () => C;
  module: (config: C) => DynamicModule;
  /** Runs after the app is configured and before it listens (e.g. the Socket.IO adapter). */
  beforeListen?: (app: NestExpressApplication, config: C) => Promise<void> | void;
}

/** Validates config (exiting with a message naming each bad variable), boots and listens. */
export async function runApp<C extends BaseConfig>(options: RunOptions<C>): Promise<NestExpressApplication> {
  let config: C;
  try {
    config = loadConfig(options.name, options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await NestFactory.create<NestExpressApplication>(options.module(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, config);
  if (config.NODE_ENV !== 'production') serveOpenApi(app, `Tandem ${options.name}`);
  await options.beforeListen?.(app, config);
  const port = config.PORT ?? options.defaultPort;
  await app.listen(port);
  app.get(Logger).log(`${options.name} listening on port ${port}`);
  return app;
}
