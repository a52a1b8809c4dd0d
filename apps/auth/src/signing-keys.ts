import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { JSONWebKeySet, JWK } from 'jose';
import { normalizePem } from './auth.config.js';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
}

function algorithmOf(key: KeyObject): 'ES256' | 'RS256' {
  if (key.asymmetricKeyType === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('JWT keys on EC must use the P-256 curve');
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new Error('JWT RSA keys must have at least 2048 bits');
    return 'RS256';
  }
  throw new Error(`unsupported JWT key type ${key.asymmetricKeyType}`);
}

async function publicJwk(key: KeyObject, alg: string): Promise<JWK> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

/** Every PEM block of a string (JWT_PUBLIC_KEY may hold several keys during a rotation). */
function pemBlocks(pem: string): string[] {
  return normalizePem(pem).match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}

/**
 * The signing key (private, never leaves auth) and the JWK set verifiers fetch. The `kid` is the
 * RFC 7638 thumbprint, so a new key always gets a new `kid` and verifiers refetch the set.
 */
export class SigningKeys {
  private constructor(
    readonly current: SigningKey,
    readonly jwks: JSONWebKeySet,
  ) {}

  static async load(privatePem: string, extraPublicPem?: string): Promise<SigningKeys> {
    const privateKey = createPrivateKey(normalizePem(privatePem));
    const alg = algorithmOf(privateKey);
    const current = await publicJwk(privateKey, alg);
    const extra = await Promise.all(
      pemBlocks(extraPublicPem ?? '').map((pem) => {
        const key = createPublicKey(pem);
        return publicJwk(key, algorithmOf(key));
      }),
    );
    const keys = [current, ...extra.filter((jwk) => jwk.kid !== current.kid)];
    return new SigningKeys({ kid: current.kid!, alg, privateKey }, { keys });
  }
}
