import type { RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { InProcessBroker } from '@tandem/messaging';
import { configureHttpApp } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { SigningKeys } from '../../apps/auth/src/index.js';
import { EMBEDDED_DATABASE_URL } from '../../apps/standalone/src/database.js';
import { InProcessCommerce } from '../../apps/standalone/src/in-process-commerce.js';
import { loadStandaloneSettings, standaloneAuthConfig } from '../../apps/standalone/src/standalone.config.js';
import { StandaloneModule } from '../../apps/standalone/src/standalone.module.js';
import { createEmbeddedTestDatabase } from './database.js';
import { generateSigningKeys } from './keys.js';

export interface StandaloneInProcess {
  app: NestExpressApplication;
  close(): Promise<void>;
}

/**
 * Standalone's module (auth, commerce and realtime in one Nest app) as boot.ts composes it, for the
 * medium tier: an in-process PGlite, the in-process broker, a throwaway signing key, no Redis and
 * no listening port (drive it with supertest on `app.getHttpServer()`).
 */
export async function startStandaloneInProcess(env: Record<string, string> = {}): Promise<StandaloneInProcess> {
  const database = await createEmbeddedTestDatabase();
  const broker = new InProcessBroker();
  const settings = loadStandaloneSettings({ LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env });
  const auth = standaloneAuthConfig(settings.auth, {
    databaseUrl: EMBEDDED_DATABASE_URL,
    signingKey: generateSigningKeys().privateKey,
  });
  const keys = await SigningKeys.load(auth.JWT_PRIVATE_KEY, auth.JWT_PUBLIC_KEY);
  const verifier = AccessTokenVerifier.local(keys.jwks, { issuer: auth.JWT_ISSUER, audience: auth.JWT_AUDIENCE });
  const app: NestExpressApplication = await NestFactory.create<NestExpressApplication>(
    StandaloneModule.forRoot({
      settings,
      auth,
      database: database.options,
      broker,
      verifier,
      commerce: new InProcessCommerce((): RequestListener => app.getHttpAdapter().getInstance()),
    }),
    { bodyParser: false, logger: false, abortOnError: false },
  );
  configureHttpApp(app, settings.standalone);
  await app.init();
  return {
    app,
    close: async () => {
      await app.close();
      await database.stop();
    },
  };
}
