import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { EventEnvelope, RpcRequest, RpcResponse } from '@tandem/contracts';
import { InProcessBroker } from '@tandem/messaging';
import { MetricsModule, RedisModule } from '@tandem/platform';
import { AccessTokenVerifier } from '@tandem/security';
import {
  CommercePort,
  RealtimeModule,
  RealtimeSettings,
  useRealtimeAdapter,
} from '../../../apps/realtime/src/index.js';
import type { RealtimeDeps } from '../../../apps/realtime/src/index.js';
import { startApp } from '../../support/apps.js';
import type { RunningApp } from '../../support/apps.js';
import { connect, emitAck, envelope, record, TestIssuer, waitFor } from '../../support/realtime.js';
import type { Client } from '../../support/realtime.js';

/** Commerce in memory: one order with its owner's token, and a record of every rpc call. */
class FakeCommerce extends CommercePort {
  readonly orderId = randomUUID();
  ownerToken = '';
  calls: Array<{ request: RpcRequest; token: string | undefined }> = [];

  async orderStatus(orderId: string, token: string | undefined): Promise<number> {
    return orderId === this.orderId && token === this.ownerToken ? 200 : 404;
  }

  async call(request: RpcRequest, token: string | undefined): Promise<RpcResponse> {
    this.calls.push({ request, token });
    return { status: 201, headers: { 'x-stream-offset': '7' }, body: { echoed: request.body ?? null } };
  }
}

/** The realtime feature with in-process fakes of every boundary: no broker, Redis, auth or commerce. */
@Module({})
class MediumRealtimeModule {
  static forRoot(settings: RealtimeSettings, deps: RealtimeDeps): DynamicModule {
    return {
      module: MediumRealtimeModule,
      imports: [RedisModule.forRoot(undefined, 'medium'), MetricsModule, RealtimeModule.register(settings, deps)],
    };
  }
}

