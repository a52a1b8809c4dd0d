import type { RequestListener } from 'node:http';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { InProcessBroker } from '@tandem/messaging';
import { configureHttpApp } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { SigningKeys } from '../../auth/src/index.js';
import { useRealtimeAdapter } from '../../realtime/src/index.js';
import { databaseOptions, EMBEDDED_DATABASE_URL, migrateStandalone } from './database.js';
import { ensureDemoData } from './demo-data.js';
import { InProcessCommerce } from './in-process-commerce.js';
import type { DemoDataReport } from './demo-data.js';
import { startEmbeddedDatabase } from './embedded/embedded-database.js';
import type { EmbeddedDatabase } from './embedded/embedded-database.js';
import { loadOrCreateSigningKey } from './signing-key.js';
import { loadStandaloneSettings, standaloneAuthConfig } from './standalone.config.js';
import { StandaloneModule } from './standalone.module.js';
import { serveStorefront } from './storefront.js';

export const DEFAULT_PORT = 3000;

export interface StartedStandalone {
  app: NestExpressApplication;
  port: number;
  url: string;
  dataDir: string;
  mode: { database: 'embedded' | 'postgres'; broker: 'in-process' | 'rabbitmq'; redis: 'in-memory' | 'redis' };
  embedded?: EmbeddedDatabase;
  demo: DemoDataReport;
  webDir?: string;
  timings: { databaseMs: number; migrateMs: number; totalMs: number };
  close(): Promise<void>;
}

/**
 * Boots the standalone process: configuration, embedded database (or DATABASE_URL), signing key,
 * migrations, Nest (auth + commerce + realtime), demo data, the storefront page, listen.
 * Throws ConfigError on bad variables (main.ts prints it and exits 1).
 */
export async function startStandalone(env?: Record<string, string | undefined>): Promise<StartedStandalone> {
  const started = Date.now();
  const settings = loadStandaloneSettings(env);
  const { standalone } = settings;
  const dataDir = resolve(standalone.TANDEM_DATA_DIR);
  const port = standalone.PORT ?? DEFAULT_PORT;

  const embedded = standalone.DATABASE_URL ? undefined : await startEmbeddedDatabase(dataDir);
  const databaseMs = Date.now() - started;
  try {
    const auth = standaloneAuthConfig(settings.auth, {
      databaseUrl: standalone.DATABASE_URL ?? EMBEDDED_DATABASE_URL,
      signingKey: standalone.JWT_PRIVATE_KEY ?? loadOrCreateSigningKey(dataDir).pem,
    });
    const keys = await SigningKeys.load(auth.JWT_PRIVATE_KEY, auth.JWT_PUBLIC_KEY);
    const verifier = AccessTokenVerifier.local(keys.jwks, { issuer: auth.JWT_ISSUER, audience: auth.JWT_AUDIENCE });
    // docs/contract.md, "Configuration": COMMERCE_URL is in-process in standalone: the gateway's
    // rpc and order-ownership lookups are dispatched into this very app, no socket involved. The
    // port reads `app` when called, by then created (before that, it answers 502).
    const commerce = new InProcessCommerce((): RequestListener => app.getHttpAdapter().getInstance());

    const database = databaseOptions(standalone.DATABASE_URL, embedded);
    const migrateFrom = Date.now();
    await migrateStandalone(database, embedded !== undefined);
    const migrateMs = Date.now() - migrateFrom;

    const broker = standalone.BROKER_URL ? undefined : new InProcessBroker();
    const app: NestExpressApplication = await NestFactory.create<NestExpressApplication>(
      StandaloneModule.forRoot({ settings, auth, database, embedded, broker, verifier, commerce }),
      { bufferLogs: true, bodyParser: false, abortOnError: false },
    );
    app.useLogger(app.get(Logger));
    configureHttpApp(app, standalone);
    useRealtimeAdapter(app);
    const webDir = serveStorefront(app, standalone.TANDEM_WEB_DIR);
    await app.init();
    const demo = await ensureDemoData(app, settings);
    await app.listen(port);
    const url = `http://localhost:${port}`;
    return {
      app,
      port,
      url,
      dataDir,
      embedded,
      demo,
      webDir,
      mode: {
        database: embedded ? 'embedded' : 'postgres',
        broker: broker ? 'in-process' : 'rabbitmq',
        redis: standalone.REDIS_URL ? 'redis' : 'in-memory',
      },
      timings: { databaseMs, migrateMs, totalMs: Date.now() - started },
      close: () => app.close(),
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** What a newcomer needs to read at start: where the page is and how to log in. */
export function banner(started: StartedStandalone): string {
  const lines = [
    '',
    `  Tandem standalone is running: ${started.url}/`,
    '',
    `  database  ${started.mode.database === 'embedded' ? `embedded PGlite in ${started.dataDir}` : 'DATABASE_URL'}`,
    `  events    ${started.mode.broker === 'in-process' ? 'in-process bus' : 'BROKER_URL (RabbitMQ)'}`,
    `  sockets   ${started.mode.redis === 'in-memory' ? 'in-memory adapter and history (one process)' : 'REDIS_URL'}`,
    '',
    ...started.demo.accounts.map(
      (account) =>
        `  ${account.role.padEnd(8)}  ${account.email}  ${account.password ? `password: ${account.password}  (shown once)` : `(${account.note})`}`,
    ),
    started.demo.productsSeeded > 0 ? `\n  seeded ${started.demo.productsSeeded} demo products` : '',
    started.webDir ? '' : '  storefront page not built: run `npm run build:web`',
    `  started in ${(started.timings.totalMs / 1000).toFixed(1)} s` +
      (started.embedded
        ? ` (database ${started.embedded.created ? 'created' : 'opened'} in ${(started.embedded.ms / 1000).toFixed(1)} s)`
        : ''),
    '',
  ];
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n') + '\n';
}
