import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK, CryptoKey } from 'jose';
import { AccessTokenVerifier, InvalidTokenError } from './token-verifier.js';

const OPTIONS = { issuer: 'tandem-auth', audience: 'tandem' };

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' } };
}

function sign(key: Key, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sid: 's1', roles: ['customer'], ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid!, typ: 'at+jwt' })
    .setSubject('u1')
    .setIssuer(OPTIONS.issuer)
    .setAudience(OPTIONS.audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti('j1')
    .sign(key.privateKey);
}

/** A real HTTP JWKS endpoint that counts how often it is fetched. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

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
    const newKeyPair = await newKey();
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
    expect(jwks.fetches).toBeLessThanOrEqual(2);
  });

  it('stops trusting a key that was removed from the set once the cache expires', async () => {
    const key = await newKey();
    const next = await newKey();
    jwks.keys = [key.jwk];
    const verifier = AccessTokenVerifier.remote(jwks.url, OPTIONS, { cooldownMs: 0, cacheMaxAgeMs: 1 });
    await verifier.verify(await sign(key));
    jwks.keys = [next.jwk];
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('fails closed when the JWKS endpoint is unreachable', async () => {
    const key = await newKey();
    const verifier = AccessTokenVerifier.remote('http://127.0.0.1:1/jwks', OPTIONS, { timeoutMs: 500 });
    await expect(verifier.verify(await sign(key))).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('AccessTokenVerifier claim checks', () => {
  let key: Key;
  let verifier: AccessTokenVerifier;
  beforeAll(async () => {
    key = await newKey();
    verifier = AccessTokenVerifier.local({ keys: [key.jwk] }, OPTIONS);
  });

  it('accepts a well-formed token', async () => {
    await expect(verifier.verify(await sign(key))).resolves.toEqual(
      expect.objectContaining({ sub: 'u1', sid: 's1', roles: ['customer'] }),
    );
  });

  it('marks expired tokens as expired', async () => {
    const token = await new SignJWT({ sid: 's', roles: [] })
      .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid!, typ: 'at+jwt' })
      .setSubject('u1')
      .setIssuer(OPTIONS.issuer)
      .setAudience(OPTIONS.audience)
      .setIssuedAt(1000)
      .setExpirationTime(2000)
      .setJti('j')
      .sign(key.privateKey);
    await expect(verifier.verify(token)).rejects.toMatchObject({ expired: true });
  });

  it.each([
    ['unknown roles', { roles: ['root'] }],
    ['roles not an array', { roles: 'admin' }],
    ['a non-string sid', { sid: 42 }],
  ])('refuses %s', async (_name, claims) => {
    await expect(verifier.verify(await sign(key, claims))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses oversized input without parsing it', async () => {
    await expect(verifier.verify('a'.repeat(10_000))).rejects.toThrow('malformed token');
  });
});
