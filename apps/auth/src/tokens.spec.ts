import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AccessTokenVerifier } from '@tandem/security';
import type { AuthConfig } from './auth.config.js';
import { SigningKeys } from './signing-keys.js';
import { accessTokenSigning, hashRefreshToken, REFRESH_TOKEN_BYTES, TokenIssuer } from './tokens.js';

const config = {
  JWT_ISSUER: 'tandem-auth',
  JWT_AUDIENCE: 'tandem',
  ACCESS_TOKEN_TTL: 900,
  REFRESH_TOKEN_TTL: 3600,
} as AuthConfig;

function privatePem(type: 'ec' | 'rsa'): string {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function issuerFor(type: 'ec' | 'rsa'): Promise<{ issuer: TokenIssuer; keys: SigningKeys }> {
  const keys = await SigningKeys.load(privatePem(type));
  return { issuer: new TokenIssuer(new JwtService(accessTokenSigning(keys, config)), config), keys };
}

describe('TokenIssuer access tokens', () => {
  it.each([
    ['ec', 'ES256'],
    ['rsa', 'RS256'],
  ] as const)('%s key: header alg %s, kid of the current key, typ at+jwt', async (type, alg) => {
    const { issuer, keys } = await issuerFor(type);
    const header = decodeProtectedHeader(await issuer.accessToken('u1', 's1', ['customer']));
    expect(header).toEqual({ alg, kid: keys.current.kid, typ: 'at+jwt' });
  });

  it('carries exactly the claims of docs/contract.md "Auth" (plus iat), with a lifetime of ACCESS_TOKEN_TTL', async () => {
    const { issuer } = await issuerFor('ec');
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await issuer.accessToken('user-1', 'session-1', ['customer', 'admin']));
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub']);
    expect(claims).toMatchObject({
      sub: 'user-1',
      sid: 'session-1',
      roles: ['customer', 'admin'],
      iss: 'tandem-auth',
      aud: 'tandem',
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(issuer.accessTokenTtl).toBe(900);
  });

  it('gives every token its own jti', async () => {
    const { issuer } = await issuerFor('ec');
    const jtis = await Promise.all([1, 2, 3].map(async () => decodeJwt(await issuer.accessToken('u', 's', [])).jti));
    expect(new Set(jtis).size).toBe(3);
  });

  it.each(['ec', 'rsa'] as const)(
    'issues %s tokens that the verifier accepts with the published key set',
    async (type) => {
      const { issuer, keys } = await issuerFor(type);
      const verifier = AccessTokenVerifier.local(keys.jwks, { issuer: 'tandem-auth', audience: 'tandem' });
      await expect(verifier.verify(await issuer.accessToken('u1', 's1', ['admin']))).resolves.toMatchObject({
        sub: 'u1',
        sid: 's1',
        roles: ['admin'],
      });
    },
  );

  it('is refused by a verifier that expects another audience or issuer', async () => {
    const { issuer, keys } = await issuerFor('ec');
    const token = await issuer.accessToken('u1', 's1', []);
    for (const options of [
      { issuer: 'tandem-auth', audience: 'elsewhere' },
      { issuer: 'someone', audience: 'tandem' },
    ]) {
      await expect(AccessTokenVerifier.local(keys.jwks, options).verify(token)).rejects.toThrow(/audience|issuer/);
    }
  });
});

describe('TokenIssuer refresh tokens', () => {
  it('are 256 random bits, stored as their SHA-256, expiring after REFRESH_TOKEN_TTL', async () => {
    const { issuer } = await issuerFor('ec');
    const before = Date.now();
    const a = issuer.refreshToken();
    const b = issuer.refreshToken();
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(REFRESH_TOKEN_BYTES);
    expect(a.token).not.toBe(b.token);
    expect(a.hash.equals(hashRefreshToken(a.token))).toBe(true);
    expect(a.hash).toHaveLength(32);
    expect(a.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(a.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it('hash deterministically and differently per token', () => {
    expect(hashRefreshToken('a').equals(hashRefreshToken('a'))).toBe(true);
    expect(hashRefreshToken('a').equals(hashRefreshToken('b'))).toBe(false);
  });
});
