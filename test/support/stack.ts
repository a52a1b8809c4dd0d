import { ADMIN, startAuth } from './auth.js';
import type { AuthFixture } from './auth.js';
import { startCommerce } from './commerce.js';
import type { CommerceFixture } from './commerce.js';
import { login } from './http.js';
import type { TestSession } from './http.js';
import { BROKER_URL, deleteQueues, isolation, REDIS_URL, startRealtime } from './realtime.js';
import type { RealtimeFixture } from './realtime.js';

/** Extra environment per app, on top of the stack's own (later keys win). */
export interface StackOptions {
  auth?: Record<string, string>;
  commerce?: Record<string, string>;
  realtime?: Record<string, string>;
}

export interface DistributedStack {
  auth: AuthFixture;
  commerce: CommerceFixture;
  /** Two gateway replicas sharing one Redis (adapter, history) and one RabbitMQ queue. */
  gateways: [RealtimeFixture, RealtimeFixture];
  /** The admin created from ADMIN_EMAIL / ADMIN_PASSWORD, logged in. */
  admin: TestSession;
  close(): Promise<void>;
}

/**
 * The distributed deployment of docs/contract.md on this machine, for the hostile-client suite
 * (docs/security.md, "Hostile-client suite"): auth and commerce on fresh PostgreSQL databases,
 * publishing to RabbitMQ; two realtime replicas on Redis and RabbitMQ verifying auth's JWKS and
 * forwarding `rpc` to commerce. Every app is the real module, booted as its main.ts does.
 *
 * Redis for the gateways only, under a prefix and queue unique to this run
 * (`isolation()`): auth's and commerce's limiter keys carry no such prefix, so on Redis they would
 * share buckets with every other test run on the machine. A test that needs them there passes
 * `REDIS_URL` in `options.auth` / `options.commerce`.
 */
export async function startStack(options: StackOptions = {}): Promise<DistributedStack> {
  const names = isolation();
  const auth = await startAuth({ BROKER_URL, ...options.auth });
  const commerce = await startCommerce(auth.url, options.commerce);
  const env = {
    ...names,
    REDIS_URL,
    AUTH_JWKS_URL: `${auth.url}/api/v1/auth/jwks`,
    COMMERCE_URL: commerce.url,
    ...options.realtime,
  };
  const gateways = (await Promise.all([startRealtime(env), startRealtime(env)])) as [RealtimeFixture, RealtimeFixture];
  const admin = await login(auth.url, ADMIN.email, ADMIN.password);
  return {
    auth,
    commerce,
    gateways,
    admin,
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
      await commerce.close();
      await auth.close();
      await deleteQueues(names.REALTIME_QUEUE);
    },
  };
}
