import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket as TcpSocket } from 'node:net';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import type { OkAck, RpcResponse, SubscribeAck } from '@tandem/contracts';
import type { RabbitMqBroker } from '@tandem/messaging';
import {
  connect,
  deleteQueues,
  emitAck,
  envelope,
  isolation,
  publisher,
  record,
  REDIS_URL,
  sleep,
  startRealtime,
  TestIssuer,
  waitFor,
} from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';

/** Commerce stand-in: records what reaches it; an order lookup is 404, anything else echoes. */
class RecordingCommerce {
  url = '';
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1/products?big=1') {
      res.end(JSON.stringify({ items: [{ blob: 'x'.repeat(1024 * 1024) }] })); // a large, honest-looking page
      return;
    }
    if (req.method === 'GET' && req.url?.startsWith('/api/v1/orders/')) {
      res.statusCode = 404;
      res.end(JSON.stringify({ type: 'not-found', status: 404 }));
      return;
    }
    res.end(JSON.stringify({ ok: true }));
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A distinct client address per probe: the test stands where the trusted proxy would (TRUST_PROXY_HOPS=1). */
let nextHost = 1;
const freshIp = () => `198.51.${Math.floor(nextHost / 250)}.${(nextHost++ % 250) + 1}`;

const MAX_PER_USER = 3;
const MAX_ANONYMOUS_PER_IP = 4;
const MAX_STREAMS_PER_IP = 2;
const SSE_PER_MINUTE = 6;
const REPLAYS_PER_MINUTE = 5;
const REPLAY_MAX = 5;

/**
 * Hostile clients against the realtime gateway (docs/security.md, "Realtime gateway"): two
 * replicas sharing Redis, as deployed, with low limits so that each probe reaches them fast. Every
 * probe attacks as an attacker would and asserts the safe outcome: an error ack, a refused
 * connection or a clear 4xx, never a crash, a leak or a limit that does not hold.
 */
