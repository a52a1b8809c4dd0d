import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_TYPE_BASE, PROBLEM_TYPE_BY_STATUS } from '@tandem/contracts';
import type { FieldError, ProblemDetails, ProblemType } from '@tandem/contracts';
import { serializeError } from './logging.js';

/** The parse error for text that is not well-formed Unicode (http-app.ts raises it, toProblem names it). */
export const NOT_UNICODE = 'text that is not valid Unicode';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The one error type services throw for expected failures: a status, a stable problem `type`
 * slug and a human-readable detail. The global filter turns it into RFC 9457 problem+json.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: ProblemType,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; retryAfter?: number } = {},
  ) {
    super(detail, status);
  }
}

export const Problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new ProblemException(400, 'validation-failed', detail, { errors }),
  unauthorized: (detail = 'A valid access token is required') =>
    new ProblemException(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }),
  forbidden: (detail = 'You are not allowed to do this') => new ProblemException(403, 'forbidden', detail),
  notFound: (detail = 'Not found') => new ProblemException(404, 'not-found', detail),
  conflict: (slug: ProblemType, detail: string) => new ProblemException(409, slug, detail),
  preconditionFailed: (detail: string) => new ProblemException(412, 'precondition-failed', detail),
  unprocessable: (slug: ProblemType, detail: string) => new ProblemException(422, slug, detail),
  tooManyRequests: (retryAfterSeconds: number, detail = 'Too many requests; try again later') =>
    new ProblemException(429, 'rate-limited', detail, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      retryAfter: retryAfterSeconds,
    }),
  unavailable: (detail: string) => new ProblemException(503, 'unavailable', detail),
};

/** Errors raised by body-parser before a route runs (they carry `status` and `type`). */
interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
}

function typeUri(slug: ProblemType): ProblemDetails['type'] {
  return `${PROBLEM_TYPE_BASE}${slug}`;
}

/** The `type` of an error without a slug of its own, by its status (docs/contract.md, Errors). */
function typeForStatus(status: number): ProblemDetails['type'] {
  return typeUri(PROBLEM_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'internal-server-error' : 'bad-request'));
}

export function toProblem(exception: unknown, instance: string): ProblemDetails & { headers?: Record<string, string> } {
  if (exception instanceof ProblemException) {
    const status = exception.getStatus();
    return {
      type: typeUri(exception.slug),
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: exception.message,
      instance,
      ...(exception.extra.errors ? { errors: exception.extra.errors } : {}),
      ...(exception.extra.retryAfter !== undefined ? { retryAfter: exception.extra.retryAfter } : {}),
      headers: exception.extra.headers,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    return {
      type: typeForStatus(status),
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: message,
      instance,
    };
  }
  const parser = exception as BodyParserError;
  const parserStatus = parser?.status ?? parser?.statusCode;
  if (
    typeof parser?.type === 'string' &&
    typeof parserStatus === 'number' &&
    parserStatus >= 400 &&
    parserStatus < 500
  ) {
    if (parser.type === 'entity.parse.failed' && parser.message === NOT_UNICODE) {
      return {
        type: typeUri('malformed-body'),
        title: STATUS_CODES[400]!,
        status: 400,
        detail: 'The body contains text that is not valid Unicode',
        instance,
      };
    }
    if (parser.type === 'entity.parse.failed') {
      const forbidden = /^forbidden key "(.+)"$/.exec(parser.message ?? '');
      return {
        type: typeUri('malformed-body'),
        title: STATUS_CODES[400]!,
        status: 400,
        detail: forbidden ? 'The body contains a forbidden key' : 'The body is not valid JSON',
        instance,
        ...(forbidden ? { errors: [{ field: forbidden[1]!, message: 'is not allowed' }] } : {}),
      };
    }
    if (parser.type === 'entity.too.complex') {
      return {
        type: typeUri('malformed-body'),
        title: STATUS_CODES[400]!,
        status: 400,
        detail: `The body is too complex: ${parser.message ?? 'too deep or too many values'}`,
        instance,
      };
    }
    const detail =
      parser.type === 'entity.too.large'
        ? 'The body is larger than this endpoint accepts'
        : 'The body could not be read';
    return {
      type: typeForStatus(parserStatus),
      title: STATUS_CODES[parserStatus] ?? 'Error',
      status: parserStatus,
      detail,
      instance,
    };
  }
  return {
    type: typeUri('internal'),
    title: STATUS_CODES[500]!,
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    detail: 'Something went wrong on our side; it has been logged',
    instance,
  };
}

/** Sends problem+json for every error; stack traces go to the log, never to the client. */
export function sendProblem(exception: unknown, req: Request, res: Response, logger: Logger): void {
  const { headers, ...problem } = toProblem(exception, req.originalUrl?.split('?')[0] ?? req.url);
  if (problem.status >= 500) {
    logger.error({ err: serializeError(exception), requestId: req.id }, 'unhandled error');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<Request>(), http.getResponse<Response>(), this.logger);
  }
}
