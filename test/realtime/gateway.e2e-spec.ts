import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import request from 'supertest';
import type { AnyEnvelope, SubscribeAck } from '@tandem/contracts';
import type { RabbitMqBroker } from '@tandem/messaging';
import { expectProblem } from '../support/http.js';
import {
  BROKER_URL,
  connect,
  emitAck,
  envelope,
  isolation,
  offset,
  publisher,
  record,
  REDIS_URL,
  sleep,
  startRealtime,
  TestIssuer,
  waitFor,
  deleteQueues,
} from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';

/**
 * One gateway replica with real Redis and RabbitMQ, real socket.io-clients, events published to
 * tandem.events the way commerce and auth publish them.
 */
describe('realtime gateway (one replica)', () => {
  const names = isolation();
  let issuer: TestIssuer;
  let broker: RabbitMqBroker;
  let gateway: RealtimeFixture;
  const sockets: Client[] = [];

  const open = async (options: Parameters<typeof connect>[1] = {}) => {
    const socket = await connect(gateway.url, options);
    sockets.push(socket);
    return socket;
  };
  const subscribe = (socket: Client, payload: unknown) => emitAck<SubscribeAck>(socket, 'subscribe', payload);
  const product = () => `product:${randomUUID()}` as const;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = publisher();
    gateway = await startRealtime({
      ...names,
      AUTH_JWKS_URL: issuer.url,
      REDIS_URL,
      HISTORY_MAX_EVENTS: '5',
      SSE_HEARTBEAT_MS: '300',
      CORS_ORIGINS: 'http://shop.example',
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gateway?.close();
    await broker?.close();
    await issuer?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  describe('connections', () => {
    it('joins an authenticated socket to user:{sub} at once and emits events under their type', async () => {
      const userId = randomUUID();
      const socket = await open({ token: await issuer.token({ sub: userId }) });
      const orderId = randomUUID();
      const received = new Promise<AnyEnvelope>((resolve) => socket.once('order.created', resolve));
      const sent = envelope('order.created', [`user:${userId}`, `order:${orderId}`], { id: orderId, userId });
      await broker.publish(sent);
      expect(await received).toEqual(sent);
    });

    it.each([
      ['garbage', async () => 'not-a-jwt'],
      ['an expired token', async () => issuer.token({ ttlSeconds: -60 })],
      ['a token of another issuer', async () => issuer.token({ issuer: 'someone-else' })],
      ['a non-string token', async () => 42 as unknown as string],
    ])('refuses %s with connect_error "unauthorized"', async (_name, token) => {
      await expect(connect(gateway.url, { auth: { token: await token() } })).rejects.toThrow('unauthorized');
    });

    it('refuses a foreign Origin and accepts a listed one', async () => {
      await expect(connect(gateway.url, { extraHeaders: { Origin: 'http://evil.example' } })).rejects.toThrow();
      const ok = await open({ extraHeaders: { Origin: 'http://shop.example' } });
      expect(ok.connected).toBe(true);
    });

    it('closes the sockets of a revoked session only', async () => {
      const userId = randomUUID();
      const revokedSid = randomUUID();
      const revoked = await open({ token: await issuer.token({ sub: userId, sid: revokedSid }) });
      const other = await open({ token: await issuer.token({ sub: userId }) });
      const notice = new Promise((resolve) => revoked.once('session.revoked', resolve));
      const closed = new Promise((resolve) => revoked.once('disconnect', resolve));
      await broker.publish({
        id: randomUUID(),
        type: 'session.revoked',
        channels: [`user:${userId}`],
        occurredAt: new Date().toISOString(),
        data: { userId, sid: revokedSid },
      });
      await expect(notice).resolves.toMatchObject({ data: { sid: revokedSid } });
      await closed;
      await sleep(200);
      expect(other.connected).toBe(true);
    });

    it('emits session.expired and disconnects when the token lapses; a swapped token keeps the socket', async () => {
      const userId = randomUUID();
      const lapsing = await open({ token: await issuer.token({ sub: userId, ttlSeconds: 1 }) });
      const swapped = await open({ token: await issuer.token({ sub: userId, ttlSeconds: 1 }) });
      expect(await emitAck(swapped, 'auth', { token: await issuer.token({ sub: userId, ttlSeconds: 300 }) })).toEqual({
        ok: true,
      });
      expect(await emitAck(swapped, 'auth', { token: await issuer.token() })).toMatchObject({
        ok: false,
        error: { code: 'unauthorized' },
      });
      const expired = new Promise((resolve) => lapsing.once('session.expired', resolve));
      const closed = new Promise((resolve) => lapsing.once('disconnect', resolve));
      await expired;
      await closed;
      await sleep(300);
      expect(swapped.connected).toBe(true);
    });
  });

  describe('subscriptions', () => {
    it('answers the contract acks and refuses private channels to anonymous sockets and other users', async () => {
      const alice = randomUUID();
      const anonymous = await open();
      const bob = await open({ token: await issuer.token() });
      const admin = await open({ token: await issuer.token({ roles: ['admin'] }) });
      const forbidden = { ok: false, error: { code: 'forbidden', message: expect.any(String) } };
      expect(await subscribe(anonymous, { channel: 'catalog' })).toEqual({ ok: true, recovered: true });
      expect(await subscribe(anonymous, { channel: product() })).toEqual({ ok: true, recovered: true });
      expect(await subscribe(anonymous, { channel: `user:${alice}` })).toEqual(forbidden);
      expect(await subscribe(anonymous, { channel: `order:${randomUUID()}` })).toEqual(forbidden);
      expect(await subscribe(bob, { channel: `user:${alice}` })).toEqual(forbidden);
      expect(await subscribe(admin, { channel: `user:${alice}` })).toEqual({ ok: true, recovered: true });
      expect(await subscribe(bob, { channel: 'cart:1' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_channel' },
      });
      expect(await emitAck(bob, 'unsubscribe', { channel: 'catalog' })).toEqual({ ok: true });
    });

    it('allows order:{id} to its owner (learnt from order events) and to nobody else', async () => {
      const owner = randomUUID();
      const orderId = randomUUID();
      await broker.publish(
        envelope('order.created', [`user:${owner}`, `order:${orderId}`], { id: orderId, userId: owner }),
      );
      const mine = await open({ token: await issuer.token({ sub: owner }) });
      const stranger = await open({ token: await issuer.token() });
      await waitFor(async () => (await subscribe(mine, { channel: `order:${orderId}` })).ok, 3000, 'owner allowed');
      expect(await subscribe(stranger, { channel: `order:${orderId}` })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    });

    it('delivers an event once to a socket subscribed to several of its channels', async () => {
      const channel = product();
      const socket = await open();
      const seen = record(socket);
      await subscribe(socket, { channel });
      await subscribe(socket, { channel: 'catalog' });
      await subscribe(socket, { channel }); // again
      const sent = envelope('inventory.changed', [channel, 'catalog'], {
        productId: channel.slice(8),
        stock: 3,
        delta: -1,
      });
      await broker.publish(sent);
      await waitFor(() => seen.some((e) => e.id === sent.id), 3000, 'event');
      await sleep(200);
      expect(seen.filter((e) => e.id === sent.id)).toEqual([sent]);
    });
  });

  describe('conflation (docs/realtime.md, "Conflation")', () => {
    // Far longer than publishing a burst takes, so the burst lands in one window.
    const WINDOW = 1500;
    const stock = (channel: `product:${string}`, version: number) =>
      envelope('inventory.changed', [channel, 'catalog'], {
        productId: channel.slice(8),
        stock: 100 - version,
        delta: -1,
        version,
      });

    it('a burst of N updates to one product reaches a conflating socket as the first and the newest; two products one each', async () => {
      const [a, b] = [product(), product()];
      const conflating = await open();
      const plain = await open();
      const conflated = record(conflating);
      const all = record(plain);
      for (const channel of [a, b]) {
        expect(await subscribe(conflating, { channel, conflate: WINDOW })).toEqual({ ok: true, recovered: true });
        await subscribe(plain, { channel });
      }
      const events = [];
      for (let version = 1; version <= 30; version += 1) events.push(stock(a, version), stock(b, version));
      for (const event of events) await broker.publish(event);
      await waitFor(() => all.length === events.length, 5000, 'every event on the plain socket');
      await waitFor(() => conflated.length >= 3, 2 * WINDOW + 2000, 'the window end');
      await sleep(WINDOW + 200); // nothing more comes: the window closes with nothing held
      expect(conflated.map((e) => e.id)).toEqual([events[0]!.id, events.at(-2)!.id, events.at(-1)!.id]);
      expect(all.map((e) => e.offset)).toEqual(events.map((e) => e.offset));
    });

    it('unsubscribing drops what the window held for that channel', async () => {
      const channel = product();
      const socket = await open();
      const seen = record(socket);
      await subscribe(socket, { channel, conflate: WINDOW });
      const first = stock(channel, 1);
      await broker.publish(first);
      await waitFor(() => seen.length === 1, 3000, 'the first event, at once');
      await broker.publish(stock(channel, 2));
      await sleep(200); // consumed and held
      expect(await emitAck(socket, 'unsubscribe', { channel })).toEqual({ ok: true });
      await sleep(WINDOW + 300);
      expect(seen.map((e) => e.id)).toEqual([first.id]);
    });
  });

  describe('history and recovery', () => {
    it('replays exactly the missed events in order with recovered: true, then goes live', async () => {
      const channel = product();
      const first = await open();
      const live = record(first);
      await subscribe(first, { channel });
      const before = envelope('product.updated', [channel, 'catalog'], { id: channel.slice(8), v: 0 });
      await broker.publish(before);
      await waitFor(() => live.length === 1, 3000, 'first event');
      first.close();
      const missed = [1, 2, 3].map((v) =>
        envelope('product.updated', [channel, 'catalog'], { id: channel.slice(8), v }),
      );
      for (const event of missed) await broker.publish(event);
      await sleep(300); // consumed and recorded while nobody listens
      const again = await open();
      const replayed = record(again);
      expect(await subscribe(again, { channel, since: before.offset })).toEqual({ ok: true, recovered: true });
      expect(replayed).toEqual(missed); // acked after the replay: all three are already here
      const after = envelope('product.updated', [channel, 'catalog'], { id: channel.slice(8), v: 4 });
      await broker.publish(after);
      await waitFor(() => replayed.length === 4, 3000, 'live event after replay');
      expect(replayed.map((e) => e.id)).toEqual([...missed, after].map((e) => e.id));
    });

    it('says recovered: false when history no longer reaches back (HISTORY_MAX_EVENTS=5)', async () => {
      const channel = product();
      const events = [0, 1, 2, 3, 4, 5, 6].map((v) => envelope('product.updated', [channel], { v }));
      for (const event of events) await broker.publish(event);
      const watcher = await open();
      await waitFor(
        async () => {
          const probe = await open();
          const ack = await subscribe(probe, { channel, since: events[6]!.offset - 1 });
          const seen = record(probe);
          probe.close();
          return ack.ok && seen.length === 0 && ack.recovered;
        },
        3000,
        'history caught up',
      );
      const seen = record(watcher);
      expect(await subscribe(watcher, { channel, since: events[0]!.offset - 1 })).toEqual({
        ok: true,
        recovered: false,
      });
      expect(seen).toEqual([]);
      // A since inside the kept window still recovers.
      expect(await subscribe(watcher, { channel, since: events[3]!.offset })).toEqual({ ok: true, recovered: true });
      expect(seen.map((e) => e.id)).toEqual(events.slice(4).map((e) => e.id));
    });

    it('is recovered: true for a channel without events since then, and never repeats what a socket already got', async () => {
      const quiet = product();
      const busy = product();
      const socket = await open();
      const seen = record(socket);
      const mark = offset();
      expect(await subscribe(socket, { channel: quiet, since: mark })).toEqual({ ok: true, recovered: true });
      await subscribe(socket, { channel: 'catalog' });
      const event = envelope('product.created', [busy, 'catalog'], { id: busy.slice(8) });
      await broker.publish(event);
      await waitFor(() => seen.some((e) => e.id === event.id), 3000, `live event (got ${JSON.stringify(seen)})`);
      // Now subscribe to the event's other channel with a since before it: no second copy.
      expect(await subscribe(socket, { channel: busy, since: mark })).toEqual({ ok: true, recovered: true });
      expect(await subscribe(socket, { channel: 'catalog', since: mark })).toEqual({ ok: true, recovered: true });
      await sleep(100);
      // (catalog also carries events of other test runs on the shared exchange: look at ours only)
      expect(seen.filter((e) => e.channels.includes(busy)).map((e) => e.id)).toEqual([event.id]);
    });
  });

  describe('broker', () => {
    it('delivers a redelivered event (same id) once', async () => {
      const channel = product();
      const socket = await open();
      const seen = record(socket);
      await subscribe(socket, { channel });
      const event = envelope('product.updated', [channel], { v: 1 });
      await broker.publish(event);
      await broker.publish(event);
      const next = envelope('product.updated', [channel], { v: 2 });
      await broker.publish(next);
      await waitFor(() => seen.some((e) => e.id === next.id), 3000, 'next event');
      expect(seen.map((e) => e.id)).toEqual([event.id, next.id]);
    });

    it('dead-letters a malformed event and keeps serving the queue', async () => {
      const channel = product();
      const socket = await open();
      const seen = record(socket);
      await subscribe(socket, { channel });
      const connection = await amqplib.connect(BROKER_URL);
      const amqp = await connection.createChannel();
      amqp.publish('tandem.events', 'product.updated', Buffer.from('{ not json'), { persistent: true });
      await broker.publish({ ...envelope('product.updated', [channel], {}), offset: -3 } as AnyEnvelope);
      const good = envelope('product.updated', [channel], { v: 1 });
      await broker.publish(good);
      await waitFor(() => seen.some((e) => e.id === good.id), 3000, 'good event after poison');
      await waitFor(
        async () => (await amqp.checkQueue(`${names.REALTIME_QUEUE}.dead`)).messageCount === 2,
        5000,
        'two dead letters',
      );
      expect(seen.map((e) => e.id)).toEqual([good.id]);
      await connection.close();
    });
  });

  describe('robustness', () => {
    it('answers malformed payloads with error acks and survives', async () => {
      const socket = await open();
      const invalid = { ok: false, error: { code: 'invalid_request', message: expect.any(String) } };
      for (const payload of [
        'catalog',
        42,
        null,
        [],
        { channel: 'catalog', since: -1 },
        { channel: 'catalog', x: 1 },
      ]) {
        expect(await subscribe(socket, payload)).toEqual(invalid);
      }
      expect(await subscribe(socket, { channel: 'p'.repeat(10_000) })).toMatchObject({
        ok: false,
        error: { code: 'invalid_channel' },
      });
      socket.emit('subscribe'); // no payload, no ack
      socket.emit('nonsense', { a: 1 });
      expect(await emitAck(socket, 'rpc', 'GET /')).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await emitAck(socket, 'auth', { token: 7 })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await subscribe(socket, { channel: 'catalog' })).toEqual({ ok: true, recovered: true });
    });

    it('disconnects a socket sending an oversized message', async () => {
      const socket = await open();
      const closed = new Promise((resolve) => socket.once('disconnect', resolve));
      socket.emit('subscribe', { channel: 'x'.repeat(64 * 1024) });
      await closed;
    });

    it('rate-limits a burst of 1,000 subscribes and still serves a fresh client', async () => {
      const socket = await open();
      const acks: SubscribeAck[] = [];
      const closed = new Promise((resolve) => socket.once('disconnect', resolve));
      for (let i = 0; i < 1000; i += 1) {
        socket.emit('subscribe', { channel: 'catalog' }, (ack: SubscribeAck) => acks.push(ack));
      }
      await closed;
      expect(acks.some((ack) => !ack.ok && ack.error.code === 'rate_limited')).toBe(true);
      expect(acks.length).toBeLessThan(1000);
      const fresh = await open();
      expect(await subscribe(fresh, { channel: 'catalog' })).toEqual({ ok: true, recovered: true });
    });
  });

  describe('rpc', () => {
    it('answers 404 outside products/orders and 503 without COMMERCE_URL', async () => {
      const socket = await open({ token: await issuer.token() });
      expect(await emitAck(socket, 'rpc', { method: 'GET', path: '/api/v1/auth/me' })).toEqual({
        status: 404,
        headers: {},
        body: null,
      });
      expect(await emitAck(socket, 'rpc', { method: 'GET', path: '/api/v1/products/../auth/me' })).toMatchObject({
        status: 404,
      });
      expect(await emitAck(socket, 'rpc', { method: 'GET', path: '/api/v1/products?limit=5' })).toMatchObject({
        status: 503,
      });
    });
  });

  describe('SSE /api/v1/stream', () => {
    async function openStream(query: string, headers: Record<string, string> = {}) {
      const controller = new AbortController();
      const res = await fetch(`${gateway.url}/api/v1/stream?channels=${query}`, { headers, signal: controller.signal });
      const reader = res.body!.getReader();
      let text = '';
      const pump = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            text += Buffer.from(value).toString('utf8');
          }
        } catch {
          // aborted
        }
      })();
      return { res, text: () => text, close: () => controller.abort(), pump };
    }

    it("refuses private channels without a token (401) and with another user's (403)", async () => {
      const user = randomUUID();
      expectProblem(await request(gateway.url).get(`/api/v1/stream?channels=user:${user}`), 401);
      const other = await issuer.token();
      expectProblem(
        await request(gateway.url).get(`/api/v1/stream?channels=user:${user}`).set('Authorization', `Bearer ${other}`),
        403,
      );
      expectProblem(await request(gateway.url).get('/api/v1/stream?channels=nope'), 400);
      expectProblem(
        await request(gateway.url).get('/api/v1/stream?channels=catalog').set('Authorization', 'Bearer bad'),
        401,
      );
    });

    it('opens with ": ok", streams events once, sends heartbeats and resumes with Last-Event-ID', async () => {
      const userId = randomUUID();
      const channel = product();
      const token = await issuer.token({ sub: userId });
      const stream = await openStream(`${channel},catalog,user:${userId}`, { Authorization: `Bearer ${token}` });
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await waitFor(() => stream.text().startsWith(': ok\n\n'), 3000, ': ok');
      const first = envelope('inventory.changed', [channel, 'catalog'], {
        productId: channel.slice(8),
        stock: 1,
        delta: 1,
      });
      await broker.publish(first);
      const frame = `id: ${first.offset}\nevent: inventory.changed\ndata: ${JSON.stringify(first)}\n\n`;
      await waitFor(() => stream.text().includes(frame), 3000, 'SSE frame');
      await waitFor(() => stream.text().includes(': hb\n\n'), 3000, 'heartbeat');
      stream.close();
      await stream.pump;
      expect(stream.text().split(`id: ${first.offset}\n`).length).toBe(2); // once
      const missed = envelope('product.updated', [channel, 'catalog'], { id: channel.slice(8) });
      await broker.publish(missed);
      await sleep(300);
      const resumed = await openStream(`${channel},catalog`, { 'Last-Event-ID': String(first.offset) });
      await waitFor(() => resumed.text().includes(`id: ${missed.offset}\n`), 3000, 'replayed frame');
      expect(resumed.text().startsWith(': ok\n\n')).toBe(true);
      expect(resumed.text()).not.toContain(`id: ${first.offset}\n`);
      resumed.close();
      await resumed.pump;
    });
  });

  it('exposes the gateway metrics', async () => {
    const res = await request(gateway.url).get('/metrics');
    for (const name of [
      'realtime_connected_sockets',
      'realtime_subscriptions',
      'realtime_events_consumed_total',
      'realtime_events_emitted_total',
      'realtime_publish_to_emit_seconds_bucket',
      'realtime_recoveries_total{recovered="false"}',
      'realtime_rate_limited_total{scope="socket"}',
    ]) {
      expect(res.text).toContain(name);
    }
  });
});

