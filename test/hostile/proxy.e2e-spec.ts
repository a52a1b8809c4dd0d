import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ADMIN, startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { startCommerce } from '../support/commerce.js';
import type { CommerceFixture } from '../support/commerce.js';
import { uniqueEmail } from '../support/http.js';
import { connect, deleteQueues, emitAck, isolation, startRealtime } from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';

/**
 * Hostile clients behind a real reverse proxy (docs/security.md, "Proxies and client IP";
 * docs/deploy.md, "Client IP behind proxies"). The proxy below does what docker/nginx.conf does
 * (`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`: append the peer's address to
 * whatever the client sent), and the apps run with the TRUST_PROXY_HOPS that docker/compose.yaml
 * ships, for auth, commerce and the gateway (HTTP and WebSocket). Distinct clients are distinct
 * loopback source addresses (127.0.0.x), so each has its own address as the proxy sees it, as
 * distinct machines would.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** TRUST_PROXY_HOPS as docker/compose.yaml gives it to the apps behind its nginx (`${VAR:-default}`). */
function composeTrustProxyHops(): string {
  const compose = parse(readFileSync(join(ROOT, 'docker/compose.yaml'), 'utf8'), { merge: true });
  const values = ['auth', 'commerce', 'realtime-a', 'realtime-b'].map((s) =>
    String(compose.services[s].environment.TRUST_PROXY_HOPS ?? '0'),
  );
  expect(new Set(values).size).toBe(1);
  return values[0]!.replace(/^\$\{\w+:-(.*)\}$/, '$1');
}

