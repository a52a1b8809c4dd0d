import type { RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { InProcessBroker } from '@tandem/messaging';
import { configureHttpApp } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import { SigningKeys } from '../../../apps/auth/src/index.js';
import { EMBEDDED_DATABASE_URL } from '../../../apps/standalone/src/database.js';
import { InProcessCommerce } from '../../../apps/standalone/src/in-process-commerce.js';
import { loadStandaloneSettings, standaloneAuthConfig } from '../../../apps/standalone/src/standalone.config.js';
import { StandaloneModule } from '../../../apps/standalone/src/standalone.module.js';
import { createEmbeddedTestDatabase } from '../../support/database.js';
import type { EmbeddedTestDatabase } from '../../support/database.js';
import { expectProblem, uniqueEmail } from '../../support/http.js';
import { generateSigningKeys } from '../../support/keys.js';

/**
 * Revocation in one process without Redis (docs/security.md, "Authentication, tokens and
 * revocation"): auth, the REST guard of commerce and the gateway's SSE share one in-memory
 * denylist, so a logout is refused by all of them at once.
 */
describe('standalone session denylist (medium: one process, no Redis)', () => {
  let database: EmbeddedTestDatabase;
  let broker: InProcessBroker;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    broker = new InProcessBroker();
    const settings = loadStandaloneSettings({ LOG_LEVEL: 'silent', NODE_ENV: 'test' });
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

  it('after logout the access token is refused by auth, commerce and the SSE stream alike', async () => {
    const server = app.getHttpServer();
    const session = (
      await request(server)
        .post('/api/v1/auth/register')
        .send({ email: uniqueEmail('standalone-revoke'), password: 'password-1234' })
    ).body as { accessToken: string; refreshToken: string };
    const bearer = `Bearer ${session.accessToken}`;
    expect((await request(server).get('/api/v1/orders').set('Authorization', bearer)).status).toBe(200);

    await request(server).post('/api/v1/auth/logout').send({ refreshToken: session.refreshToken }).expect(204);

    expectProblem(await request(server).get('/api/v1/auth/me').set('Authorization', bearer), 401);
    expectProblem(await request(server).get('/api/v1/orders').set('Authorization', bearer), 401);
    expectProblem(await request(server).get('/api/v1/stream?channels=catalog').set('Authorization', bearer), 401);
  });
});
