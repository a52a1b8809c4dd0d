import { generateKeyPairSync } from 'node:crypto';

/** A throwaway ES256 key pair, generated per test run (no key is ever committed). */
export function generateSigningKeys(type: 'ec' | 'rsa' = 'ec'): { privateKey: string; publicKey: string } {
  const options = type === 'ec' ? ({ namedCurve: 'P-256' } as const) : ({ modulusLength: 2048 } as const);
  const { privateKey, publicKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