/** A path-routing reverse proxy appending to X-Forwarded-For like nginx's $proxy_add_x_forwarded_for. */
async function startProxy(route: (path: string) => string): Promise<{ url: string; close(): Promise<void> }> {
  const forwardedFor = (req: IncomingMessage) =>
    [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const server: Server = createServer((req, res) => {
    const target = new URL(route(req.url ?? '/'));
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor(req) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  // WebSocket upgrades (Socket.IO): the same header, then raw bytes both ways.
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = new URL(route(req.url ?? '/'));
    const upstream = tcpConnect(Number(target.port), target.hostname, () => {
      const headers = { ...req.headers, 'x-forwarded-for': forwardedFor(req) };
      const lines = Object.entries(headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** One HTTP request from the loopback address `from` (a distinct client machine). */
function send(
  base: string,
  from: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        localAddress: from,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** socket.io-client hands `localAddress` to its WebSocket in Node (engine.io-client); it is not typed. */
type SocketOptions = Parameters<typeof connect>[1];
const fromAddress = (localAddress: string): SocketOptions => ({ localAddress }) as SocketOptions;

const FAILURES_PER_IP = 3;
const randomIp = () => `198.51.100.${randomInt(1, 255)}`;

/** A wrong login for a fresh unknown email: only the per-IP counter can refuse it. */
const wrongLogin = (base: string, from: string, headers: Record<string, string> = {}) =>
  send(base, from, 'POST', '/api/v1/auth/login', { email: uniqueEmail('guess'), password: 'wrong-password' }, headers);

/** Spends `from`'s whole failed-login budget (each a 401), `forge` choosing its X-Forwarded-For. */
async function spendLoginBudget(base: string, from: string, forge?: () => string): Promise<void> {
  for (let i = 0; i < FAILURES_PER_IP; i += 1) {
    const res = await wrongLogin(base, from, forge ? { 'x-forwarded-for': forge() } : {});
    expect([i, res.status]).toEqual([i, 401]);
  }
}

function expectRefused(res: Answer): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('hostile clients behind the shipped reverse proxy (compose nginx, its TRUST_PROXY_HOPS)', () => {
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let gateway: RealtimeFixture;
  let proxy: { url: string; close(): Promise<void> };
  const sockets: Client[] = [];
  const names = isolation();
  const COMMERCE_BUDGET = 5;
  const SOCKET_IP_BUDGET = 5;

  beforeAll(async () => {
    const hops = composeTrustProxyHops();
    auth = await startAuth({
      TRUST_PROXY_HOPS: hops,
      LOGIN_MAX_FAILURES_PER_IP: String(FAILURES_PER_IP),
    });
    commerce = await startCommerce(auth.url, {
      TRUST_PROXY_HOPS: hops,
      REQUESTS_PER_IP_PER_MINUTE: String(COMMERCE_BUDGET),
    });
    gateway = await startRealtime({
      ...names,
      TRUST_PROXY_HOPS: hops,
      AUTH_JWKS_URL: `${auth.url}/api/v1/auth/jwks`,
      IP_MESSAGES_PER_SECOND: String(SOCKET_IP_BUDGET),
      SOCKET_MESSAGES_PER_SECOND: '1000',
    });
    // routed by path like docker/nginx.conf
    proxy = await startProxy((path) =>
      path.startsWith('/api/v1/auth/')
        ? auth.url
        : path.startsWith('/socket.io/') || path.startsWith('/api/v1/stream')
          ? gateway.url
          : commerce.url,
    );
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await proxy?.close();
    await gateway?.close();
    await commerce?.close();
    await auth?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  it("proxy: one client's failed logins do not lock out another client", async () => {
    await spendLoginBudget(proxy.url, '127.0.0.2');
    expectRefused(await wrongLogin(proxy.url, '127.0.0.2'));
    // another machine behind the same proxy still gets honest answers
    expect((await wrongLogin(proxy.url, '127.0.0.3')).status).toBe(401);
    const ok = await send(proxy.url, '127.0.0.3', 'POST', '/api/v1/auth/login', ADMIN);
    expect(ok.status).toBe(200);
  });

  it('proxy: a client forging X-Forwarded-For cannot pick a fresh bucket', async () => {
    await spendLoginBudget(proxy.url, '127.0.0.4', randomIp);
    expectRefused(await wrongLogin(proxy.url, '127.0.0.4', { 'x-forwarded-for': randomIp() }));
    expectRefused(await wrongLogin(proxy.url, '127.0.0.4', { 'x-forwarded-for': `${randomIp()}, ${randomIp()}` }));
    expectRefused(await wrongLogin(proxy.url, '127.0.0.4'));
  });

  it("proxy: a client forging a victim's address in X-Forwarded-For cannot lock the victim out", async () => {
    await spendLoginBudget(proxy.url, '127.0.0.5', () => '127.0.0.6');
    expectRefused(await wrongLogin(proxy.url, '127.0.0.5'));
    expect((await wrongLogin(proxy.url, '127.0.0.6')).status).toBe(401);
  });

  it("proxy: one anonymous client's spent REST budget leaves another client's intact (commerce)", async () => {
    for (let i = 0; i < COMMERCE_BUDGET; i += 1)
      expect([i, (await send(proxy.url, '127.0.0.7', 'GET', '/api/v1/products?limit=1')).status]).toEqual([i, 200]);
    expectRefused(await send(proxy.url, '127.0.0.7', 'GET', '/api/v1/products?limit=1'));
    expectRefused(
      await send(proxy.url, '127.0.0.7', 'GET', '/api/v1/products?limit=1', undefined, {
        'x-forwarded-for': randomIp(),
      }),
    );
    expect((await send(proxy.url, '127.0.0.8', 'GET', '/api/v1/products?limit=1')).status).toBe(200);
  });

  it("proxy: one client's socket message flood does not rate-limit another client's socket (realtime)", async () => {
    const flooder = await connect(proxy.url, fromAddress('127.0.0.11'));
    const other = await connect(proxy.url, fromAddress('127.0.0.12'));
    sockets.push(flooder, other);
    const acks = await Promise.all(
      Array.from({ length: 3 * SOCKET_IP_BUDGET }, () => emitAck(flooder, 'subscribe', { channel: 'catalog' })),
    );
    expect(acks).toContainEqual({ ok: false, error: expect.objectContaining({ code: 'rate_limited' }) });
    expect(await emitAck(other, 'subscribe', { channel: 'catalog' })).toMatchObject({ ok: true });
  });
});

describe('hostile clients talking to an app directly (TRUST_PROXY_HOPS=0)', () => {
  let auth: AuthFixture;

  beforeAll(async () => {
    auth = await startAuth({ TRUST_PROXY_HOPS: '0', LOGIN_MAX_FAILURES_PER_IP: String(FAILURES_PER_IP) });
  }, 60_000);

  afterAll(async () => {
    await auth?.close();
  });

  it('direct: X-Forwarded-For is ignored, the socket peer is the client', async () => {
    await spendLoginBudget(auth.url, '127.0.0.9', randomIp);
    expectRefused(await wrongLogin(auth.url, '127.0.0.9', { 'x-forwarded-for': randomIp() }));
    // a client claiming to be somebody else's proxy is just that client
    expectRefused(await wrongLogin(auth.url, '127.0.0.9', { 'x-forwarded-for': '127.0.0.10' }));
    expect((await wrongLogin(auth.url, '127.0.0.10')).status).toBe(401);
  });
});
