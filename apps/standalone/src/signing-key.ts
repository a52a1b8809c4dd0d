import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The JWT signing key of a standalone instance (docs/contract.md "Configuration": JWT_PRIVATE_KEY
 * absent → standalone generates a key pair). Kept in the data directory (gitignored: `.data/`) so
 * that sessions survive a restart; generated at first start, readable only by its owner, never
 * committed.
 */
export function loadOrCreateSigningKey(dataDir: string): { pem: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'jwt-signing-key.pem');
  try {
    return { pem: readFileSync(path, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    writeFileSync(path, pem, { flag: 'wx', mode: 0o600 });
    return { pem, created: true };
  } catch (error) {
    // Another start wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { pem: readFileSync(path, 'utf8'), created: false };
    throw error;
  }
}
