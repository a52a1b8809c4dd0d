import { AuthAppModule, AuthConfig } from '../../apps/auth/src/index.js';
import { createTestDatabase } from './database.js';
import type { TestDatabase } from './database.js';
import { generateSigningKeys } from './keys.js';
import type { SigningKeyPair } from './keys.js';
import { startApp } from './apps.js';
import { TEST_BROKER_URL } from './broker.js';
import type { RunningApp } from './apps.js';

export interface AuthFixture extends RunningApp<AuthConfig> {
  db: TestDatabase;
  keys: SigningKeyPair;
}

export const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };

export interface AuthStart {
  /** Signing key (default: a fresh ES256 pair). */
  keys?: SigningKeyPair;
  /** An existing database (a restart of the same auth); it is then left in place on close. */
  db?: TestDatabase;
}

/** Auth on a fresh database (or `start.db`), signing with a throwaway key (or `start.keys`). */
export async function startAuth(env: Record<string, string> = {}, start: AuthStart = {}): Promise<AuthFixture> {
  const { keys = generateSigningKeys(), db: existing } = start;
  const db = existing ?? (await createTestDatabase('auth'));
  const running = await startApp('auth', AuthConfig, AuthAppModule.forRoot, {
    DATABASE_URL: db.url,
    JWT_PRIVATE_KEY: keys.privateKey,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    BROKER_URL: TEST_BROKER_URL,
    AUTH_REQUESTS_PER_IP_PER_MINUTE: '1000',
    ...env,
  });
  return {
    ...running,
    db,
    keys,
    close: async () => {
      await running.close();
      if (!existing) await db.drop();
    },
  };
}
