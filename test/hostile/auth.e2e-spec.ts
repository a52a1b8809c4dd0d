import { createPrivateKey, createPublicKey, generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import type { JWTPayload } from 'jose';
import request from 'supertest';
import type { Response } from 'supertest';
import { startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { startCommerce } from '../support/commerce.js';
import type { CommerceFixture } from '../support/commerce.js';
import { expectProblem, register, uniqueEmail } from '../support/http.js';
import type { TestSession } from '../support/http.js';
import { connect, deleteQueues, emitAck, isolation, REDIS_URL, startRealtime, waitFor } from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const AUTH = '/api/v1/auth';
const ACCOUNT_BUDGET = 5;
const IP_BUDGET = 10;

/** A client address of its own per probe: auth trusts one proxy hop, as behind the ingress. */
const clientIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/**
 * Hostile clients against auth, tokens and revocation (docs/security.md, "Authentication, tokens
 * and revocation"): auth, commerce and two gateway replicas sharing Redis, as deployed. Each probe
 * attacks as an attacker would and asserts the safe outcome: a clear 4xx problem, an error ack or a
 * refused handshake; never a 500, never a token that keeps working after its session is revoked.
 */
describe('hostile clients: auth, tokens and revocation', () => {
  const names = isolation();
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let gatewayA: RealtimeFixture;
  let gatewayB: RealtimeFixture;
  const sockets: Client[] = [];

  beforeAll(async () => {
    auth = await startAuth({
      REDIS_URL,
      TRUST_PROXY_HOPS: '1',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(ACCOUNT_BUDGET),
      LOGIN_MAX_FAILURES_PER_IP: String(IP_BUDGET),
    });
    const jwks = `${auth.url}${AUTH}/jwks`;
    commerce = await startCommerce(auth.url, { REDIS_URL });
    const gateway = { ...names, AUTH_JWKS_URL: jwks, REDIS_URL };
    [gatewayA, gatewayB] = await Promise.all([startRealtime(gateway), startRealtime(gateway)]);
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gatewayA?.close();
    await gatewayB?.close();
    await commerce?.close();
    await auth?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  const orders = (token: string) => request(commerce.url).get('/api/v1/orders').set('Authorization', `Bearer ${token}`);
  const loginFrom = (ip: string, email: string, password: string) =>
    request(auth.url).post(`${AUTH}/login`).set('X-Forwarded-For', ip).send({ email, password });

  /** The handshake's outcome: 'connected' or the connect_error message. */
  const handshake = async (url: string, token: string): Promise<string> => {
    try {
      sockets.push(await connect(url, { token }));
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    }
  };

  /** The status an SSE request gets (the stream, if opened, is closed at once). */
  const sseStatus = async (url: string, token: string): Promise<number> => {
    const controller = new AbortController();
    const res = await fetch(`${url}/api/v1/stream?channels=catalog`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    controller.abort();
    return res.status;
  };

  /** A token signed with auth's real key, with any claim or header changed. */
  const signWithAuthKey = (claims: JWTPayload, header: Record<string, unknown> = {}) => {
    const real = decodeProtectedHeader(victim.accessToken);
    return new SignJWT({ ...decodeJwt(victim.accessToken), ...claims })
      .setProtectedHeader({ alg: real.alg!, kid: real.kid!, typ: 'at+jwt', ...header })
      .sign(createPrivateKey(auth.keys.privateKey));
  };

  let victim: TestSession;
  beforeAll(async () => {
    victim = await register(auth.url);
  });

  describe('forged and tampered access tokens are 401 on REST and refused at the handshake', () => {
    const refusedEverywhere = async (token: string) => {
      expectProblem(await orders(token), 401);
      expect(await handshake(gatewayA.url, token)).toBe('unauthorized');
    };

    it('control: the real token works on REST and on both replicas', async () => {
      expect((await orders(victim.accessToken)).status).toBe(200);
      expect(await handshake(gatewayA.url, victim.accessToken)).toBe('connected');
      expect(await handshake(gatewayB.url, victim.accessToken)).toBe('connected');
    });

    it('alg none with admin roles', async () => {
      const claims = decodeJwt(victim.accessToken);
      await refusedEverywhere(new UnsecuredJWT({ ...claims, roles: ['admin'] }).encode());
    });

    it('HS256 signed with the public key as the HMAC secret', async () => {
      const secret = new TextEncoder().encode(await exportSPKI(createPublicKey(auth.keys.publicKey)));
      const real = decodeProtectedHeader(victim.accessToken);
      const token = await new SignJWT({ ...decodeJwt(victim.accessToken), roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: real.kid!, typ: 'at+jwt' })
        .sign(secret);
      await refusedEverywhere(token);
    });

    it("another asymmetric algorithm (PS256, ES384) with the attacker's own key and the real kid", async () => {
      const kid = decodeProtectedHeader(victim.accessToken).kid!;
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
      for (const [alg, key] of [
        ['PS256', rsa],
        ['ES384', p384],
        ['RS256', rsa],
      ] as const) {
        const token = await new SignJWT({ ...decodeJwt(victim.accessToken) })
          .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
          .sign(key);
        await refusedEverywhere(token);
      }
    });

    it('a kid that auth never published', async () => {
      const own = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const token = await new SignJWT({ ...decodeJwt(victim.accessToken) })
        .setProtectedHeader({ alg: 'ES256', kid: randomUUID(), typ: 'at+jwt' })
        .sign(own);
      await refusedEverywhere(token);
    });

    it('an expired token signed with the real key', async () => {
      const past = Math.floor(Date.now() / 1000) - 3600;
      await refusedEverywhere(await signWithAuthKey({ iat: past - 900, exp: past }));
    });

    it('a wrong issuer or audience, signed with the real key', async () => {
      await refusedEverywhere(await signWithAuthKey({ iss: 'https://evil.example' }));
      await refusedEverywhere(await signWithAuthKey({ aud: 'another-api' }));
    });

    it('a refresh token presented as an access token', async () => {
      await refusedEverywhere(victim.refreshToken);
    });

    it('a tampered payload (roles: admin) under the original signature', async () => {
      const [header, , signature] = victim.accessToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...decodeJwt(victim.accessToken), roles: ['admin'] })).toString(
        'base64url',
      );
      await refusedEverywhere(`${header}.${payload}.${signature}`);
    });
  });

  describe('password guessing', () => {
    it('parallel wrong guesses for one account get at most its budget of 401s, the rest 429 with Retry-After', async () => {
      const email = uniqueEmail('parallel');
      await request(auth.url).post(`${AUTH}/register`).send({ email, password: 'the-right-password' });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => loginFrom(clientIp(), email, `guess-${i}`)),
      );
      const statuses = answers.map((res) => res.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(ACCOUNT_BUDGET);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      for (const res of answers.filter((r) => r.status === 429)) {
        expectProblem(res, 429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      // The account is locked now, even for the right password.
      expectProblem(await loginFrom(clientIp(), email, 'the-right-password'), 429);
    });

    it('a parallel flood of unknown emails from one IP gets at most the IP budget of 401s (no unbounded hashing)', async () => {
      const ip = clientIp();
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => loginFrom(ip, uniqueEmail('nobody'), 'password-1234')),
      );
      const statuses = answers.map((res) => res.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(IP_BUDGET);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      // Another client is not locked out by that IP's flood.
      const honest = await register(auth.url);
      expect((await loginFrom(clientIp(), honest.user.email, 'password-1234')).status).toBe(200);
    });
  });

  describe('a revoked session is refused everywhere within 1 s, though its access token has not expired', () => {
    /** Polls until `refused` holds; fails if that takes more than the contract's 1 s. */
    const within1s = (refused: () => Promise<boolean>, what: string) => waitFor(refused, 1000, what);

    it('after logout: REST 401, handshake unauthorized on the other replica, auth swap error, SSE 401', async () => {
      const session = await register(auth.url);
      expect((await orders(session.accessToken)).status).toBe(200);
      const anonymous = await connect(gatewayA.url);
      sockets.push(anonymous);

      expect((await request(auth.url).post(`${AUTH}/logout`).send({ refreshToken: session.refreshToken })).status).toBe(
        204,
      );

      await within1s(async () => (await orders(session.accessToken)).status === 401, 'REST to refuse');
      expectProblem(await orders(session.accessToken), 401);
      await within1s(
        async () => (await handshake(gatewayB.url, session.accessToken)) === 'unauthorized',
        'the handshake to refuse',
      );
      const swap = await emitAck<{ ok: boolean; error?: { code: string } }>(anonymous, 'auth', {
        token: session.accessToken,
      });
      expect(swap).toEqual({ ok: false, error: expect.objectContaining({ code: 'unauthorized' }) });
      expect(await sseStatus(gatewayA.url, session.accessToken)).toBe(401);
      expectProblem(
        await request(auth.url).get(`${AUTH}/me`).set('Authorization', `Bearer ${session.accessToken}`),
        401,
      );
    });

    it('after refresh-token reuse (theft): every access token of the family is refused, the newest refresh token too', async () => {
      const stolen = await register(auth.url);
      const rotated = (await request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken: stolen.refreshToken }))
        .body as TestSession;
      expect((await orders(rotated.accessToken)).status).toBe(200);
      expectProblem(await request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken: stolen.refreshToken }), 401);

      for (const token of [stolen.accessToken, rotated.accessToken]) {
        await within1s(async () => (await orders(token)).status === 401, 'REST to refuse the family');
        expect(await handshake(gatewayA.url, token)).toBe('unauthorized');
        expect(await sseStatus(gatewayB.url, token)).toBe(401);
      }
      expectProblem(await request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken: rotated.refreshToken }), 401);
    });

    it('parallel refreshes racing a replay of the spent token leave no working token of the family', async () => {
      const first = await register(auth.url);
      const second = (await request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken: first.refreshToken }))
        .body as TestSession;
      const raced: Response[] = await Promise.all(
        [second.refreshToken, first.refreshToken, second.refreshToken, first.refreshToken].map((refreshToken) =>
          request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken }),
        ),
      );
      expect(raced.map((res) => res.status).filter((status) => status !== 200 && status !== 401)).toEqual([]);
      const minted = raced.filter((res) => res.status === 200).map((res) => res.body as TestSession);
      for (const session of minted) {
        expectProblem(
          await request(auth.url).post(`${AUTH}/refresh`).send({ refreshToken: session.refreshToken }),
          401,
        );
        await within1s(async () => (await orders(session.accessToken)).status === 401, 'REST to refuse');
      }
    });
  });

  it("an auth swap to another user's token is refused, and the socket keeps its own identity", async () => {
    const [alice, mallory] = await Promise.all([register(auth.url), register(auth.url)]);
    const socket = await connect(gatewayA.url, { token: mallory.accessToken });
    sockets.push(socket);
    const swap = await emitAck<{ ok: boolean; error?: { code: string } }>(socket, 'auth', { token: alice.accessToken });
    expect(swap).toEqual({ ok: false, error: expect.objectContaining({ code: 'unauthorized' }) });
    const peek = await emitAck<{ ok: boolean; error?: { code: string } }>(socket, 'subscribe', {
      channel: `user:${alice.user.id}`,
    });
    expect(peek).toEqual({ ok: false, error: expect.objectContaining({ code: 'forbidden' }) });
  });
});

