import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { JwtModuleOptions } from '@nestjs/jwt';
import type { Role } from '@tandem/contracts';
import { ACCESS_TOKEN_TYPE } from '@tandem/security';
import { AuthConfig } from './auth.config.js';
import type { SigningKeys } from './signing-keys.js';

export const REFRESH_TOKEN_BYTES = 32;

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

type TokenSettings = Pick<AuthConfig, 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'ACCESS_TOKEN_TTL'>;

/**
 * How JwtModule signs access tokens (docs/contract.md "Auth"): the current key, its `kid`,
 * `typ: at+jwt` (RFC 9068), `iss`, `aud` and a lifetime of minutes; `sub`, `jti`, `sid` and
 * `roles` are added per token.
 */
export function accessTokenSigning(keys: SigningKeys, settings: TokenSettings): JwtModuleOptions {
  const { kid, alg, privateKey } = keys.current;
  return {
    privateKey,
    signOptions: {
      algorithm: alg,
      keyid: kid,
      header: { alg, typ: ACCESS_TOKEN_TYPE },
      issuer: settings.JWT_ISSUER,
      audience: settings.JWT_AUDIENCE,
      expiresIn: settings.ACCESS_TOKEN_TTL,
    },
  };
}

/** Issues access tokens (JWTs signed through @nestjs/jwt) and refresh tokens (opaque random strings). */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly jwt: JwtService,
    @Inject(AuthConfig) private readonly config: AuthConfig,
  ) {}

  get accessTokenTtl(): number {
    return this.config.ACCESS_TOKEN_TTL;
  }

  accessToken(userId: string, sid: string, roles: Role[]): Promise<string> {
    return this.jwt.signAsync({ sid, roles }, { subject: userId, jwtid: randomUUID() });
  }

  /** A refresh token is 256 random bits; only its hash is stored, so a database leak yields nothing usable. */
  refreshToken(): { token: string; hash: Buffer; expiresAt: Date } {
    const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    return {
      token,
      hash: hashRefreshToken(token),
      expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL * 1000),
    };
  }
}
