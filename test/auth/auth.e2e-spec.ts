import { createPublicKey, createPrivateKey, randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT, importPKCS8 } from 'jose';
import { AuthService } from '../../apps/auth/src/index.js';
import { ADMIN, startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { expectProblem, fields, login, register, uniqueEmail } from '../support/http.js';
import { generateSigningKeys } from '../support/keys.js';

const AUTH = '/api/v1/auth';

describe('auth app against real PostgreSQL', () => {
  let auth: AuthFixture;
  let db: pg.Client;

  beforeAll(async () => {
    auth = await startAuth();
    db = new pg.Client({ connectionString: auth.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await auth?.close();
  });

  const http = () => request(auth.url);

  describe('register', () => {
    it('creates a customer and returns a Session', async () => {
      const email = uniqueEmail('reg');
      const res = await http().post(`${AUTH}/register`).send({ email, password: 'password-1234', name: 'Ada' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: { id: expect.any(String), email, name: 'Ada', roles: ['customer'] },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('stores the password and the refresh token only as hashes', async () => {
      const session = await register(auth.url);
      const { rows: users } = await db.query('SELECT password_hash FROM users WHERE id = $1', [session.user.id]);
      expect(users[0].password_hash).toMatch(/^scrypt\$/);
      expect(users[0].password_hash).not.toContain('password-1234');
      const { rows: tokens } = await db.query('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [
        session.user.id,
      ]);
      expect(tokens).toHaveLength(1);
      expect(Buffer.from(tokens[0].token_hash).toString('base64url')).not.toBe(session.refreshToken);
    });

    it('answers 409 for an email that exists, whatever its case', async () => {
      const email = uniqueEmail('dup');
      await register(auth.url, email);
      const res = await http().post(`${AUTH}/register`).send({ email: email.toUpperCase(), password: 'password-1234' });
      expectProblem(res, 409);
    });
  });

  describe('login', () => {
    it('returns a Session for the right password', async () => {
      const email = uniqueEmail('login');
      await register(auth.url, email, 'right-password');
      const res = await http().post(`${AUTH}/login`).send({ email, password: 'right-password' });
      expect(res.status).toBe(200);
      expect(res.body.user.email).toBe(email);
    });

    it('gives the same 401 body for a wrong password and an unknown email', async () => {
      const email = uniqueEmail('same');
      await register(auth.url, email, 'right-password');
      const wrong = await http().post(`${AUTH}/login`).send({ email, password: 'wrong-password' });
      const unknown = await http()
        .post(`${AUTH}/login`)
        .send({ email: uniqueEmail('nobody'), password: 'wrong-password' });
      const a = expectProblem(wrong, 401);
      const b = expectProblem(unknown, 401);
      const strip = ({ instance: _i, ...rest }: Record<string, unknown>) => rest;
      expect(strip(a)).toEqual(strip(b));
    });

    it('logs in the admin created from ADMIN_EMAIL / ADMIN_PASSWORD', async () => {
      const session = await login(auth.url, ADMIN.email, ADMIN.password);
      expect(session.user.roles).toEqual(['admin']);
    });

    it('refuses an account after repeated failures with 429 and Retry-After, even with the right password', async () => {
      const email = uniqueEmail('brute');
      await register(auth.url, email, 'right-password');
      for (let i = 0; i < 5; i += 1) {
        expectProblem(
          await http()
            .post(`${AUTH}/login`)
            .send({ email, password: `guess-${i}` }),
          401,
        );
      }
      const refused = await http().post(`${AUTH}/login`).send({ email, password: 'right-password' });
      expectProblem(refused, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('refresh and logout', () => {
    it('rotates: a new refresh token each time, the old one spent', async () => {
      const first = await register(auth.url);
      const res = await http().post(`${AUTH}/refresh`).send({ refreshToken: first.refreshToken });
      expect(res.status).toBe(200);
      expect(res.body.refreshToken).not.toBe(first.refreshToken);
      expect(res.body.user.id).toBe(first.user.id);
      const me = await http().get(`${AUTH}/me`).set('Authorization', `Bearer ${res.body.accessToken}`);
      expect(me.status).toBe(200);
    });

    it('revokes the whole family when a spent refresh token is presented again', async () => {
      const first = await register(auth.url);
      const second = (await http().post(`${AUTH}/refresh`).send({ refreshToken: first.refreshToken })).body;
      const reuse = await http().post(`${AUTH}/refresh`).send({ refreshToken: first.refreshToken });
      expectProblem(reuse, 401);
      // The newer token, issued before the theft was noticed, dies with its family.
      expectProblem(await http().post(`${AUTH}/refresh`).send({ refreshToken: second.refreshToken }), 401);
      const { rows } = await db.query(
        `SELECT type, channels, data FROM outbox WHERE type = 'session.revoked' AND data->>'userId' = $1`,
        [first.user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].channels).toEqual([`user:${first.user.id}`]);
      expect(rows[0].data.sid).toEqual(expect.any(String));
    });

    it('lets only one of two concurrent refreshes with the same token win', async () => {
      const first = await register(auth.url);
      const results = await Promise.all(
        [0, 1].map(() => http().post(`${AUTH}/refresh`).send({ refreshToken: first.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('logout revokes the family and emits session.revoked', async () => {
      const session = await register(auth.url);
      const res = await http().post(`${AUTH}/logout`).send({ refreshToken: session.refreshToken });
      expect(res.status).toBe(204);
      expectProblem(await http().post(`${AUTH}/refresh`).send({ refreshToken: session.refreshToken }), 401);
      const { rows } = await db.query(
        `SELECT data FROM outbox WHERE type = 'session.revoked' AND data->>'userId' = $1`,
        [session.user.id],
      );
      expect(rows).toHaveLength(1);
      const { sid } = decodeJwt(session.accessToken);
      expect(rows[0].data).toEqual({ userId: session.user.id, sid });
    });

    it('refuses an unknown refresh token', async () => {
      expectProblem(await http().post(`${AUTH}/refresh`).send({ refreshToken: 'not-a-token' }), 401);
    });
  });

  describe('me and jwks', () => {
    it('returns the caller', async () => {
      const session = await register(auth.url);
      const res = await http().get(`${AUTH}/me`).set('Authorization', `Bearer ${session.accessToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(session.user);
    });

    it('requires a token', async () => {
      const res = await http().get(`${AUTH}/me`);
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('publishes only public keys, with kid and alg', async () => {
      const res = await http().get(`${AUTH}/jwks`);
      expect(res.status).toBe(200);
      expect(res.body.keys).toHaveLength(1);
      const [key] = res.body.keys;
      expect(key).toEqual(
        expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) }),
      );
      expect(key.d).toBeUndefined();
      expect(res.headers['cache-control']).toBe('public, max-age=300');
    });

    it('issues tokens with the contract claims, typ at+jwt and a lifetime of minutes', async () => {
      const session = await register(auth.url);
      const header = decodeProtectedHeader(session.accessToken);
      const payload = decodeJwt(session.accessToken);
      expect(header).toEqual(expect.objectContaining({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) }));
      expect(payload).toEqual(
        expect.objectContaining({
          sub: session.user.id,
          sid: expect.any(String),
          roles: ['customer'],
          iss: 'tandem-auth',
          aud: 'tandem',
          jti: expect.any(String),
        }),
      );
      expect(payload.exp! - payload.iat!).toBe(900);
    });
  });

  describe('AuthService.ensureAccount (the admin and standalone demo accounts)', () => {
    const ensure = (account: { email: string; password: string }) =>
      auth.app.get(AuthService).ensureAccount({ ...account, name: 'Demo', roles: ['customer'] });

    it('creates the account once; later calls leave it and its password untouched', async () => {
      const email = uniqueEmail('ensure');
      await expect(ensure({ email: email.toUpperCase(), password: 'first-password' })).resolves.toBe(true);
      await expect(ensure({ email, password: 'second-password' })).resolves.toBe(false);
      const session = await login(auth.url, email, 'first-password');
      expect(session.user).toEqual({ id: expect.any(String), email, name: 'Demo', roles: ['customer'] });
      await expect(login(auth.url, email, 'second-password')).rejects.toThrow('401');
    });

    it('is safe when several starts race for the same account', async () => {
      const email = uniqueEmail('race');
      const created = await Promise.all([1, 2, 3].map(() => ensure({ email, password: 'password-1234' })));
      expect(created.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('token attacks are 401 problem+json', () => {
    let victim: Awaited<ReturnType<typeof register>>;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      victim = await register(auth.url);
      claims = decodeJwt(victim.accessToken);
    });

    const me = (token: string) => http().get(`${AUTH}/me`).set('Authorization', `Bearer ${token}`);
    const signWith = async (overrides: Record<string, unknown>, key = auth.keys.privateKey) => {
      const { iss, aud, exp, sub, iat, ...rest } = { ...claims, ...overrides } as Record<string, never>;
      return new SignJWT(rest)
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'at+jwt',
          kid: decodeProtectedHeader(victim.accessToken).kid!,
        })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(sub)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(await importPKCS8(key, 'ES256'));
    };

    it('control: a token re-signed with the real key and the same claims is accepted', async () => {
      expect((await me(await signWith({}))).status).toBe(200);
    });

    it.each([
      ['garbage', async () => 'not.a.jwt'],
      ['alg none', async () => new UnsecuredJWT(claims).encode()],
      [
        'a flipped signature',
        async () => {
          const [h, p, s] = victim.accessToken.split('.');
          const sig = Buffer.from(s!, 'base64url');
          sig[5] = sig[5]! ^ 0xff;
          return `${h}.${p}.${sig.toString('base64url')}`;
        },
      ],
      [
        'HS256 signed with the public key as the secret',
        async () => {
          const publicPem = createPublicKey(createPrivateKey(auth.keys.privateKey)).export({
            type: 'spki',
            format: 'pem',
          });
          return new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
            .sign(new TextEncoder().encode(String(publicPem)));
        },
      ],
      ['a wrong audience', async () => signWith({ aud: 'someone-else' })],
      ['a wrong issuer', async () => signWith({ iss: 'https://evil.example' })],
      [
        'an expired token',
        async () => signWith({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
      ],
      ['a token signed by another key', async () => signWith({}, generateSigningKeys().privateKey)],
      ['a refresh token used as an access token', async () => victim.refreshToken],
      [
        'a token without the at+jwt type',
        async () => {
          return new SignJWT(claims)
            .setProtectedHeader({ alg: 'ES256' })
            .sign(await importPKCS8(auth.keys.privateKey, 'ES256'));
        },
      ],
    ])('refuses %s', async (_name, make) => {
      const res = await me(await make());
      expectProblem(res, 401);
    });

    it('refuses a token whose roles claim was forged to admin', async () => {
      const forged = victim.accessToken.split('.');
      const payload = { ...claims, roles: ['admin'], jti: randomUUID() };
      forged[1] = Buffer.from(JSON.stringify(payload)).toString('base64url');
      expectProblem(await me(forged.join('.')), 401);
    });
  });

  describe('bad input is 400 problem+json naming the field, never 500', () => {
    const post = (body: string | object, type = 'application/json') =>
      http()
        .post(`${AUTH}/register`)
        .set('Content-Type', type)
        .send(typeof body === 'string' ? body : JSON.stringify(body));

    it('missing fields', async () => {
      const body = expectProblem(await post({}), 400);
      expect(fields(body)).toEqual(expect.arrayContaining(['email', 'password']));
    });

    it('unknown fields (mass assignment of roles)', async () => {
      const body = expectProblem(
        await post({ email: uniqueEmail(), password: 'password-1234', roles: ['admin'] }),
        400,
      );
      expect(fields(body)).toEqual(['roles']);
    });

    it('wrong types', async () => {
      const body = expectProblem(await post({ email: 42, password: ['x'] }), 400);
      expect(fields(body)).toEqual(expect.arrayContaining(['email', 'password']));
    });

    it('an invalid email', async () => {
      const body = expectProblem(await post({ email: 'not-an-email', password: 'password-1234' }), 400);
      expect(fields(body)).toEqual(['email']);
    });

    it('a too short password', async () => {
      const body = expectProblem(await post({ email: uniqueEmail(), password: 'short' }), 400);
      expect(fields(body)).toEqual(['password']);
    });

    it('an oversized body is 413', async () => {
      expectProblem(await post({ email: uniqueEmail(), password: 'x'.repeat(100_000) }), 413);
    });

    it('malformed JSON', async () => {
      expectProblem(await post('{"email": "a@b.c", '), 400);
    });

    it('a __proto__ key', async () => {
      const body = expectProblem(
        await post('{"email":"p@example.test","password":"password-1234","__proto__":{"roles":["admin"]}}'),
        400,
      );
      expect(fields(body)).toEqual(['__proto__']);
    });

    it('a nested constructor.prototype key', async () => {
      expectProblem(
        await post(
          '{"email":"p@example.test","password":"password-1234","x":{"constructor":{"prototype":{"admin":true}}}}',
        ),
        400,
      );
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });

    it('a body that is not an object', async () => {
      expectProblem(await post('[1,2,3]'), 400);
      expectProblem(await post('"just a string"'), 400);
    });

    it('an unknown route is a 404 problem', async () => {
      expectProblem(await http().get('/api/v1/auth/nope'), 404);
    });
  });

  describe('platform endpoints', () => {
    it('serves liveness and readiness (database answers)', async () => {
      expect((await http().get('/health/live')).status).toBe(200);
      const ready = await http().get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info.database.status).toBe('up');
    });

    it('serves Prometheus metrics', async () => {
      const res = await http().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toContain('http_request_duration_seconds_bucket');
      expect(res.text).toContain('process_cpu_seconds_total');
    });
  });
});

describe('auth per-IP login limit', () => {
  let auth: AuthFixture;
  beforeAll(async () => {
    auth = await startAuth({ LOGIN_MAX_FAILURES_PER_IP: '3' });
  });
  afterAll(async () => {
    await auth?.close();
  });

  it('refuses an IP that failed on many different accounts', async () => {
    for (let i = 0; i < 3; i += 1) {
      expectProblem(
        await request(auth.url)
          .post(`${AUTH}/login`)
          .send({ email: uniqueEmail('ip'), password: 'wrong-password' }),
        401,
      );
    }
    const res = await request(auth.url)
      .post(`${AUTH}/login`)
      .send({ email: uniqueEmail('ip'), password: 'wrong-password' });
    expectProblem(res, 429);
    expect(res.headers['retry-after']).toBeDefined();
  });
});
