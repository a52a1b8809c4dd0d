import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import type { DynamicModule } from '@nestjs/common';

/** Anything that may carry a credential is redacted from every log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.privateKey',
];

/** What a log line keeps of an error: never its other fields. */
export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  /** A driver's error code (PostgreSQL SQLSTATE, Node's `ECONNREFUSED`…): safe and useful. */
  code?: string;
}

/**
 * Serializes an error for the log with its name, message, stack and code only (docs/security.md,
 * "Orders, stock and input"). A generic serializer copies every enumerable field, and TypeORM's
 * QueryFailedError carries the statement's `parameters` (password hashes, token hashes, emails)
 * and the driver's error with the offending row in `detail`: none of that is written.
 */
export function serializeError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor?.name ?? error.name,
    message: error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
  };
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's X-Request-Id when it is safe to log, otherwise mints one; echoes it back. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** pino options shared by every app: JSON lines, credentials redacted, a request id on each line. */
export function pinoHttpOptions(app: string, level: string): Options {
  return {
    name: app,
    level,
    genReqId: requestId,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
    customProps: (req) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
    serializers: {
      err: serializeError,
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
      }),
    },
  };
}

export function loggingModule(app: string, level: string): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: pinoHttpOptions(app, level) });
}
