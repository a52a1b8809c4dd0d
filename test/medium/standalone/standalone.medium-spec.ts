import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { startStandaloneInProcess } from '../../support/standalone-module.js';
import type { StandaloneInProcess } from '../../support/standalone-module.js';
import { expectProblem, uniqueEmail } from '../../support/http.js';

const COMMERCE_BUDGET = 3;

/**
 * Standalone's module (auth, commerce and realtime in one process) on an embedded PGlite and the
 * in-process broker: each app's limits stay on its own routes (docs/standalone.md, "Composition").
 */
describe('standalone (medium: the three apps in one Nest app)', () => {
  let standalone: StandaloneInProcess;
  let app: NestExpressApplication;

  beforeAll(async () => {
    standalone = await startStandaloneInProcess({
      TRUST_PROXY_HOPS: '1',
      REQUESTS_PER_IP_PER_MINUTE: String(COMMERCE_BUDGET),
      AUTH_REQUESTS_PER_IP_PER_MINUTE: '100',
    });
    app = standalone.app;
  }, 60_000);

  afterAll(() => standalone?.close());

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
