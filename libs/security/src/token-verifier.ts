import { KeyObject } from 'node:crypto';
import { JsonWebTokenError, JwtService, TokenExpiredError } from '@nestjs/jwt';
import { decodeProtectedHeader, errors } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { ROLES } from '@tandem/contracts';
import type { AccessClaims, Role } from '@tandem/contracts';
import { localKeySet, remoteKeySet } from './key-sets.js';
import type { KeySet, RemoteJwksOptions } from './key-sets.js';
import { InvalidTokenError, TokenCheckUnavailableError } from './token-errors.js';

export { InvalidTokenError, TokenCheckUnavailableError };

/** The only signing algorithms Tandem issues; anything else (`none`, HS256…) is refused. */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];
/** RFC 9068 media type of access tokens: a refresh token or an ID token never carries it. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Longer input is refused before it is parsed. */
const MAX_TOKEN_LENGTH = 4096;

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. */
  clockTolerance?: number;
}

/** `at+jwt` or its full media type `application/at+jwt`, in any case (RFC 8725 §3.11). */
function isAccessTokenType(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === ACCESS_TOKEN_TYPE;
}

/** The algorithms the key set's JWKs name (auth's JWKS names one per key: docs/contract.md "Auth"). */
function publishedAlgorithms(keys: KeySet): string[] {
  return (keys.jwks?.()?.keys ?? []).flatMap((jwk) => (isAlgorithm(jwk.alg) ? [jwk.alg] : []));
}

function isAlgorithm(alg: unknown): alg is AccessTokenAlgorithm {
  return ACCESS_TOKEN_ALGORITHMS.includes(alg as AccessTokenAlgorithm);
}

/** The claims docs/contract.md "Auth" lists, with the types Tandem relies on. */
function accessClaims(payload: unknown): AccessClaims {
  const claims = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  for (const name of ['sub', 'sid', 'jti'] as const) {
    if (typeof claims[name] !== 'string' || claims[name] === '')
      throw new InvalidTokenError(`${name} claim is malformed`);
  }
  for (const name of ['exp', 'iat'] as const) {
    if (typeof claims[name] !== 'number') throw new InvalidTokenError(`${name} claim is missing`);
  }
  const roles = claims['roles'];
  if (!Array.isArray(roles) || !roles.every((role) => ROLES.includes(role as Role))) {
    throw new InvalidTokenError('roles claim is malformed');
  }
  return claims as unknown as AccessClaims;
}

/**
 * Verifies access tokens issued by the auth app (docs/contract.md "Auth"): algorithm pinned, `typ`
 * at+jwt, `iss`, `aud` and `exp` checked, required claims present. @nestjs/jwt checks signature and
 * claims; its key provider resolves the token's `kid` against the key set. Usable by the HTTP guard
 * and by the gateway's handshake alike.
 */
export class AccessTokenVerifier {
  private readonly jwt: JwtService;

  constructor(
    private readonly keys: KeySet,
    options: VerifierOptions,
  ) {
    this.jwt = new JwtService({
      secretOrKeyProvider: (_request, token) => this.keyFor(token as string),
      verifyOptions: {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockTolerance ?? 5,
      },
    });
  }

  /** Keys from the auth app's JWKS endpoint (fetched and cached: see remoteKeySet). */
  static remote(jwksUrl: string, options: VerifierOptions, remote: RemoteJwksOptions = {}): AccessTokenVerifier {
    return new AccessTokenVerifier(remoteKeySet(jwksUrl, remote), options);
  }

  /** Keys known in-process (the auth app itself, standalone mode). */
  static local(jwks: JSONWebKeySet, options: VerifierOptions): AccessTokenVerifier {
    return new AccessTokenVerifier(localKeySet(jwks), options);
  }

  async verify(token: string): Promise<AccessClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('malformed token');
    }
    try {
      return accessClaims(await this.jwt.verifyAsync<object>(token));
    } catch (error) {
      if (error instanceof InvalidTokenError || error instanceof TokenCheckUnavailableError) throw error;
      if (error instanceof TokenExpiredError) throw new InvalidTokenError('token expired', true);
      if (error instanceof JsonWebTokenError) throw new InvalidTokenError(error.message);
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
      throw new InvalidTokenError('token could not be verified');
    }
  }

  /**
   * The public key for a token, from its protected header. The header is checked before any key
   * lookup, so a token with a foreign `alg` or `typ` never costs a JWKS fetch.
   */
  private async keyFor(token: string): Promise<KeyObject> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidTokenError('malformed token');
    }
    if (!isAlgorithm(header.alg)) throw new InvalidTokenError(`algorithm ${String(header.alg)} is not accepted`);
    if (!isAccessTokenType(header.typ)) throw new InvalidTokenError('not an access token (typ)');
    if (typeof header.kid !== 'string') throw new InvalidTokenError('kid header is missing');
    const key = await this.keys({ ...header, alg: header.alg }, { payload: '', signature: '' });
    // Pinned to what the issuer publishes: a key is used only with the `alg` its JWK names, so a
    // JWK without one (which jose would match to any algorithm of its key type) verifies nothing.
    if (!publishedAlgorithms(this.keys).includes(header.alg)) {
      throw new InvalidTokenError(`algorithm ${header.alg} is not published by the issuer`);
    }
    if (key instanceof KeyObject) return key;
    if (key instanceof Uint8Array || !('type' in key)) throw new InvalidTokenError('key set returned an unusable key');
    return KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
  }
}
