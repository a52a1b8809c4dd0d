import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import { TandemClient } from '@tandem/client';
import type { EventEnvelope, LiveEvent, LiveState, Product, TandemClientOptions } from '@tandem/client';
import { SocketTransport } from '../../libs/client/src/transports.js';
import { startStandaloneServer } from '../support/standalone.js';
import type { StandaloneServer } from '../support/standalone.js';
import { uniqueEmail } from '../support/http.js';

/**
 * The SDK's behaviour (docs/client-sdk.md) against the real standalone server (built app, embedded database, in-process bus,
 * in-memory Socket.IO history of 20 events per channel, 30 s access tokens).
 */
const ADMIN = { email: 'sdk-admin@example.test', password: 'sdk admin password 1' };
const PASSWORD = 'password-1234';

interface Collector {
  events: LiveEvent[];
  handler: (event: LiveEvent) => void;
  waitFor(count: number, timeoutMs?: number): Promise<LiveEvent[]>;
}

function collector(): Collector {
  const events: LiveEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    events,
    handler: (event) => {
      events.push(event);
      for (const wake of waiters) wake();
    },
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (events.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(events);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`expected ${count} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.type))}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function rawSocket(client: TandemClient) {
  const transport = client.live.activeTransport;
  if (!(transport instanceof SocketTransport)) throw new Error('not on the WebSocket transport');
  return transport.raw;
}

function stockOf(event: LiveEvent): number | undefined {
  if (event.type === 'inventory.changed') return event.data.stock;
  return undefined;
}

/** An HTTP proxy that forwards requests but refuses WebSocket upgrades, like some corporate proxies. */
async function websocketBlockingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('client SDK against the standalone server', () => {
  let server: StandaloneServer;
  let admin: TandemClient;
  let products: Product[];
  const clients: TandemClient[] = [];
  let tokenRefreshScenario: Promise<Record<string, unknown>>;

  function newClient(options: TandemClientOptions = {}): TandemClient {
    // Tokens live 30 s on this server; refresh 5 s before expiry unless a test asks otherwise.
    const client = new TandemClient({ baseUrl: server.url, refreshBeforeExpirySeconds: 5, ...options });
    clients.push(client);
    return client;
  }

  async function customer(options: TandemClientOptions = {}): Promise<TandemClient> {
    const client = newClient(options);
    await client.auth.register(uniqueEmail('sdk'), PASSWORD, 'SDK Customer');
    return client;
  }

  /**
   * Runs alongside the other tests (it must outlive a 30 s access token): a customer whose client
   * refreshes 27 s before expiry, i.e. about every 3 s, keeps one socket past the first token's
   * expiry, and still gets its private events.
   */
  async function runTokenRefreshScenario(): Promise<Record<string, unknown>> {
    const client = await customer({ refreshBeforeExpirySeconds: 27 });
    const firstToken = client.session!.accessToken;
    const firstExp = JSON.parse(Buffer.from(firstToken.split('.')[1]!, 'base64url').toString()).exp as number;
    const events = collector();
    const sub = client.live.subscribe(`user:${client.user!.id}`, events.handler);
    await sub.ready;
    const socket = rawSocket(client);
    const socketId = socket.id;
    let disconnects = 0;
    let expiredNotices = 0;
    socket.on('disconnect', () => (disconnects += 1));
    socket.on('session.expired', () => (expiredNotices += 1));
    const tokens = new Set([firstToken]);
    client.sessions.onChange((session) => session && tokens.add(session.accessToken));
    await until(() => tokens.size > 1, 10_000, 'a refreshed token');
    // Past the first token's expiry (plus the verifier's clock tolerance).
    await sleep(Math.max(0, firstExp * 1000 - Date.now()) + 6_000);
    const order = await client.orders.place({ items: [{ productId: products[9]!.id, quantity: 1 }] });
    await client.orders.pay(order.id);
    await events.waitFor(2);
    return {
      refreshes: tokens.size - 1,
      sameSocket: rawSocket(client).id === socketId,
      connected: rawSocket(client).connected,
      disconnects,
      expiredNotices,
      eventTypes: events.events.map((event) => event.type),
    };
  }

  beforeAll(async () => {
    server = await startStandaloneServer({
      env: {
        ...{ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        HISTORY_MAX_EVENTS: '20',
        ACCESS_TOKEN_TTL: '30',
      },
    });
    admin = newClient();
    await admin.auth.login(ADMIN.email, ADMIN.password);
    products = (await admin.products.list({ limit: 12 })).data.items;
    tokenRefreshScenario = runTokenRefreshScenario();
    tokenRefreshScenario.catch(() => undefined);
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  it('logs in, registers and makes typed REST calls that carry the stream offset', async () => {
    const client = await customer();
    expect(client.user).toEqual(expect.objectContaining({ roles: ['customer'], name: 'SDK Customer' }));
    expect(await client.auth.me()).toEqual(client.user);
    const page = await client.products.list({ limit: 2 });
    expect(page.data.items).toHaveLength(2);
    expect(page.offset).toBeGreaterThan(0);
    const one = await client.products.get(products[0]!.id);
    expect(one.etag).toBe(`"${one.data.version}"`);
    const key = 'sdk-order-1';
    const order = await client.orders.place(
      { items: [{ productId: products[0]!.id, quantity: 2 }] },
      { idempotencyKey: key },
    );
    const again = await client.orders.place(
      { items: [{ productId: products[0]!.id, quantity: 2 }] },
      { idempotencyKey: key },
    );
    expect(again.id).toBe(order.id);
    expect((await client.orders.pay(order.id)).status).toBe('paid');
    expect((await admin.orders.setStatus(order.id, 'shipped')).status).toBe('shipped');
    await expect(client.products.update(products[0]!.id, { stock: 1 })).rejects.toMatchObject({ status: 403 });
    await expect(admin.products.update(products[0]!.id, { stock: 1 }, { ifVersion: 1 })).rejects.toMatchObject({
      status: 412,
    });
  });

  it('joins snapshot and stream without gap or duplicate: changes between the snapshot read and the subscribe arrive once', async () => {
    const product = products[1]!;
    await admin.products.update(product.id, { stock: 50 }); // before the snapshot: must not be delivered
    const client = await customer();
    const events = collector();
    const snapshots: number[] = [];
    const sub = client.live.subscribe<Product>(`product:${product.id}`, events.handler, {
      snapshot: async () => {
        const read = await client.products.get(product.id);
        // Committed after the snapshot, before the subscription exists.
        await admin.products.update(product.id, { stock: 51 });
        await admin.products.update(product.id, { stock: 52 });
        await sleep(600); // relayed and in the gateway's history by the time the subscribe goes out
        return read;
      },
      onSnapshot: (data) => snapshots.push(data.stock),
    });
    await sub.ready;
    await admin.products.update(product.id, { stock: 53 }); // after the subscribe
    await events.waitFor(3); // one inventory.changed each for 51, 52, 53 (a stock-only change)
    await sleep(500);
    expect(snapshots).toEqual([50]);
    expect(events.events.map(stockOf).filter((stock) => stock !== undefined)).toEqual([51, 52, 53]);
    expect(events.events).toHaveLength(3);
    expect(new Set(events.events.map((event) => event.id)).size).toBe(3);
    const offsets = events.events.map((event) => ('offset' in event ? event.offset : 0));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(sub.offset).toBe(offsets.at(-1));
  });

  it('recovers after a forced disconnect: resubscribes with since and delivers what it missed, once', async () => {
    const product = products[2]!;
    const client = await customer();
    const events = collector();
    const states: LiveState[] = [];
    client.live.onStateChange((state) => states.push(state));
    const snapshots: string[] = [];
    const sub = client.live.subscribe(`product:${product.id}`, events.handler, {
      onSnapshot: (_d, reason) => snapshots.push(reason),
    });
    await sub.ready;
    const socket = rawSocket(client);
    const before = socket.id;
    socket.io.reconnection(false);
    socket.io.engine.close(); // the network drops
    await until(() => !socket.connected, 5000, 'the disconnect');
    for (const stock of [61, 62, 63]) await admin.products.update(product.id, { stock });
    await sleep(400);
    expect(events.events).toHaveLength(0);
    socket.io.reconnection(true);
    socket.connect();
    await events.waitFor(3);
    await sleep(500);
    expect(events.events.map(stockOf).filter((stock) => stock !== undefined)).toEqual([61, 62, 63]);
    expect(events.events).toHaveLength(3);
    expect(rawSocket(client).id).not.toBe(before);
    expect(snapshots).toEqual(['initial']); // history covered the outage: no re-read
    expect(states).toEqual(expect.arrayContaining(['live', 'reconnecting']));
    expect(states.at(-1)).toBe('live');
  });

  it('re-reads the snapshot when the ack says recovered: false, and tells the caller', async () => {
    const product = products[3]!;
    const client = await customer();
    const events = collector();
    const snapshots: { reason: string; stock: number }[] = [];
    const sub = client.live.subscribe<Product>(`product:${product.id}`, events.handler, {
      onSnapshot: (data, reason) => snapshots.push({ reason, stock: data.stock }),
    });
    await sub.ready;
    const socket = rawSocket(client);
    socket.io.reconnection(false);
    socket.io.engine.close();
    await until(() => !socket.connected, 5000, 'the disconnect');
    // 30 changes = 30 events on the channel: more than the 20 the gateway keeps.
    for (let stock = 100; stock < 130; stock += 1) await admin.products.update(product.id, { stock });
    await sleep(500);
    socket.io.reconnection(true);
    socket.connect();
    await until(() => snapshots.length === 2, 10_000, 'the re-read snapshot');
    expect(snapshots[1]).toEqual({ reason: 'resync', stock: 129 });
    expect(events.events).toHaveLength(0); // everything missed is in the new snapshot
    await admin.products.update(product.id, { stock: 130 });
    await events.waitFor(1);
    expect(events.events.map(stockOf).filter((stock) => stock !== undefined)).toEqual([130]);
  });

  it('falls back to SSE when the WebSocket cannot connect, with the same join and dedupe', async () => {
    const proxy = await websocketBlockingProxy(server.url);
    try {
      const client = newClient({ baseUrl: proxy.url, live: { reconnectMinMs: 200, reconnectMaxMs: 1000 } });
      await client.auth.register(uniqueEmail('sse'), PASSWORD);
      const product = products[4]!;
      const productEvents = collector();
      const orderEvents = collector();
      const sub = client.live.subscribe(`product:${product.id}`, productEvents.handler);
      const mine = client.live.subscribe(`user:${client.user!.id}`, orderEvents.handler);
      await Promise.all([sub.ready, mine.ready]);
      expect(client.live.transportKind).toBe('sse');
      expect(client.live.state).toBe('fallback');
      await admin.products.update(product.id, { stock: 70 });
      await productEvents.waitFor(1);
      // A private channel over SSE (Bearer token), and a new channel reopening the stream.
      const order = await client.orders.place({ items: [{ productId: products[5]!.id, quantity: 1 }] });
      await orderEvents.waitFor(1);
      expect(orderEvents.events[0]).toEqual(
        expect.objectContaining({ type: 'order.created', data: expect.objectContaining({ id: order.id }) }),
      );
      await admin.products.update(product.id, { stock: 71 });
      await productEvents.waitFor(2);
      await sleep(500);
      expect(productEvents.events.map(stockOf).filter((stock) => stock !== undefined)).toEqual([70, 71]);
      expect(new Set(productEvents.events.map((event) => event.id)).size).toBe(productEvents.events.length);
      expect(productEvents.events).toHaveLength(2);
      client.close();
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('drops an event whose version the snapshot already shows, though its offset is above the snapshot offset', async () => {
    const product = products[6]!;
    const client = await customer();
    const events = collector();
    const older = await client.products.get(product.id);
    await admin.products.update(product.id, { stock: 300 });
    await sleep(600); // relayed: the replay from the older offset includes it
    const sub = client.live.subscribe<Product>(`product:${product.id}`, events.handler, {
      // A snapshot that shows the change but names an older offset (docs/contract.md, "Events").
      snapshot: async () => ({ ...(await client.products.get(product.id)), offset: older.offset }),
    });
    await sub.ready;
    expect(sub.snapshot?.stock).toBe(300);
    await admin.products.update(product.id, { stock: 301 });
    await events.waitFor(1);
    await sleep(300);
    expect(events.events.map(stockOf)).toEqual([301]);
  });

  it('conflates catalog subscriptions: a burst of stock changes ends in the newest state, in fewer events', async () => {
    const product = products[7]!;
    const client = await customer();
    const events = collector();
    const ofProduct = () =>
      events.events.filter(
        (event): event is EventEnvelope<'inventory.changed'> =>
          event.type === 'inventory.changed' && event.data.productId === product.id,
      );
    const sub = client.live.subscribe('catalog', events.handler, { conflate: 2000 });
    await sub.ready;
    const stocks = Array.from({ length: 10 }, (_, i) => 400 + i);
    for (const stock of stocks) await admin.products.update(product.id, { stock });
    await until(() => ofProduct().at(-1)?.data.stock === stocks.at(-1), 10_000, 'the newest stock');
    const seen = ofProduct();
    expect(seen.length).toBeLessThan(stocks.length);
    const versions = seen.map((event) => event.data.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it('refreshes the access token before it expires and swaps it on the live socket (no reconnect, no expiry)', async () => {
    const result = await tokenRefreshScenario;
    expect(result).toEqual({
      refreshes: expect.any(Number),
      sameSocket: true,
      connected: true,
      disconnects: 0,
      expiredNotices: 0,
      eventTypes: ['order.created', 'order.status_changed'],
    });
    expect(result['refreshes']).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
