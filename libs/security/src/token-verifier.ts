import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { ROLES } from '@tandem/contracts';
import type { AccessClaims, Role } from '@tandem/contracts';

/** The only signing algorithms Tandem issues; anything else (`none`, HS256…) is refused. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256'];
/** RFC 9068 media type of access tokens: a refresh token or an ID token never carries it. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. */
  clockTolerance?: number;
}

export interface RemoteJwksOptions {
  /** Minimum time between two fetches triggered by an unknown `kid` (ms). */
  cooldownMs?: number;
  /** How long fetched keys are trusted before a refetch (ms). */
  cacheMaxAgeMs?: number;
  timeoutMs?: number;
}

/**
 * Verifies access tokens issued by the auth app: algorithm pinned, `typ`, `iss`, `aud` and `exp`
 * checked, required claims present. Usable by the HTTP guard and by a Socket.IO handshake alike.
 */
export class AccessTokenVerifier {
  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly options: VerifierOptions,
  ) {}

  /**
   * Keys from the auth app's JWKS endpoint. jose caches them and refetches when a token names a
   * `kid` it has not seen (key rotation), at most once per cooldown, so a flood of tokens with
   * random `kid`s cannot turn into a flood of fetches.
   */
  static remote(jwksUrl: string, options: VerifierOptions, remote: RemoteJwksOptions = {}): AccessTokenVerifier {
    const keys = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: remote.cooldownMs ?? 30_000,
      cacheMaxAge: remote.cacheMaxAgeMs ?? 10 * 60_000,
      timeoutDuration: remote.timeoutMs ?? 5_000,
    });
    return new AccessTokenVerifier(keys, options);
  }

  /** Keys known in-process (the auth app itself, standalone mode). */
  static local(jwks: JSONWebKeySet, options: VerifierOptions): AccessTokenVerifier {
    return new AccessTokenVerifier(createLocalJWKSet(jwks), options);
  }

  async verify(token: string): Promise<AccessClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new InvalidTokenError('malformed token');
    }
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat'],
        clockTolerance: this.options.clockTolerance ?? 5,
      });
      const roles = payload['roles'];
      if (!Array.isArray(roles) || !roles.every((role) => ROLES.includes(role as Role))) {
        throw new InvalidTokenError('roles claim is malformed');
      }
      if (typeof payload['sid'] !== 'string') throw new InvalidTokenError('sid claim is malformed');
      return payload as unknown as AccessClaims;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired', true);
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
      throw new InvalidTokenError('token could not be verified');
    }
  }
}
