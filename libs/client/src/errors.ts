import type { ProblemDetails, SocketError } from '@tandem/contracts';

/** A REST answer that was not 2xx, with its RFC 9457 body when the server sent one. */
export class TandemApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails | undefined,
    readonly headers: Headers,
  ) {
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'TandemApiError';
  }
}

/** A socket ack `{ ok: false, error }`. */
export class TandemSocketError extends Error {
  constructor(readonly error: SocketError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'TandemSocketError';
  }
}