describe('hostile clients: auth under a hashing flood and verifiers during a JWKS outage', () => {
  const names = isolation();
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let gateway: RealtimeFixture;
  let session: TestSession;
  const sockets: Client[] = [];

  beforeAll(async () => {
    auth = await startAuth({ TRUST_PROXY_HOPS: '1', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' });
    session = await register(auth.url);
    // Auth's JWKS address with nothing listening: an outage from the verifiers' first request on.
    const dead = `http://127.0.0.1:${await TcpProxy.freePort()}${AUTH}/jwks`;
    commerce = await startCommerce(dead);
    gateway = await startRealtime({ ...names, AUTH_JWKS_URL: dead });
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gateway?.close();
    await commerce?.close();
    await auth?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  it('a flood of unknown emails from many IPs is refused with 503 + Retry-After beyond the hashing queue, never queued without bound', async () => {
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        request(auth.url)
          .post(`${AUTH}/login`)
          .set('X-Forwarded-For', clientIp())
          .send({ email: uniqueEmail('flood'), password: 'password-1234' }),
      ),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status !== 401 && status !== 503)).toEqual([]);
    const busy = answers.filter((res) => res.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const res of busy) expect(Number(expectProblem(res, 503).retryAfter)).toBeGreaterThan(0);
    // The refused attempts cost nobody an attempt, and auth still answers the honest user.
    const ok = await request(auth.url)
      .post(`${AUTH}/login`)
      .set('X-Forwarded-For', clientIp())
      .send({ email: session.user.email, password: 'password-1234' });
    expect(ok.status).toBe(200);
  });

  it('a JWKS outage is 503 with Retry-After on REST and SSE and a non-"unauthorized" handshake error, never a 401', async () => {
    const res = await request(commerce.url).get('/api/v1/orders').set('Authorization', `Bearer ${session.accessToken}`);
    expectProblem(res, 503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const sse = await request(gateway.url)
      .get('/api/v1/stream?channels=catalog')
      .set('Authorization', `Bearer ${session.accessToken}`);
    expectProblem(sse, 503);
    expect(Number(sse.headers['retry-after'])).toBeGreaterThan(0);
    let message = 'connected';
    try {
      sockets.push(await connect(gateway.url, { token: session.accessToken }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe('connected');
    expect(message).not.toBe('unauthorized');
  });
});
