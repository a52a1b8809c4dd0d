import request from 'supertest';
import type { AnyEnvelope } from '@tandem/contracts';
import { InProcessBroker } from '@tandem/messaging';
import { AuthConfig, AuthModule, AuthSettings } from '../../../apps/auth/src/index.js';
import { inProcessInfrastructure, startApp } from '../../support/apps.js';
import type { RunningApp } from '../../support/apps.js';
import { createEmbeddedTestDatabase } from '../../support/database.js';
import type { EmbeddedTestDatabase } from '../../support/database.js';
import { expectProblem, fields, uniqueEmail } from '../../support/http.js';
import { generateSigningKeys } from '../../support/keys.js';

const ADMIN = { email: 'admin@medium.test', password: 'correct horse battery staple' };
const MAX_FAILURES_PER_ACCOUNT = 3;

/**
 * Auth's feature module on in-process fakes (embedded PGlite, in-process broker under the real
 * outbox relay, in-memory login limits, a signing key generated for this file): registration,
 * login, refresh-token rotation and reuse detection over HTTP, and the events it publishes.
 */
describe('auth (medium: feature module on in-process fakes)', () => {
  let database: EmbeddedTestDatabase;
  let broker: InProcessBroker;
  let auth: RunningApp<AuthSettings>;
  const events: AnyEnvelope[] = [];
  const api = () => request(auth.app.getHttpServer());

  async function eventually<T>(read: () => T | undefined): Promise<T> {
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const register = async (email = uniqueEmail('medium'), password = 'password-1234') => {
    const res = await api().post('/api/v1/auth/register').send({ email, password, name: 'Medium' });
    expect(res.status).toBe(201);
    return res.body as { user: { id: string }; accessToken: string; refreshToken: string };
  };

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    broker = new InProcessBroker();
    await broker.consume({ queue: 'medium', bindings: ['#'], prefetch: 100 }, async (delivery) => {
      events.push(JSON.parse(delivery.body.toString()) as AnyEnvelope);
      delivery.ack();
    });
    const { privateKey } = generateSigningKeys();
    auth = await startApp(
      'auth',
      AuthSettings,
      (settings) => ({
        module: class AuthMediumModule {},
        imports: [
          ...inProcessInfrastructure({ name: 'auth', database: database.options, broker }),
          AuthModule.register(
            Object.assign(new AuthConfig(), settings, {
              DATABASE_URL: 'postgres://embedded',
              JWT_PRIVATE_KEY: privateKey,
            }),
          ),
        ],
      }),
      {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        LOGIN_MAX_FAILURES_PER_ACCOUNT: String(MAX_FAILURES_PER_ACCOUNT),
      },
    );
  }, 60_000);

  afterAll(async () => {
    await auth?.close();
    await broker?.close();
    await database?.stop();
  });

  it('registers a customer once per email, and refuses bad input with problem+json naming the fields', async () => {
    const email = uniqueEmail('once');
    const session = await register(email);
    expect(session.user).toEqual(expect.objectContaining({ email, roles: ['customer'] }));
    expect((await api().post('/api/v1/auth/register').send({ email, password: 'password-1234' })).status).toBe(409);
    const bad = await api()
      .post('/api/v1/auth/register')
      .send({ email: 'not-an-email', password: 'short', admin: true });
    expect(fields(expectProblem(bad, 400))).toEqual(expect.arrayContaining(['email', 'password', 'admin']));
  });

  it('refuses text that is not well-formed Unicode before it reaches the database', async () => {
    for (const body of ['{"email":"\\ud800","password":"password-1234"}', '{"email":"a@b.co","\\udc00":1}']) {
      const res = await api().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body);
      expect(expectProblem(res, 400)['type']).toMatch(/malformed-body$/);
    }
  });

  it('logs in with the right password only, with the same answer for an unknown email', async () => {
    const email = uniqueEmail('login');
    await register(email, 'password-5678');
    const ok = await api().post('/api/v1/auth/login').send({ email, password: 'password-5678' });
    expect(ok.status).toBe(200);
    const me = await api().get('/api/v1/auth/me').set('Authorization', `Bearer ${ok.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
    const wrong = expectProblem(await api().post('/api/v1/auth/login').send({ email, password: 'password-0000' }), 401);
    const unknown = expectProblem(
      await api()
        .post('/api/v1/auth/login')
        .send({ email: uniqueEmail('nobody'), password: 'password-0000' }),
      401,
    );
    expect(unknown['detail']).toBe(wrong['detail']);
  });

  it('creates the admin from ADMIN_EMAIL / ADMIN_PASSWORD at start', async () => {
    const res = await api().post('/api/v1/auth/login').send(ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.user.roles).toEqual(['admin']);
  });

  it('never takes a refresh token as an access token', async () => {
    const session = await register();
    expectProblem(await api().get('/api/v1/auth/me').set('Authorization', `Bearer ${session.refreshToken}`), 401);
    expectProblem(await api().get('/api/v1/auth/me'), 401);
  });

  it('rotates refresh tokens; presenting a spent one revokes the family and publishes session.revoked', async () => {
    const session = await register();
    const rotated = await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(session.refreshToken);

    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }), 401);
    // The whole family is gone, the token handed out by the rotation included.
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: rotated.body.refreshToken }), 401);

    const revoked = await eventually(() =>
      events.find(
        (event): event is Extract<AnyEnvelope, { type: 'session.revoked' }> =>
          event.type === 'session.revoked' && event.data.userId === session.user.id,
      ),
    );
    expect(revoked.channels).toEqual([`user:${session.user.id}`]);
    expect(revoked.data.sid).toEqual(expect.any(String));
    expect('offset' in revoked).toBe(false);
  });

  it('logs out: the refresh token stops working and session.revoked is published', async () => {
    const session = await register();
    expect((await api().post('/api/v1/auth/logout').send({ refreshToken: session.refreshToken })).status).toBe(204);
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }), 401);
    await eventually(() =>
      events.find((event) => event.type === 'session.revoked' && event.data.userId === session.user.id),
    );
  });

  it("refuses an account's logins after its failure budget, with 429 and Retry-After", async () => {
    const email = uniqueEmail('guessed');
    await register(email, 'password-1234');
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i += 1) {
      expectProblem(
        await api()
          .post('/api/v1/auth/login')
          .send({ email, password: `wrong-${i}-guess` }),
        401,
      );
    }
    const blocked = expectProblem(
      await api().post('/api/v1/auth/login').send({ email, password: 'password-1234' }),
      429,
    );
    expect(blocked['retryAfter']).toEqual(expect.any(Number));
  });

  it('publishes its signing key in the JWKS and is ready on its own database', async () => {
    const jwks = await api().get('/api/v1/auth/jwks');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toEqual(expect.objectContaining({ kid: expect.any(String), alg: 'ES256', use: 'sig' }));
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/);
    const ready = await api().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.database.status).toBe('up');
  });
});
