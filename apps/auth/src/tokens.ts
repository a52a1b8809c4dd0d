import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { Role } from '@tandem/contracts';
import { ACCESS_TOKEN_TYPE } from '@tandem/security';
import { AuthConfig } from './auth.config.js';
import { SigningKeys } from './signing-keys.js';

export const REFRESH_TOKEN_BYTES = 32;

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Issues access tokens (signed JWTs) and refresh tokens (opaque random strings). */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    @Inject(AuthConfig) private readonly config: AuthConfig,
  ) {}

  get accessTokenTtl(): number {
    return this.config.ACCESS_TOKEN_TTL;
  }

  async accessToken(userId: string, sid: string, roles: Role[]): Promise<string> {
    const { kid, alg, privateKey } = this.keys.current;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid, roles })
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(userId)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.config.ACCESS_TOKEN_TTL)
      .setJti(randomUUID())
      .sign(privateKey);
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
