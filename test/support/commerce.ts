import pg from 'pg';
import { ADMIN, startAuth } from './auth.js';
import type { AuthFixture } from './auth.js';
import { login } from './http.js';
import type { TestSession } from './http.js';
import { CommerceAppModule, CommerceConfig } from '../../apps/commerce/src/index.js';
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
      // Functional tests place many orders per customer; the hoarding limit has its own tests
      // (test/hostile/commerce.e2e-spec.ts), which pass their own value.
      MAX_PENDING_ORDERS_PER_USER: '1000',
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

export interface CommerceStack {
  auth: AuthFixture;
  commerce: CommerceFixture;
  /** The admin created from ADMIN_EMAIL / ADMIN_PASSWORD, logged in. */
  admin: TestSession;
  /** A direct connection to commerce's database, to check what the API wrote. */
  db: pg.Client;
  close(): Promise<void>;
}

/** Auth + commerce on fresh databases, an admin session and a database client. */
export async function startCommerceStack(env: Record<string, string> = {}): Promise<CommerceStack> {
  const auth = await startAuth();
  const commerce = await startCommerce(auth.url, env);
  const admin = await login(auth.url, ADMIN.email, ADMIN.password);
  const db = new pg.Client({ connectionString: commerce.db.url });
  await db.connect();
  return {
    auth,
    commerce,
    admin,
    db,
    async close() {
      await db.end();
      await commerce.close();
      await auth.close();
    },
  };
}