describe('realtime gateway (medium: in-process broker, memory stores, local verifier, fake commerce)', () => {
  let issuer: TestIssuer;
  let broker: InProcessBroker;
  let commerce: FakeCommerce;
  let gateway: RunningApp<RealtimeSettings>;
  const sockets: Client[] = [];

  async function open(token?: string): Promise<Client> {
    const socket = await connect(gateway.url, { token });
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    issuer = await TestIssuer.local();
    broker = new InProcessBroker();
    commerce = new FakeCommerce();
    const verifier = AccessTokenVerifier.local(issuer.jwks, { issuer: 'tandem-auth', audience: 'tandem' });
    gateway = await startApp(
      'realtime',
      RealtimeSettings,
      (settings) => MediumRealtimeModule.forRoot(settings, { eventSource: broker, verifier, commerce }),
      // Messages up to 256 KiB, so that an rpc body over RPC_MAX_BODY_BYTES reaches the gateway.
      { SHUTDOWN_DRAIN_MS: '0', SOCKET_MAX_MESSAGE_BYTES: String(256 * 1024), MAX_CONNECTIONS_PER_USER: '2' },
      (app) => useRealtimeAdapter(app),
    );
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  afterAll(async () => {
    await gateway.close();
    await broker.close();
  });

  it('delivers a published event to a subscriber under its type', async () => {
    const socket = await open();
    const seen = record(socket);
    expect(await emitAck(socket, 'subscribe', { channel: 'catalog' })).toEqual({ ok: true, recovered: true });
    const event = envelope('product.updated', ['catalog'], { id: randomUUID() });
    const received = new Promise((resolve) => socket.once('product.updated', resolve));
    await broker.publish(event);
    expect(await received).toEqual(event);
    expect(seen.map((e) => e.id)).toEqual([event.id]);
  });

  it('replays what a client missed with `since`, then goes live, each event once', async () => {
    const channel = `product:${randomUUID()}` as const;
    const events: EventEnvelope[] = [];
    for (let i = 0; i < 3; i += 1) events.push(envelope('inventory.changed', [channel], { stock: i }));
    for (const event of events) await broker.publish(event);
    const socket = await open();
    const seen = record(socket);
    expect(await emitAck(socket, 'subscribe', { channel, since: events[0]!.offset })).toEqual({
      ok: true,
      recovered: true,
    });
    const live = envelope('inventory.changed', [channel, 'catalog'], { stock: 9 });
    await broker.publish(live);
    await broker.publish(live); // a redelivery is dropped
    await waitFor(() => seen.length >= 3, 2000, 'replay and live');
    expect(seen.map((e) => e.offset)).toEqual([events[1]!.offset, events[2]!.offset, live.offset]);
  });

  describe('conflation (subscribe { conflate })', () => {
    // A window far longer than the burst takes to publish in process, so the burst lands in one window.
    const WINDOW = 1500;
    const stockEvent = (productId: string, version: number) =>
      envelope('inventory.changed', [`product:${productId}`, 'catalog'], {
        productId,
        stock: 100 - version,
        delta: -1,
        version,
      });

    async function burst(products: string[], perProduct: number): Promise<EventEnvelope[]> {
      const events: EventEnvelope[] = [];
      for (let version = 1; version <= perProduct; version += 1) {
        for (const productId of products) events.push(stockEvent(productId, version));
      }
      for (const event of events) await broker.publish(event);
      return events;
    }

    it('a burst on two products reaches a conflating socket as the first event, then the newest of each; others get all', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const conflating = await open();
      const plain = await open();
      const conflated = record(conflating);
      const all = record(plain);
      expect(await emitAck(conflating, 'subscribe', { channel: 'catalog', conflate: WINDOW })).toEqual({
        ok: true,
        recovered: true,
      });
      expect(await emitAck(plain, 'subscribe', { channel: 'catalog' })).toMatchObject({ ok: true });
      const events = await burst([a, b], 20);
      await waitFor(() => all.length === events.length, 5000, 'every event on the plain socket');
      await waitFor(() => conflated.length >= 3, 2 * WINDOW + 1000, 'the window end');
      const newest = (productId: string) =>
        events.filter((e) => (e.data as { productId: string }).productId === productId).at(-1)!;
      expect(conflated.map((e) => e.id)).toEqual([events[0]!.id, newest(a).id, newest(b).id]);
      const offsets = conflated.map((e) => e.offset);
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    });

    it('refuses a window outside 50 to 5000 ms, and a re-subscribe without conflate turns it off', async () => {
      const socket = await open();
      const seen = record(socket);
      for (const conflate of [49, 5001, 1.5, '100']) {
        expect(await emitAck(socket, 'subscribe', { channel: 'catalog', conflate })).toMatchObject({
          ok: false,
          error: { code: 'invalid_request' },
        });
      }
      expect(await emitAck(socket, 'subscribe', { channel: 'catalog', conflate: WINDOW })).toMatchObject({ ok: true });
      expect(await emitAck(socket, 'subscribe', { channel: 'catalog' })).toMatchObject({ ok: true });
      const events = await burst([randomUUID()], 5);
      await waitFor(() => seen.length === events.length, 3000, 'every event, unconflated');
    });

    it('conflates an SSE stream with ?conflate=', async () => {
      const productId = randomUUID();
      const res = await fetch(`${gateway.url}/api/v1/stream?channels=product:${productId}&conflate=${WINDOW}`);
      expect(res.status).toBe(200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) text += (await reader.read()).value ?? '';
      };
      await readUntil(': ok');
      const events = await burst([productId], 10);
      await readUntil(events.at(-1)!.id);
      expect(text.match(/^event: inventory\.changed$/gm)).toHaveLength(2);
      expect(text).toContain(events[0]!.id);
      await reader.cancel();
      expect((await fetch(`${gateway.url}/api/v1/stream?channels=catalog&conflate=10`)).status).toBe(400);
    });
  });

  it('refuses private channels to anonymous sockets and other users, and asks commerce about orders', async () => {
    const userId = randomUUID();
    const token = await issuer.token({ sub: userId });
    commerce.ownerToken = token;
    const anonymous = await open();
    expect(await emitAck(anonymous, 'subscribe', { channel: `user:${userId}` })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const owner = await open(token);
    const stranger = await open(await issuer.token());
    expect(await emitAck(stranger, 'subscribe', { channel: `user:${userId}` })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await emitAck(owner, 'subscribe', { channel: `order:${commerce.orderId}` })).toMatchObject({ ok: true });
    expect(await emitAck(stranger, 'subscribe', { channel: `order:${commerce.orderId}` })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await emitAck(owner, 'subscribe', { channel: 'nowhere' })).toMatchObject({
      error: { code: 'invalid_channel' },
    });
    expect(await emitAck(owner, 'subscribe', { channel: 'catalog', since: 'x' })).toMatchObject({
      error: { code: 'invalid_request' },
    });
  });

  it('signs an anonymous socket in with `auth`, keeps it on its user, and refuses another user', async () => {
    const userId = randomUUID();
    const socket = await open();
    const seen = record(socket);
    expect(await emitAck(socket, 'auth', { token: 'garbage' })).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await emitAck(socket, 'auth', { token: await issuer.token({ sub: userId }) })).toEqual({ ok: true });
    const event = envelope('order.created', [`user:${userId}`], { id: randomUUID(), userId });
    await broker.publish(event);
    await waitFor(() => seen.length === 1, 2000, 'the user channel event');
    expect(await emitAck(socket, 'auth', { token: await issuer.token() })).toMatchObject({
      error: { code: 'unauthorized' },
    });
    // user:{sub} cannot be left
    expect(await emitAck(socket, 'unsubscribe', { channel: `user:${userId}` })).toEqual({ ok: true });
    const next = envelope('order.created', [`user:${userId}`], { id: randomUUID(), userId });
    await broker.publish(next);
    await waitFor(() => seen.length === 2, 2000, 'still subscribed');
  });

  it('holds the per-user cap in memory (no Redis), through `auth` swaps too, and frees a place on close', async () => {
    const sub = randomUUID();
    const first = await open(await issuer.token({ sub }));
    const anonymous = await open();
    expect(await emitAck(anonymous, 'auth', { token: await issuer.token({ sub }) })).toEqual({ ok: true });
    await expect(open(await issuer.token({ sub }))).rejects.toThrow('too_many_connections');
    const late = await open();
    expect(await emitAck(late, 'auth', { token: await issuer.token({ sub }) })).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });
    first.close();
    await waitFor(
      async () => (await emitAck<{ ok: boolean }>(late, 'auth', { token: await issuer.token({ sub }) })).ok,
      3000,
      'a place freed',
    );
  });

  it("re-authorizes every channel after a swap: an admin token swapped for a customer one loses other users' channels", async () => {
    const sub = randomUUID();
    const other = randomUUID();
    const socket = await open(await issuer.token({ sub, roles: ['admin'] }));
    const seen = record(socket);
    expect(await emitAck(socket, 'subscribe', { channel: `user:${other}` })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'auth', { token: await issuer.token({ sub }) })).toEqual({ ok: true });
    const hidden = envelope('order.created', [`user:${other}`], { id: randomUUID(), userId: other });
    const own = envelope('order.created', [`user:${sub}`], { id: randomUUID(), userId: sub });
    await broker.publish(hidden);
    await broker.publish(own);
    await waitFor(() => seen.some((e) => e.id === own.id), 3000, 'own event');
    expect(seen.map((e) => e.id)).toEqual([own.id]);
  });

  it('forwards rpc through the commerce port with the socket token, and filters what it may not forward', async () => {
    const token = await issuer.token();
    const socket = await open(token);
    commerce.calls = [];
    const answer = await emitAck(socket, 'rpc', {
      method: 'post',
      path: '/api/v1/orders',
      headers: { Authorization: 'Bearer stolen', 'Idempotency-Key': 'k1' },
      body: { items: [] },
    });
    expect(answer).toEqual({ status: 201, headers: { 'x-stream-offset': '7' }, body: { echoed: { items: [] } } });
    expect(commerce.calls).toEqual([
      {
        request: {
          method: 'POST',
          path: '/api/v1/orders',
          // the client's address as the gateway saw it, never a header the caller chose
          headers: { 'idempotency-key': 'k1', 'x-forwarded-for': '127.0.0.1' },
          body: { items: [] },
        },
        token,
      },
    ]);
    expect(await emitAck(socket, 'rpc', { method: 'GET', path: '/api/v1/auth/me' })).toEqual({
      status: 404,
      headers: {},
      body: null,
    });
    expect(await emitAck(socket, 'rpc', { method: 'POST', path: '/api/v1/orders', body: 'x'.repeat(70_000) })).toEqual({
      status: 413,
      headers: {},
      body: null,
    });
    expect(await emitAck(socket, 'rpc', { method: 'GET' })).toMatchObject({ error: { code: 'invalid_request' } });
    expect(commerce.calls).toHaveLength(1);
  });

  it('streams over SSE: ": ok", then events; closes the streams and sockets of a revoked session', async () => {
    const userId = randomUUID();
    const sid = randomUUID();
    const token = await issuer.token({ sub: userId, sid });
    const socket = await open(token);
    const socketClosed = new Promise((resolve) => socket.once('disconnect', resolve));
    const revokedNotice = new Promise((resolve) => socket.once('session.revoked', resolve));
    const res = await fetch(`${gateway.url}/api/v1/stream?channels=catalog`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    };
    await readUntil(': ok');
    const event = envelope('product.updated', ['catalog'], { id: randomUUID() });
    await broker.publish(event);
    await readUntil(event.id);
    expect(text).toContain(`id: ${event.offset}\nevent: product.updated\ndata: ${JSON.stringify(event)}\n\n`);

    await broker.publish({
      id: randomUUID(),
      type: 'session.revoked',
      channels: [`user:${userId}`],
      occurredAt: new Date().toISOString(),
      data: { userId, sid },
    });
    await readUntil('never'); // returns when the gateway ends the stream
    expect(text).toContain('event: session.revoked');
    await revokedNotice;
    await socketClosed;
  });

  it('answers a bad SSE request with a problem, not a crash', async () => {
    const missing = await fetch(`${gateway.url}/api/v1/stream`);
    expect(missing.status).toBe(400);
    const forbidden = await fetch(`${gateway.url}/api/v1/stream?channels=user:${randomUUID()}`);
    expect(forbidden.status).toBe(401);
    const badToken = await fetch(`${gateway.url}/api/v1/stream?channels=catalog`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(badToken.status).toBe(401);
  });
});

describe('realtime gateway drain (medium)', () => {
  it('on shutdown closes sockets at the transport level (they may reconnect) and ends SSE streams', async () => {
    const issuer = await TestIssuer.local();
    const broker = new InProcessBroker();
    const verifier = AccessTokenVerifier.local(issuer.jwks, { issuer: 'tandem-auth', audience: 'tandem' });
    const gateway = await startApp(
      'realtime',
      RealtimeSettings,
      (settings) => MediumRealtimeModule.forRoot(settings, { eventSource: broker, verifier }),
      { SHUTDOWN_DRAIN_MS: '50', SHUTDOWN_DRAIN_STEPS: '2' },
      (app) => useRealtimeAdapter(app),
    );
    const socket = await connect(gateway.url);
    const reason = new Promise((resolve) => socket.once('disconnect', resolve));
    const res = await fetch(`${gateway.url}/api/v1/stream?channels=catalog`);
    const body = res.text();
    await gateway.close();
    expect(await reason).toBe('transport close');
    expect(await body).toContain(': ok');
    socket.close();
    await broker.close();
  });
});
