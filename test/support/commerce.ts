import { CommerceAppModule } from '../../apps/commerce/src/commerce.module.js';
import { CommerceConfig } from '../../apps/commerce/src/commerce.config.js';
import { createTestDatabase } from './database.js';
import type { TestDatabase } from './database.js';
import { startApp } from './apps.js';
import type { RunningApp } from './apps.js';
import { TEST_BROKER_URL } from './broker.js';

export interface CommerceFixture extends RunningApp<CommerceConfig> {
  db: TestDatabase;
}

/** Commerce on a fresh database, verifying tokens against the given auth app's JWKS. */
export async function startCommerce(
  authUrl: string,
  env: Record<string, string> = {},
  db?: TestDatabase,
): Promise<CommerceFixture> {
  const database = db ?? (await createTestDatabase('commerce'));
  const running = await startApp(
    'commerce',
    CommerceConfig,
    (config) => CommerceAppModule.forRoot(config, { relay: { pollIntervalMs: 200 } }),
    {
      DATABASE_URL: database.url,
      BROKER_URL: TEST_BROKER_URL,
      AUTH_JWKS_URL: `${authUrl}/api/v1/auth/jwks`,
      ...env,
    },
  );
  return {
    ...running,
    db: database,
    close: async () => {
      await running.close();
      if (!db) await database.drop();
    },
  };
}
