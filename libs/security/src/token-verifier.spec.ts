import { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { AccessTokenVerifier, InvalidTokenError, TokenCheckUnavailableError } from './token-verifier.js';

const OPTIONS = { issuer: 'tandem-auth', audience: 'tandem' };

interface Key {
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function newKey(alg: 'ES256' | 'RS256' = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, publicKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' } };
}

/** A token shaped like auth's, with any claim or header overridden (`undefined` removes it). */
function sign(key: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({
      sub: 'u1',
      sid: 's1',
      roles: ['customer'],
      iss: OPTIONS.issuer,
      aud: OPTIONS.audience,
      iat: now,
      exp: now + 300,
      jti: 'j1',
      ...claims,
    }).filter(([, value]) => value !== undefined),
  ) as JWTPayload;
  const protectedHeader = Object.fromEntries(
    Object.entries({ alg: key.alg, kid: key.jwk.kid, typ: 'at+jwt', ...header }).filter(([, v]) => v !== undefined),
  ) as { alg: string };
  return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/** A real HTTP JWKS endpoint in this process that counts how often it is fetched. */
class JwksServer {
  keys: JWK[] = [];
  cacheControl?: string;
  status = 200;
  fetches = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.fetches += 1;
      res.statusCode = this.status;
      res.setHeader('content-type', 'application/json');
      if (this.cacheControl) res.setHeader('cache-control', this.cacheControl);
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AccessTokenVerifier with a remote JWKS', () => {
  let jwks: JwksServer;
  beforeEach(async () => {
    jwks = new JwksServer();
    await jwks.start();
  });
  afterEach(() => jwks.stop());

  it('fetches the key set once and serves later verifications from its cache', async () => {
    const key = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 0 });
    for (let i = 0; i < 5; i += 1) {
      const claims = await verifier.verify(await sign(key));
      expect(claims.sub).toBe('u1');
    }
    expect(jwks.fetches).toBe(1);
  });

  it('refetches when a token names an unknown kid (key rotation) and accepts the new key', async () => {
    const oldKey = await newKey();
    const newKeyPair = await newKey('RS256');
    jwks.keys = [oldKey.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 0 });
    await verifier.verify(await sign(oldKey));
    expect(jwks.fetches).toBe(1);

    jwks.keys = [newKeyPair.jwk, oldKey.jwk]; // auth rotated; the old key is still published
    const claims = await verifier.verify(await sign(newKeyPair));
    expect(claims.sub).toBe('u1');
    expect(jwks.fetches).toBe(2);
    await verifier.verify(await sign(oldKey)); // still trusted, from cache
    expect(jwks.fetches).toBe(2);
  });

  it('limits refetches for unknown kids to one per cooldown', async () => {
    const known = await newKey();
    const stranger = await newKey();
    jwks.keys = [known.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000 });
    await verifier.verify(await sign(known));
    for (let i = 0; i < 5; i += 1) {
      await expect(verifier.verify(await sign(stranger))).rejects.toBeInstanceOf(InvalidTokenError);
    }
    expect(jwks.fetches).toBe(1);
  });

  it('never fetches for a token whose alg or typ it refuses anyway', async () => {
    const key = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 0 });
    await expect(verifier.verify(await sign(key, {}, { typ: 'JWT' }))).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(new UnsecuredJWT({ sub: 'u1' }).encode())).rejects.toBeInstanceOf(InvalidTokenError);
    expect(jwks.fetches).toBe(0);
  });

  it('stops trusting a key that was removed from the set once the cache expires', async () => {
    const key = await newKey();
    const next = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000, cacheMaxAgeMs: 1 });
    await verifier.verify(await sign(key));
    jwks.keys = [next.jwk];
    await sleep(10);
    await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it("refetches once the response's max-age has passed, even when its own lifetime is longer", async () => {
    const key = await newKey();
    const next = await newKey();
    jwks.keys = [key.jwk];
    jwks.cacheControl = 'public, max-age=1';
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000, cacheMaxAgeMs: 600_000 });
    await verifier.verify(await sign(key));
    jwks.keys = [next.jwk];
    await verifier.verify(await sign(key)); // within max-age: from cache
    expect(jwks.fetches).toBe(1);
    await sleep(1100);
    await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(await sign(next))).resolves.toEqual(expect.objectContaining({ sub: 'u1' }));
    expect(jwks.fetches).toBe(2);
  });

  it('keeps the keys it holds when a max-age refetch fails (auth restarting), retrying once per cooldown', async () => {
    const key = await newKey();
    jwks.keys = [key.jwk];
    jwks.cacheControl = 'max-age=1';
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000, cacheMaxAgeMs: 600_000 });
    await verifier.verify(await sign(key));
    jwks.status = 503;
    await sleep(1100);
    for (let i = 0; i < 3; i += 1) {
      await expect(verifier.verify(await sign(key))).resolves.toEqual(expect.objectContaining({ sub: 'u1' }));
    }
    expect(jwks.fetches).toBe(2);
  });

  it('fails closed, as unavailable (not invalid), once its keys are older than cacheMaxAgeMs and auth does not answer', async () => {
    const key = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 0, cacheMaxAgeMs: 1 });
    await verifier.verify(await sign(key));
    jwks.status = 503;
    await sleep(10);
    await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(TokenCheckUnavailableError);
  });

  it('calls an unreachable JWKS endpoint unavailable, with a Retry-After, not an invalid token', async () => {
    const key = await newKey();
    const verifier = AccessTokenVerifier.remote('http://127.0.0.1:1/jwks', OPTIONS, { timeoutMs: 500 });
    const error = await verifier.verify(await sign(key)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenCheckUnavailableError);
    expect((error as TokenCheckUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('after a failed fetch, answers unavailable without fetching again until the retry time', async () => {
    const key = await newKey();
    jwks.status = 503;
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000 });
    for (let i = 0; i < 5; i += 1) {
      await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(TokenCheckUnavailableError);
    }
    expect(jwks.fetches).toBe(1);
  });

  it('still calls a token with an unknown kid invalid while the set is fresh', async () => {
    const key = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 60_000 });
    await verifier.verify(await sign(key));
    await expect(verifier.verify(await sign(await newKey()))).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('AccessTokenVerifier claim and header checks', () => {
  let key: Key;
  let rsaKey: Key;
  let verifier: AccessTokenVerifier;
  beforeAll(async () => {
    key = await newKey();
    rsaKey = await newKey('RS256');
    verifier = AccessTokenVerifier.local({ keys: [key.jwk, rsaKey.jwk] }, OPTIONS);
  });

  it.each(['ES256', 'RS256'] as const)('accepts a well-formed %s token', async (alg) => {
    await expect(verifier.verify(await sign(alg === 'ES256' ? key : rsaKey))).resolves.toEqual(
      expect.objectContaining({ sub: 'u1', sid: 's1', roles: ['customer'], jti: 'j1' }),
    );
  });

  it('accepts the full media type application/at+jwt', async () => {
    await expect(verifier.verify(await sign(key, {}, { typ: 'application/at+jwt' }))).resolves.toBeTruthy();
  });

  it('marks expired tokens as expired', async () => {
    const token = await sign(key, { iat: 1000, exp: 2000 });
    await expect(verifier.verify(token)).rejects.toMatchObject({ expired: true });
  });

  it('tolerates a few seconds of clock skew on exp, not more', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await sign(key, { exp: now - 2 }))).resolves.toBeTruthy();
    await expect(verifier.verify(await sign(key, { exp: now - 30 }))).rejects.toMatchObject({ expired: true });
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign(key)).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'u1', sid: 's1', roles: ['admin'], jti: 'j1' })).toString(
      'base64url',
    );
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a flipped signature', async () => {
    const [header, payload, signature] = (await sign(key)).split('.');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[3] = bytes[3]! ^ 0xff;
    await expect(verifier.verify(`${header}.${payload}.${bytes.toString('base64url')}`)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('refuses alg none', async () => {
    const token = new UnsecuredJWT({ sub: 'u1', sid: 's1', roles: ['admin'], jti: 'j1', iss: 'tandem-auth' })
      .setAudience('tandem')
      .setExpirationTime('5m')
      .encode();
    await expect(verifier.verify(token)).rejects.toThrow('algorithm none is not accepted');
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    const token = await new SignJWT({ sub: 'u1', sid: 's1', roles: ['admin'], jti: 'j1' })
      .setProtectedHeader({ alg: 'HS256', kid: key.jwk.kid!, typ: 'at+jwt' })
      .setIssuer(OPTIONS.issuer)
      .setAudience(OPTIONS.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    await expect(verifier.verify(token)).rejects.toThrow('algorithm HS256 is not accepted');
  });

  it("refuses a token whose alg does not match its key's", async () => {
    // An ES256 key named in an RS256 header: no key of the set can verify it.
    const token = await sign(rsaKey, {}, { kid: key.jwk.kid });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it.each([
    ['no typ', { typ: undefined }],
    ['typ JWT (e.g. an ID token)', { typ: 'JWT' }],
    ['typ refresh+jwt', { typ: 'refresh+jwt' }],
  ])('refuses a token with %s', async (_name, header) => {
    await expect(verifier.verify(await sign(key, {}, header))).rejects.toThrow('not an access token (typ)');
  });

  it('is pinned to the algorithm each JWK names: a JWK without alg verifies nothing', async () => {
    // jose alone would match an alg-less RSA JWK to any RSA algorithm the verifier allows.
    const { alg: _alg, ...bare } = rsaKey.jwk;
    const pinned = AccessTokenVerifier.local({ keys: [key.jwk, bare] }, OPTIONS);
    await expect(pinned.verify(await sign(rsaKey))).rejects.toThrow('algorithm RS256 is not published by the issuer');
    await expect(pinned.verify(await sign(key))).resolves.toBeTruthy();
  });

  it('refuses a token in another asymmetric algorithm than its key is published for (PS256 on an RS256 key)', async () => {
    const token = await new SignJWT({ sid: 's1', roles: ['admin'], jti: 'j1' })
      .setProtectedHeader({ alg: 'PS256', kid: rsaKey.jwk.kid!, typ: 'at+jwt' })
      .setSubject('u1')
      .setIssuer(OPTIONS.issuer)
      .setAudience(OPTIONS.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(KeyObject.from(rsaKey.privateKey));
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token without kid, and one whose kid is not in the set', async () => {
    const stranger = await newKey();
    await expect(verifier.verify(await sign(key, {}, { kid: undefined }))).rejects.toThrow('kid header is missing');
    await expect(verifier.verify(await sign(stranger))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example' }],
    ['no issuer', { iss: undefined }],
    ['a wrong audience', { aud: 'someone-else' }],
    ['no audience', { aud: undefined }],
    ['no exp', { exp: undefined }],
    ['no iat', { iat: undefined }],
    ['no jti', { jti: undefined }],
    ['no sub', { sub: undefined }],
    ['unknown roles', { roles: ['root'] }],
    ['roles not an array', { roles: 'admin' }],
    ['a non-string sid', { sid: 42 }],
    ['a token not valid yet', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
  ])('refuses %s', async (_name, claims) => {
    await expect(verifier.verify(await sign(key, claims))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it.each([
    ['an opaque refresh token', 'q0Yb1gkGm2t2Wf6Xg3hQv6t0G2xkqJ2m9zJkQ0m1r8w'],
    ['garbage with dots', 'not.a.jwt'],
    ['an empty string', ''],
  ])('refuses %s as malformed', async (_name, token) => {
    await expect(verifier.verify(token)).rejects.toThrow('malformed token');
  });

  it('refuses oversized input without parsing it', async () => {
    await expect(verifier.verify('a'.repeat(10_000))).rejects.toThrow('malformed token');
  });
});
