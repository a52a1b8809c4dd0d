import { problemTypeOf } from '@tandem/contracts';
import type { ProblemDetails, ProblemType, SocketError } from '@tandem/contracts';

/** A REST answer that was not 2xx, with its RFC 9457 body when the server sent one. */
export class TandemApiError extends Error {
  /** The problem's slug (`insufficient-stock`, `rate-limited`…); undefined without a problem body. */
  readonly type: ProblemType | undefined;

  constructor(
    readonly status: number,
    readonly problem: ProblemDetails | undefined,
    readonly headers: Headers,
    message = problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`,
  ) {
    super(message);
    this.name = 'TandemApiError';
    this.type = problemTypeOf(problem?.type);
  }
}

/** A socket ack `{ ok: false, error }`. */
export class TandemSocketError extends Error {
  constructor(readonly error: SocketError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'TandemSocketError';
  }
}
