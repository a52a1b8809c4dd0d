import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { startAuth } from '../support/auth.js';
import type { AuthFixture, AuthStart } from '../support/auth.js';
import { startCommerce } from '../support/commerce.js';
import type { CommerceFixture } from '../support/commerce.js';
import { createTestDatabase } from '../support/database.js';
import type { TestDatabase } from '../support/database.js';
import { expectProblem, register } from '../support/http.js';
import { generateSigningKeys } from '../support/keys.js';
import { connect, deleteQueues, isolation, startRealtime, waitFor } from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Key rotation as docs/deploy.md "Signing keys and rotation" describes it, against real services:
 * auth restarts on a new key with the old one in JWT_PUBLIC_KEY, then without it. Commerce (REST)
 * and the gateway (Socket.IO handshake) verify through auth's JWKS, reached at one stable address
 * (a TCP proxy) whichever auth process is behind it. Auth's JWKS max-age is 1 s, so verifiers
 * refetch the set within seconds instead of minutes.
 */
describe('signing key rotation across auth, commerce and the gateway', () => {
  const key1 = generateSigningKeys('ec');
  const key2 = generateSigningKeys('rsa');
  const names = isolation();
  let db: TestDatabase;
  let port: number;
  let proxy: TcpProxy | undefined;
  let auth: AuthFixture | undefined;
  let commerce: CommerceFixture;
  let gateway: RealtimeFixture;
  const sockets: Client[] = [];
  let token1: string;
  let token2: string;

  const authUrl = () => `http://127.0.0.1:${port}`;

  /** Stops the running auth and starts another one on the same database, behind the same address. */
  async function restartAuth(start: AuthStart, env: Record<string, string> = {}): Promise<void> {
    await proxy?.down();
    await auth?.close();
    auth = await startAuth({ JWKS_MAX_AGE_SECONDS: '1', ...env }, { ...start, db });
    proxy = new TcpProxy(port, { host: '127.0.0.1', port: Number(new URL(auth.url).port) });
    await proxy.up();
  }

  const listOrders = (token: string) =>
    request(commerce.url).get('/api/v1/orders').set('Authorization', `Bearer ${token}`);

  const handshake = async (token: string): Promise<'connected' | string> => {
    try {
      sockets.push(await connect(gateway.url, { token }));
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    }
  };

  const publishedKids = async (): Promise<string[]> => {
    const res = await request(authUrl()).get('/api/v1/auth/jwks');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    return (res.body as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  };

  beforeAll(async () => {
    db = await createTestDatabase('auth');
    port = await TcpProxy.freePort();
    await restartAuth({ keys: key1 });
    commerce = await startCommerce(authUrl());
    gateway = await startRealtime({ ...names, AUTH_JWKS_URL: `${authUrl()}/api/v1/auth/jwks` });
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gateway?.close();
    await commerce?.close();
    await proxy?.down();
    await auth?.close();
    await db?.drop();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  it('key 1: a token auth signs verifies on commerce and on the gateway', async () => {
    token1 = (await register(authUrl())).accessToken;
    const kid1 = decodeProtectedHeader(token1).kid!;
    expect(decodeProtectedHeader(token1).alg).toBe('ES256');
    expect(await publishedKids()).toEqual([kid1]);

    expect((await listOrders(token1)).status).toBe(200);
    expect(await handshake(token1)).toBe('connected');
  });

  it('key 2 signs, key 1 retired in JWT_PUBLIC_KEY: tokens of both keys verify everywhere', async () => {
    await restartAuth({ keys: key2 }, { JWT_PUBLIC_KEY: key1.publicKey });
    token2 = (await register(authUrl())).accessToken;
    const kid1 = decodeProtectedHeader(token1).kid!;
    const kid2 = decodeProtectedHeader(token2).kid!;
    expect(decodeProtectedHeader(token2).alg).toBe('RS256');
    expect(await publishedKids()).toEqual([kid2, kid1]);

    // A new kid: the verifiers refetch the set (cooldown or max-age permitting) and trust key 2.
    await waitFor(async () => (await listOrders(token2)).status === 200, 10_000, 'commerce to trust key 2');
    await waitFor(async () => (await handshake(token2)) === 'connected', 10_000, 'the gateway to trust key 2');
    // From the refetched set, the retired key is still trusted.
    expect((await listOrders(token1)).status).toBe(200);
    expect(await handshake(token1)).toBe('connected');
  });

  it('key 1 dropped from the JWKS: its tokens are refused once the verifiers refetch, key 2 tokens still verify', async () => {
    await restartAuth({ keys: key2 });
    expect(await publishedKids()).toEqual([decodeProtectedHeader(token2).kid]);

    await waitFor(async () => (await listOrders(token1)).status === 401, 10_000, 'commerce to drop key 1');
    expectProblem(await listOrders(token1), 401);
    await waitFor(async () => (await handshake(token1)) !== 'connected', 10_000, 'the gateway to drop key 1');
    expect(await handshake(token1)).toBe('unauthorized');

    expect((await listOrders(token2)).status).toBe(200);
    expect(await handshake(token2)).toBe('connected');
  });
});
