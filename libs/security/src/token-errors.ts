/** Why an access token was not accepted: invalid (401) or not checkable right now (503). */

export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/**
 * The token could not be checked (auth's JWKS or the session denylist does not answer): neither
 * valid nor invalid. Callers answer 503 with Retry-After, never 401, so that clients retry instead
 * of logging their user out (docs/security.md, "Authentication, tokens and revocation").
 */
export class TokenCheckUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TokenCheckUnavailableError';
  }
}