describe('hostile clients vs the realtime gateway (two replicas, Redis)', () => {
  const names = isolation();
  let issuer: TestIssuer;
  let broker: RabbitMqBroker;
  let commerce: RecordingCommerce;
  let a: RealtimeFixture;
  let b: RealtimeFixture;
  const sockets: Client[] = [];

  const env = () => ({
    ...names,
    AUTH_JWKS_URL: issuer.url,
    COMMERCE_URL: commerce.url,
    REDIS_URL,
    TRUST_PROXY_HOPS: '1',
    MAX_CONNECTIONS_PER_USER: String(MAX_PER_USER),
    MAX_ANONYMOUS_CONNECTIONS_PER_IP: String(MAX_ANONYMOUS_PER_IP),
    MAX_SSE_STREAMS_PER_IP: String(MAX_STREAMS_PER_IP),
    SSE_REQUESTS_PER_MINUTE: String(SSE_PER_MINUTE),
    SOCKET_REPLAYS_PER_MINUTE: String(REPLAYS_PER_MINUTE),
    REPLAY_MAX_EVENTS: String(REPLAY_MAX),
    SOCKET_MAX_UNSENT_BYTES: String(64 * 1024),
    SSE_HEARTBEAT_MS: '300',
  });

  /** A socket from `ip` (through the trusted proxy); rejects with the connect_error message. */
  const open = async (url: string, options: { token?: string; ip?: string } = {}) => {
    const socket = await connect(url, {
      token: options.token,
      extraHeaders: { 'x-forwarded-for': options.ip ?? freshIp() },
    });
    sockets.push(socket);
    return socket;
  };
  const attempt = (url: string, options: { token?: string; ip?: string }) =>
    open(url, options).then(
      () => 'connected',
      (error: Error) => error.message,
    );
  const stream = (url: string, query: string, headers: Record<string, string>) => {
    const controller = new AbortController();
    const response = fetch(`${url}/api/v1/stream?channels=${query}`, { headers, signal: controller.signal });
    return { response, abort: () => controller.abort() };
  };
  const product = () => `product:${randomUUID()}` as const;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    commerce = new RecordingCommerce();
    await commerce.start();
    broker = publisher();
    [a, b] = await Promise.all([startRealtime(env()), startRealtime(env())]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([a?.close(), b?.close()]);
    await broker?.close();
    await commerce?.close();
    await issuer?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  describe('connection caps', () => {
    it('cap bypass via parallel handshakes on both replicas: at most MAX_CONNECTIONS_PER_USER get in', async () => {
      const userId = randomUUID();
      const tokens = await Promise.all(Array.from({ length: 12 }, () => issuer.token({ sub: userId })));
      const outcomes = await Promise.all(tokens.map((token, i) => attempt(i % 2 ? a.url : b.url, { token })));
      expect(outcomes.filter((o) => o === 'connected')).toHaveLength(MAX_PER_USER);
      expect(new Set(outcomes.filter((o) => o !== 'connected'))).toEqual(new Set(['too_many_connections']));
    });

    it('cap bypass via connecting anonymously, then `auth`: the swap is refused at the cap', async () => {
      const userId = randomUUID();
      for (let i = 0; i < MAX_PER_USER; i += 1)
        await open(i % 2 ? a.url : b.url, { token: await issuer.token({ sub: userId }) });
      const sneaky = await open(a.url);
      const ack = await emitAck<OkAck>(sneaky, 'auth', { token: await issuer.token({ sub: userId }) });
      expect(ack).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      // Still anonymous: the user's private channel stays closed to it.
      expect(await emitAck<SubscribeAck>(sneaky, 'subscribe', { channel: `user:${userId}` })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    });

    it('cap bypass via parallel `auth` swaps on anonymous sockets (each sent twice): at most the cap sign in', async () => {
      const userId = randomUUID();
      const anonymous = await Promise.all(Array.from({ length: 6 }, (_, i) => open(i % 2 ? a.url : b.url)));
      const acks = await Promise.all(
        anonymous.flatMap((socket) =>
          [0, 1].map(async () => emitAck<OkAck>(socket, 'auth', { token: await issuer.token({ sub: userId }) })),
        ),
      );
      const signedIn = anonymous.filter((_, i) => acks[2 * i]!.ok || acks[2 * i + 1]!.ok);
      expect(signedIn.length).toBe(MAX_PER_USER);
      // The doubled swaps did not free a place: the cap is still full.
      expect(await attempt(a.url, { token: await issuer.token({ sub: userId }) })).toBe('too_many_connections');
    });

    it('an anonymous socket that signs in leaves the anonymous count and takes a place under the user cap', async () => {
      const ip = freshIp();
      const userId = randomUUID();
      const first = await open(a.url, { ip });
      expect(await emitAck<OkAck>(first, 'auth', { token: await issuer.token({ sub: userId }) })).toEqual({ ok: true });
      for (let i = 0; i < MAX_ANONYMOUS_PER_IP; i += 1) await open(i % 2 ? a.url : b.url, { ip });
      const outcomes = [];
      for (let i = 1; i < MAX_PER_USER; i += 1)
        outcomes.push(await attempt(b.url, { token: await issuer.token({ sub: userId }) }));
      outcomes.push(await attempt(b.url, { token: await issuer.token({ sub: userId }) }));
      expect(outcomes).toEqual([...Array(MAX_PER_USER - 1).fill('connected'), 'too_many_connections']);
    });

    it('cap bypass via `unsubscribe user:{me}`: the channel cannot be left and the cap still counts', async () => {
      const userId = randomUUID();
      const own = [];
      for (let i = 0; i < MAX_PER_USER; i += 1)
        own.push(await open(a.url, { token: await issuer.token({ sub: userId }) }));
      for (const socket of own) {
        expect(await emitAck(socket, 'unsubscribe', { channel: `user:${userId}` })).toEqual({ ok: true });
      }
      expect(await attempt(b.url, { token: await issuer.token({ sub: userId }) })).toBe('too_many_connections');
      const seen = record(own[0]!);
      const sent = envelope('order.created', [`user:${userId}`], { id: randomUUID(), userId });
      await broker.publish(sent);
      await waitFor(() => seen.some((e) => e.id === sent.id), 3000, 'user event after unsubscribe');
    });

    it('frees a place when a socket closes, on the other replica too', async () => {
      const userId = randomUUID();
      const own = [];
      for (let i = 0; i < MAX_PER_USER; i += 1)
        own.push(await open(a.url, { token: await issuer.token({ sub: userId }) }));
      own[0]!.close();
      await waitFor(
        async () => (await attempt(b.url, { token: await issuer.token({ sub: userId }) })) === 'connected',
        3000,
        'a place freed',
      );
    });

    it("a crashed replica's counted connections expire with their lease instead of locking the user out", async () => {
      const userId = randomUUID();
      const redis = new Redis(REDIS_URL);
      try {
        const key = `${names.REALTIME_REDIS_PREFIX}slots:user:${userId}`;
        // What a replica that died left behind: leases that were never renewed (score = lease end, ms).
        await redis.zadd(key, 1, 'dead-1', 2, 'dead-2', 3, 'dead-3');
        expect(await attempt(a.url, { token: await issuer.token({ sub: userId }) })).toBe('connected');
        expect(await redis.zscore(key, 'dead-1')).toBeNull();
        // Live leases (another replica's sockets) still count.
        const future = Date.now() + 60_000;
        await redis.zadd(key, future, 'live-1', future, 'live-2');
        expect(await attempt(b.url, { token: await issuer.token({ sub: userId }) })).toBe('too_many_connections');
      } finally {
        redis.disconnect();
      }
    });

    it('anonymous socket flood from one IP: at most MAX_ANONYMOUS_CONNECTIONS_PER_IP across replicas', async () => {
      const ip = freshIp();
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(i % 2 ? a.url : b.url, { ip })));
      expect(outcomes.filter((o) => o === 'connected')).toHaveLength(MAX_ANONYMOUS_PER_IP);
      expect(outcomes.filter((o) => o !== 'connected').every((o) => o === 'too_many_connections')).toBe(true);
      expect(await attempt(a.url, { ip: freshIp() })).toBe('connected'); // another address is not affected
    });
  });

  describe('SSE', () => {
    it('SSE stream flood from one IP: at most MAX_SSE_STREAMS_PER_IP open, the rest 429', async () => {
      const ip = freshIp();
      const opened = [];
      for (let i = 0; i < MAX_STREAMS_PER_IP; i += 1) {
        const s = stream(i % 2 ? a.url : b.url, 'catalog', { 'x-forwarded-for': ip });
        opened.push(s);
        expect((await s.response).status).toBe(200);
      }
      const extra = stream(b.url, 'catalog', { 'x-forwarded-for': ip });
      const refused = await extra.response;
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      for (const s of opened) s.abort();
      // A closed stream gives its place back (a few tries: each request counts against the rate too).
      let status = 0;
      for (let i = 0; i < 3 && status !== 200; i += 1) {
        await sleep(300);
        const again = stream(a.url, 'catalog', { 'x-forwarded-for': ip });
        status = (await again.response).status;
        again.abort();
      }
      expect(status).toBe(200);
    });

    it('SSE request rate from one IP: beyond SSE_REQUESTS_PER_MINUTE → 429 with Retry-After, another IP unaffected', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < SSE_PER_MINUTE + 3; i += 1) {
        const res = await fetch(`${i % 2 ? a.url : b.url}/api/v1/stream?channels=nope`, {
          headers: { 'x-forwarded-for': ip },
        });
        await res.body?.cancel();
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(statuses.slice(0, SSE_PER_MINUTE).every((s) => s === 400)).toBe(true);
      expect(statuses.slice(SSE_PER_MINUTE)).toEqual([429, 429, 429]);
      const other = await fetch(`${a.url}/api/v1/stream?channels=nope`, { headers: { 'x-forwarded-for': freshIp() } });
      expect(other.status).toBe(400);
    });
  });

  describe('replays', () => {
    it('replay flood (subscribe/unsubscribe with since: 0): replays beyond the budget are refused', async () => {
      const channel = product();
      const events = [1, 2, 3].map((v) => envelope('product.updated', [channel], { v }));
      for (const event of events) await broker.publish(event);
      const socket = await open(a.url);
      await waitFor(
        async () => {
          const probe = await open(b.url);
          const seen = record(probe);
          await emitAck(probe, 'subscribe', { channel, since: events[0]!.offset - 1 });
          probe.close();
          return seen.length === 3;
        },
        3000,
        'history recorded',
      );
      const seen = record(socket);
      const acks: SubscribeAck[] = [];
      for (let i = 0; i < REPLAYS_PER_MINUTE + 3; i += 1) {
        acks.push(await emitAck<SubscribeAck>(socket, 'subscribe', { channel, since: events[0]!.offset - 1 }));
        await emitAck(socket, 'unsubscribe', { channel });
        await sleep(60); // under the per-socket message rate: only the replay budget applies
      }
      expect(acks.slice(0, REPLAYS_PER_MINUTE).every((ack) => ack.ok)).toBe(true);
      for (const ack of acks.slice(REPLAYS_PER_MINUTE)) {
        expect(ack).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      }
      expect(seen.map((e) => e.id)).toEqual(events.map((e) => e.id)); // and never twice
    });

    it('re-subscribing to a held channel replays nothing again and costs no replay', async () => {
      const channel = product();
      const event = envelope('product.updated', [channel], { v: 1 });
      await broker.publish(event);
      const socket = await open(b.url);
      const seen = record(socket);
      await waitFor(
        async () => {
          await emitAck(socket, 'unsubscribe', { channel });
          await emitAck(socket, 'subscribe', { channel, since: event.offset - 1 });
          return seen.length === 1;
        },
        3000,
        'first replay',
      );
      const acks = [];
      for (let i = 0; i < REPLAYS_PER_MINUTE + 2; i += 1) {
        acks.push(await emitAck<SubscribeAck>(socket, 'subscribe', { channel, since: event.offset - 1 }));
        await sleep(60);
      }
      expect(acks.every((ack) => ack.ok && ack.recovered)).toBe(true);
      expect(seen).toHaveLength(1);
    });

    it('a replay longer than REPLAY_MAX_EVENTS sends nothing and says recovered: false', async () => {
      const channel = product();
      const events = Array.from({ length: REPLAY_MAX + 2 }, (_, v) => envelope('product.updated', [channel], { v }));
      for (const event of events) await broker.publish(event);
      const watcher = await open(a.url);
      await emitAck(watcher, 'subscribe', { channel: 'catalog' });
      const probe = await open(a.url);
      const live = record(probe);
      await emitAck(probe, 'subscribe', { channel });
      const last = envelope('product.updated', [channel], { v: 'last' });
      await broker.publish(last);
      await waitFor(() => live.some((e) => e.id === last.id), 3000, 'history caught up');
      const socket = await open(b.url);
      const seen = record(socket);
      const ack = await emitAck<SubscribeAck>(socket, 'subscribe', { channel, since: events[0]!.offset - 1 });
      expect(ack).toEqual({ ok: true, recovered: false });
      await sleep(100);
      expect(seen).toEqual([]);
      // A short gap still replays.
      const near = await open(b.url);
      const replayed = record(near);
      expect(await emitAck(near, 'subscribe', { channel, since: events.at(-1)!.offset })).toEqual({
        ok: true,
        recovered: true,
      });
      expect(replayed.map((e) => e.id)).toEqual([last.id]);
    });
  });

  it('never-reading client: disconnected once its unsent bytes pass the bound, counted in metrics', async () => {
    const before = await slowConsumers(a);
    const raw = await rawSubscriber(a.url.replace('http', 'ws'), product());
    raw.tcp.pause(); // stops reading: the server's writes back up (the kernel's buffers first)
    // It keeps asking for large answers (rpc pages of 1 MiB) it never reads, within the message rate.
    let sent = 0;
    await waitFor(
      async () => {
        if (raw.closed || (await slowConsumers(a)) > before) return true;
        raw.send(`42${(sent += 1)}["rpc",{"method":"GET","path":"/api/v1/products?big=1"}]`);
        await sleep(80);
        return false;
      },
      20_000,
      'slow consumer shed',
    );
    raw.tcp.resume();
    await waitFor(() => raw.closed, 5000, 'connection torn down');
    expect(await slowConsumers(a)).toBe(before + 1);
    expect(raw.received).toBeLessThan(sent); // it never got (nor made the server keep) all it asked for
    expect((await fetch(`${a.url}/health/live`)).status).toBe(200);
  });

  describe('messages', () => {
    it('channel-name fuzzing: every odd name is refused with a contract code, the socket stays usable', async () => {
      const other = randomUUID();
      const socket = await open(b.url, { token: await issuer.token() });
      const names: unknown[] = [
        `user:${other}`,
        `order:${randomUUID()}`,
        '__proto__',
        'constructor',
        'toString',
        'catalog ',
        'CATALOG',
        `product:${'a'.repeat(10_000)}`,
        'product:🙂',
        'product:../../catalog',
        'user:',
        'user:*',
        'order:%2e%2e',
        `product:${randomUUID()}\u0000`,
        '',
        null,
        42,
        ['catalog'],
        { toString: 'catalog' },
      ];
      for (const channel of names) {
        const ack = await emitAck<SubscribeAck>(socket, 'subscribe', { channel });
        expect(ack.ok).toBe(false);
        if (!ack.ok) expect(['invalid_channel', 'forbidden', 'invalid_request']).toContain(ack.error.code);
        await sleep(60);
      }
      expect(await emitAck(socket, 'subscribe', { channel: 'catalog' })).toMatchObject({ ok: true });
    });

    it('malformed and oversized payloads of every message: error acks, then a disconnect, never a crash', async () => {
      const socket = await open(a.url);
      const bad: unknown[] = [undefined, null, 0, 'x', [], [1], { channel: 'catalog', since: -1 }, { since: 'x' }];
      for (const event of ['subscribe', 'unsubscribe', 'auth', 'rpc']) {
        for (const payload of bad) {
          const ack = await emitAck<OkAck>(socket, event, payload);
          expect(ack).toMatchObject({ ok: false });
          await sleep(55);
        }
      }
      expect(await emitAck(socket, 'rpc', { method: 'TRACE', path: '/api/v1/products' })).toMatchObject({ ok: false });
      const gone = new Promise((resolve) => socket.once('disconnect', resolve));
      socket.emit('rpc', { method: 'POST', path: '/api/v1/orders', body: { blob: 'x'.repeat(64 * 1024) } });
      await gone;
      expect((await fetch(`${a.url}/health/live`)).status).toBe(200);
    });

    it('rpc path and header smuggling: nothing leaves products/orders, the caller never chooses its identity', async () => {
      const token = await issuer.token();
      const ip = freshIp();
      const socket = await open(b.url, { token, ip });
      const from = commerce.seen.length;
      const paths = [
        '/api/v1/products/../../auth/login',
        '/api/v1/products/%2e%2e/%2e%2e/auth/login',
        '/api/v1/products%2F..%2F..%2Fauth',
        '/api/v1/products/..%5c..%5cauth',
        'http://169.254.169.254/api/v1/products',
        '//evil.example/api/v1/products',
        '/api/v1/products\r\nX-Injected: 1',
        '/api/v1/auth/login',
        '/api/v1/productsX',
        '/health/ready',
        '/api/v1/orders#/../../auth',
      ];
      for (const path of paths) {
        expect(await emitAck<RpcResponse>(socket, 'rpc', { method: 'GET', path })).toMatchObject({ status: 404 });
        await sleep(55);
      }
      expect(commerce.seen.length).toBe(from);
      const smuggled = await emitAck<RpcResponse>(socket, 'rpc', {
        method: 'POST',
        path: '/api/v1/orders?x=1',
        body: { lines: [] },
        headers: {
          Authorization: 'Bearer stolen',
          'X-Forwarded-For': '10.0.0.1',
          Host: 'evil.example',
          Cookie: 'session=stolen',
          'Idempotency-Key': `k-${randomUUID()}`,
        },
      });
      expect(smuggled.status).toBe(200);
      const crlf = await emitAck(socket, 'rpc', {
        method: 'GET',
        path: '/api/v1/products',
        headers: { 'if-none-match': 'a\r\nAuthorization: Bearer stolen' },
      });
      expect(crlf).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      const reached = commerce.seen.slice(from);
      expect(reached.map((r) => r.url)).toEqual(['/api/v1/orders?x=1']);
      expect(reached[0]!.headers.authorization).toBe(`Bearer ${token}`);
      expect(reached[0]!.headers['x-forwarded-for']).toBe(ip); // the client's address, not the caller's header
      expect(reached[0]!.headers.cookie).toBeUndefined();
      expect(reached[0]!.headers.host).toBe(new URL(commerce.url).host);
    });

    it('ownership lookups cannot hammer commerce: one lookup per order and user, refusals included', async () => {
      const socket = await open(a.url, { token: await issuer.token() });
      const orderId = randomUUID();
      const from = commerce.seen.length;
      for (let i = 0; i < 8; i += 1) {
        expect(await emitAck(socket, 'subscribe', { channel: `order:${orderId}` })).toMatchObject({
          ok: false,
          error: { code: 'forbidden' },
        });
        await sleep(55);
      }
      expect(commerce.seen.slice(from).map((r) => r.url)).toEqual([`/api/v1/orders/${orderId}`]);
    });
  });

  describe('auth swaps', () => {
    it('swap to a token with fewer rights: the channels it may no longer read are dropped', async () => {
      const userId = randomUUID();
      const victim = randomUUID();
      const orderId = randomUUID();
      const socket = await open(b.url, { token: await issuer.token({ sub: userId, roles: ['admin'] }) });
      const seen = record(socket);
      for (const channel of [`user:${victim}`, `order:${orderId}`, 'catalog']) {
        expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
      }
      expect(await emitAck(socket, 'auth', { token: await issuer.token({ sub: userId }) })).toEqual({ ok: true });
      const privateEvent = envelope('order.created', [`user:${victim}`, `order:${orderId}`], {
        id: orderId,
        userId: victim,
      });
      const own = envelope('order.created', [`user:${userId}`], { id: randomUUID(), userId });
      await broker.publish(privateEvent);
      await broker.publish(own);
      await waitFor(() => seen.some((e) => e.id === own.id), 3000, 'own event');
      await sleep(100);
      expect(seen.some((e) => e.id === privateEvent.id)).toBe(false);
    });

    it("swap to another user's token is refused and keeps the socket's identity", async () => {
      const userId = randomUUID();
      const socket = await open(a.url, { token: await issuer.token({ sub: userId }) });
      const ack = await emitAck(socket, 'auth', { token: await issuer.token() });
      expect(ack).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(await emitAck(socket, 'subscribe', { channel: `user:${userId}` })).toMatchObject({ ok: true });
    });
  });
});

