import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { pemBlocks, SigningKeys } from './signing-keys.js';

function pair(type: 'ec' | 'rsa' | 'ed25519', detail?: string | number): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: (detail as string) ?? 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: (detail as number) ?? 2048 })
        : generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** How a PEM looks in a .env file or a CI secret: one line, `\n` escapes. */
const escaped = (pem: string) => pem.replace(/\n/g, '\\n');

describe('SigningKeys', () => {
  const ec = pair('ec');
  const rsa = pair('rsa');

  it.each([
    ['EC P-256', ec, 'ES256', 'EC'],
    ['RSA 2048', rsa, 'RS256', 'RSA'],
  ])(
    'loads an %s key: ES256/RS256, kid = RFC 7638 thumbprint, only public parts published',
    async (_n, key, alg, kty) => {
      const keys = await SigningKeys.load(key.privatePem);
      const expected = createPublicKey(key.publicPem).export({ format: 'jwk' }) as JWK;
      expect(keys.current.alg).toBe(alg);
      expect(keys.current.kid).toBe(await calculateJwkThumbprint(expected));
      expect(keys.current.privateKey.type).toBe('private');
      expect(keys.jwks.keys).toEqual([{ ...expected, kty, kid: keys.current.kid, alg, use: 'sig' }]);
      for (const jwk of keys.jwks.keys) expect(jwk).not.toHaveProperty('d');
    },
  );

  it('reads PEMs with \\n escapes (.env files, CI secrets)', async () => {
    const keys = await SigningKeys.load(escaped(ec.privatePem), escaped(rsa.publicPem));
    expect(keys.current.alg).toBe('ES256');
    expect(keys.jwks.keys.map((jwk) => jwk.alg)).toEqual(['ES256', 'RS256']);
  });

  it('publishes the current key first, then every retired key of JWT_PUBLIC_KEY', async () => {
    const older = pair('ec');
    const keys = await SigningKeys.load(rsa.privatePem, `${ec.publicPem}\n${older.publicPem}`);
    const kids = await Promise.all(
      [rsa, ec, older].map((key) =>
        calculateJwkThumbprint(createPublicKey(key.publicPem).export({ format: 'jwk' }) as JWK),
      ),
    );
    expect(keys.jwks.keys.map((jwk) => jwk.kid)).toEqual(kids);
  });

  it('publishes the current key once when JWT_PUBLIC_KEY also holds it (the deploy Secret does)', async () => {
    const keys = await SigningKeys.load(ec.privatePem, ec.publicPem);
    expect(keys.jwks.keys).toHaveLength(1);
  });

  it('publishes only the public half of a private key put in JWT_PUBLIC_KEY', async () => {
    const keys = await SigningKeys.load(ec.privatePem, rsa.privatePem);
    expect(keys.jwks.keys).toHaveLength(2);
    expect(keys.jwks.keys[1]).not.toHaveProperty('d');
  });

  it.each([
    ['an EC key on another curve', () => pair('ec', 'P-384').privatePem, 'P-256'],
    ['an RSA key under 2048 bits', () => pair('rsa', 1024).privatePem, '2048'],
    ['an Ed25519 key', () => pair('ed25519').privatePem, 'unsupported'],
  ])('refuses %s as signing key', async (_name, pem, message) => {
    await expect(SigningKeys.load(pem())).rejects.toThrow(message);
  });

  it('refuses a weak retired key too', async () => {
    await expect(SigningKeys.load(ec.privatePem, pair('rsa', 1024).publicPem)).rejects.toThrow('2048');
  });
});

describe('pemBlocks', () => {
  it('splits several PEM blocks and ignores text around them', () => {
    const a = pair('ec').publicPem;
    const b = pair('ec').publicPem;
    expect(pemBlocks(`# retired 2026-11\n${a}\n# retired 2026-10\n${escaped(b)}`)).toEqual([a.trim(), b.trim()]);
  });

  it('finds nothing in an empty or PEM-less string', () => {
    expect(pemBlocks('')).toEqual([]);
    expect(pemBlocks('not a key')).toEqual([]);
  });
});
