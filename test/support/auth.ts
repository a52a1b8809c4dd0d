import { AuthAppModule } from '../../apps/auth/src/auth.module.js';
import { AuthConfig } from '../../apps/auth/src/auth.config.js';
import { createTestDatabase } from './database.js';
import type { TestDatabase } from './database.js';
import { generateSigningKeys } from './keys.js';
import { startApp } from './apps.js';
import { TEST_BROKER_URL } from './broker.js';
import type { RunningApp } from './apps.js';

export interface AuthFixture extends RunningApp<AuthConfig> {
  db: TestDatabase;
  keys: { privateKey: string; publicKey: string };
}

export const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };

export async function startAuth(env: Record<string, string> = {}): Promise<AuthFixture> {
  const db = await createTestDatabase('auth');
  const keys = generateSigningKeys();
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
      await db.drop();
    },
  };
}