describe('realtime gateway limits (per user, per IP)', () => {
  const names = isolation();
  let issuer: TestIssuer;
  let gateway: RealtimeFixture;
  const sockets: Client[] = [];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    gateway = await startRealtime({
      ...names,
      AUTH_JWKS_URL: issuer.url,
      REDIS_URL,
      MAX_CONNECTIONS_PER_USER: '2',
      IP_MESSAGES_PER_SECOND: '6',
      SOCKET_MESSAGES_PER_SECOND: '100',
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gateway?.close();
    await issuer?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  const open = async (token?: string) => {
    const socket = await connect(gateway.url, token ? { token } : {});
    sockets.push(socket);
    return socket;
  };

  it('caps the sockets of one user, and frees a place when one closes', async () => {
    const userId = randomUUID();
    const token = await issuer.token({ sub: userId });
    const first = await open(token);
    await open(token);
    await expect(connect(gateway.url, { token })).rejects.toThrow('too_many_connections');
    await open(await issuer.token()); // another user is not affected
    first.close();
    await waitFor(
      async () => {
        try {
          sockets.push(await connect(gateway.url, { token }));
          return true;
        } catch {
          return false;
        }
      },
      3000,
      'a place after close',
    );
  });

  it('limits the messages of all sockets of one IP together', async () => {
    const clients = await Promise.all([open(), open(), open()]);
    const acks = await Promise.all(
      clients.flatMap((socket) =>
        [0, 1, 2, 3].map(() => emitAck<SubscribeAck>(socket, 'subscribe', { channel: 'catalog' })),
      ),
    );
    const limited = acks.filter((ack) => !ack.ok && ack.error.code === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(12 - 6);
    expect(acks.filter((ack) => ack.ok).length).toBeLessThanOrEqual(6);
  });
});
