import { generateKeyPairSync } from 'node:crypto';

export interface SigningKeyPair {
  /** PKCS#8 PEM, as JWT_PRIVATE_KEY takes it. */
  privateKey: string;
  /** SPKI PEM, as JWT_PUBLIC_KEY takes it. */
  publicKey: string;
}

/** A throwaway key pair (ES256 on P-256, or RS256 on RSA 2048), generated per test run (no key is ever committed). */
export function generateSigningKeys(type: 'ec' | 'rsa' = 'ec'): SigningKeyPair {
  const { privateKey, publicKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
