/**
 * Problem `type` slugs (docs/contract.md, Errors). Clients match on them, so a slug never changes
 * its spelling. The first group is raised by name (`Problems` in @tandem/platform); the second is
 * what an error without a slug of its own gets from its HTTP status (`PROBLEM_TYPE_BY_STATUS`).
 */
export const PROBLEM_TYPES = [
  'validation-failed',
  'unauthorized',
  'forbidden',
  'not-found',
  'precondition-failed',
  'rate-limited',
  'unavailable',
  'email-taken',
  'sku-taken',
  'unknown-product',
  'insufficient-stock',
  'mixed-currencies',
  'invalid-transition',
  'pending-orders-limit',
  'idempotency-in-flight',
  'idempotency-key-reused',
  'malformed-body',
  'internal',
  // From the HTTP status alone (Nest's built-in exceptions, body-parser, health checks).
  'bad-request',
  'method-not-allowed',
  'not-acceptable',
  'request-timeout',
  'conflict',
  'gone',
  'length-required',
  'payload-too-large',
  'uri-too-long',
  'unsupported-media-type',
  'unprocessable-entity',
  'too-many-requests',
  'internal-server-error',
  'not-implemented',
  'bad-gateway',
  'service-unavailable',
  'gateway-timeout',
] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/**
 * The slug of an error that carries none, by HTTP status. A status missing here falls back to
 * `bad-request` (4xx) or `internal-server-error` (5xx).
 */
export const PROBLEM_TYPE_BY_STATUS: Readonly<Record<number, ProblemType>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  409: 'conflict',
  410: 'gone',
  411: 'length-required',
  412: 'precondition-failed',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  422: 'unprocessable-entity',
  429: 'too-many-requests',
  500: 'internal-server-error',
  501: 'not-implemented',
  502: 'bad-gateway',
  503: 'service-unavailable',
  504: 'gateway-timeout',
};

/** Every problem `type` is this base followed by its slug. */
export const PROBLEM_TYPE_BASE = 'https://tandem.dev/problems/';
export type ProblemTypeUri = `${typeof PROBLEM_TYPE_BASE}${ProblemType}`;

export function isProblemType(value: unknown): value is ProblemType {
  return (PROBLEM_TYPES as readonly unknown[]).includes(value);
}

/** The slug of a problem `type` URI; `undefined` when it is not one of ours. */
export function problemTypeOf(uri: unknown): ProblemType | undefined {
  if (typeof uri !== 'string' || !uri.startsWith(PROBLEM_TYPE_BASE)) return undefined;
  const slug = uri.slice(PROBLEM_TYPE_BASE.length);
  return isProblemType(slug) ? slug : undefined;
}

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, the body of every REST error (docs/contract.md, Errors). */
export interface ProblemDetails {
  type: ProblemTypeUri;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
  /** Seconds, present on 429 answers (also sent as the `Retry-After` header). */
  retryAfter?: number;
}

/** Error ack payload of the Socket.IO gateway (docs/contract.md, Realtime). */
export type SocketErrorCode =
  'invalid_request' | 'invalid_channel' | 'forbidden' | 'unauthorized' | 'rate_limited' | 'internal';

export interface SocketError {
  code: SocketErrorCode;
  message: string;
}
