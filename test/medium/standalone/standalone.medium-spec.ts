import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { InProcessBroker } from '@tandem/messaging';
import { configureHttpApp } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { SigningKeys } from '../../../apps/auth/src/index.js';
import { EMBEDDED_DATABASE_URL } from '../../../apps/standalone/src/database.js';
import { loadStandaloneSettings, standaloneAuthConfig } from '../../../apps/standalone/src/standalone.config.js';
import { InProcessCommerce } from '../../../apps/standalone/src/in-process-commerce.js';
import { StandaloneModule } from '../../../apps/standalone/src/standalone.module.js';
import { createEmbeddedTestDatabase } from '../../support/database.js';
import type { EmbeddedTestDatabase } from '../../support/database.js';
import { expectProblem, uniqueEmail } from '../../support/http.js';
import { generateSigningKeys } from '../../support/keys.js';

const COMMERCE_BUDGET = 3;

/**
 * Standalone's module (auth, commerce and realtime in one process) on an embedded PGlite and the
 * in-process broker: each app's limits stay on its own routes (docs/standalone.md, "Composition").
 */
describe('standalone (medium: the three apps in one Nest app)', () => {
  let database: EmbeddedTestDatabase;
  let broker: InProcessBroker;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    broker = new InProcessBroker();
    const settings = loadStandaloneSettings({
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      TRUST_PROXY_HOPS: '1',
      REQUESTS_PER_IP_PER_MINUTE: String(COMMERCE_BUDGET),
      AUTH_REQUESTS_PER_IP_PER_MINUTE: '100',
    });
    const auth = standaloneAuthConfig(settings.auth, {
      databaseUrl: EMBEDDED_DATABASE_URL,
      signingKey: generateSigningKeys().privateKey,
    });
    const keys = await SigningKeys.load(auth.JWT_PRIVATE_KEY, auth.JWT_PUBLIC_KEY);
    const verifier = AccessTokenVerifier.local(keys.jwks, { issuer: auth.JWT_ISSUER, audience: auth.JWT_AUDIENCE });
    app = await NestFactory.create<NestExpressApplication>(
      StandaloneModule.forRoot({
        settings,
        auth,
        database: database.options,
        broker,
        verifier,
        commerce: new InProcessCommerce(() => app.getHttpAdapter().getInstance() as RequestListener),
      }),
      { bodyParser: false, logger: false, abortOnError: false },
    );
    configureHttpApp(app, settings.standalone);
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.stop();
  });

  it("spends commerce's budget on commerce's routes only: health, metrics and auth stay open", async () => {
    const server = app.getHttpServer();
    const from = <T extends { set(name: string, value: string): T }>(test: T) =>
      test.set('X-Forwarded-For', '203.0.113.50');
    for (let i = 0; i < COMMERCE_BUDGET; i += 1) {
      expect((await from(request(server).get('/api/v1/products?limit=1'))).status).toBe(200);
    }
    expectProblem(await from(request(server).get('/api/v1/products?limit=1')), 429);

    expect((await from(request(server).get('/health/live'))).status).toBe(200);
    expect((await from(request(server).get('/health/ready'))).status).toBe(200);
    expect((await from(request(server).get('/metrics'))).status).toBe(200);
    expect((await from(request(server).get('/api/v1/auth/jwks'))).status).toBe(200);
    const registered = await from(request(server).post('/api/v1/auth/register')).send({
      email: uniqueEmail('standalone'),
      password: 'password-1234',
    });
    expect(registered.status).toBe(201);
    const me = await from(request(server).get('/api/v1/auth/me')).set(
      'Authorization',
      `Bearer ${registered.body.accessToken}`,
    );
    expect(me.status).toBe(200);

    // Still over budget on commerce for anonymous calls from this IP (one budget for commerce's
    // routes), while a signed-in user spends a budget of their own (docs/security.md, "Orders, stock and input").
    expectProblem(await from(request(server).get(`/api/v1/orders/${randomUUID()}`)), 429);
    expect(
      (await from(request(server).get('/api/v1/orders')).set('Authorization', `Bearer ${registered.body.accessToken}`))
        .status,
    ).toBe(200);
  });
});