async function slowConsumers(app: RealtimeFixture): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return Number(/realtime_slow_consumers_disconnected_total\{transport="socket"\} (\d+)/.exec(text)?.[1] ?? 0);
}

/**
 * A bare Engine.IO/Socket.IO client over one WebSocket (what an attacker scripts): connects,
 * subscribes to `channel`, and exposes its TCP socket so the test can stop reading it.
 */
async function rawSubscriber(
  wsBase: string,
  channel: string,
): Promise<{ tcp: TcpSocket; received: number; closed: boolean; send: (text: string) => void }> {
  const ws = new WebSocket(`${wsBase}/socket.io/?EIO=4&transport=websocket`, {
    headers: { 'x-forwarded-for': freshIp() },
  });
  const state = {
    tcp: undefined as unknown as TcpSocket,
    received: 0,
    closed: false,
    send: (text: string) => ws.send(text),
  };
  ws.on('close', () => (state.closed = true));
  ws.on('error', () => (state.closed = true));
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0'))
        ws.send('40'); // Engine.IO open → Socket.IO connect
      else if (text.startsWith('40')) ws.send(`420["subscribe",{"channel":"${channel}"}]`);
      else if (text.startsWith('430')) resolve();
      else if (text.startsWith('42') || text.startsWith('43')) state.received += 1;
      else if (text === '2') ws.send('3'); // ping → pong
    });
    ws.once('error', reject);
  });
  state.tcp = (ws as unknown as { _socket: TcpSocket })._socket;
  return state;
}
