import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { JSONWebKeySet, JWK } from 'jose';
import type { AccessTokenAlgorithm } from '@tandem/security';
import { normalizePem } from './auth.config.js';

export interface SigningKey {
  kid: string;
  alg: AccessTokenAlgorithm;
  privateKey: KeyObject;
}

/** The algorithm a key signs with (docs/contract.md "Auth": ES256 or RS256, nothing weaker). */
function algorithmOf(key: KeyObject): AccessTokenAlgorithm {
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

/** The JWK of a public key, named by its RFC 7638 thumbprint. */
async function publicJwk(publicKey: KeyObject): Promise<JWK> {
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: algorithmOf(publicKey), use: 'sig' };
}

/** Every PEM block of a string (JWT_PUBLIC_KEY may hold several keys during a rotation). */
export function pemBlocks(pem: string): string[] {
  return normalizePem(pem).match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}

/**
 * The signing key (private, never leaves auth) and the JWK set verifiers fetch: the current key
 * first, then the retired keys of JWT_PUBLIC_KEY (docs/deploy.md "Signing keys and rotation").
 * The `kid` is the RFC 7638 thumbprint, so a new key always gets a new `kid` and verifiers refetch
 * the set.
 */
export class SigningKeys {
  private constructor(
    readonly current: SigningKey,
    readonly jwks: JSONWebKeySet,
  ) {}

  /** Throws on a key that is not a PEM EC P-256 / RSA ≥ 2048 key. */
  static async load(privatePem: string, retiredPublicPem?: string): Promise<SigningKeys> {
    const privateKey = createPrivateKey(normalizePem(privatePem));
    const current = await publicJwk(createPublicKey(privateKey));
    // createPublicKey also accepts a private key PEM and keeps only its public half.
    const retired = await Promise.all(pemBlocks(retiredPublicPem ?? '').map((pem) => publicJwk(createPublicKey(pem))));
    const keys = [current, ...retired].filter((jwk, i, all) => all.findIndex((other) => other.kid === jwk.kid) === i);
    return new SigningKeys({ kid: current.kid!, alg: algorithmOf(privateKey), privateKey }, { keys });
  }
}
