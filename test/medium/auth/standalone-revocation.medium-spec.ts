import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { startStandaloneInProcess } from '../../support/standalone-module.js';
import type { StandaloneInProcess } from '../../support/standalone-module.js';
import { expectProblem, uniqueEmail } from '../../support/http.js';

/**
 * Revocation in one process without Redis (docs/security.md, "Authentication, tokens and
 * revocation"): auth, the REST guard of commerce and the gateway's SSE share one in-memory
 * denylist, so a logout is refused by all of them at once.
 */
describe('standalone session denylist (medium: one process, no Redis)', () => {
  let standalone: StandaloneInProcess;
  let app: NestExpressApplication;

  beforeAll(async () => {
    standalone = await startStandaloneInProcess();
    app = standalone.app;
  }, 60_000);

  afterAll(() => standalone?.close());

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
