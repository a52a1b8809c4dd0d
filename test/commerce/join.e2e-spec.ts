import pg from 'pg';
import request from 'supertest';
import type { AnyEnvelope, EventEnvelope, Order, Page, Product } from '@tandem/contracts';
import { ADMIN, startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { collectEvents } from '../support/broker.js';
import type { EventCollector } from '../support/broker.js';
import { startCommerce } from '../support/commerce.js';
import type { CommerceFixture } from '../support/commerce.js';
import { createTestDatabase } from '../support/database.js';
import type { TestDatabase } from '../support/database.js';
import { login, register } from '../support/http.js';
import type { TestSession } from '../support/http.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createProduct, placeOrder, untilRelayed } from './fixtures.js';

/**
 * The join property of docs/contract.md, "Events" (docs/events.md, "Offsets and
 * `X-Stream-Offset`"): a reader that takes a REST snapshot and then consumes the stream from
 * `since` = its `X-Stream-Offset`, dropping events no newer than what it already holds (by
 * `version`), ends with exactly the database's state, while many writers commit concurrently through
 * two commerce replicas (two relays, writers that never wait for each other).
 *
 * The replicas reach PostgreSQL through a proxy that adds 1 ms each way, as in a cloud where the
 * database is a network hop away: transactions stay open for several milliseconds, so commits
 * overlap and reorder the way they do in production, and a reader that joins wrongly is caught.
 * The schedule is random but seeded: JOIN_SEED=<n> replays a failure.
 */

/** mulberry32: a small seeded generator, so a failing schedule can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Stream = EventEnvelope[];

interface ProductState {
  stock: number;
  name: string;
  version: number;
}
interface OrderState {
  status: string;
  version: number;
}

interface Reader {
  kind: 'products' | 'orders';
  since: number;
  /** Entity id → version in the snapshot. */
  snapshot: Map<string, number>;
  state: Map<string, ProductState | OrderState>;
}

/** The version an event brings its entity to, when it says (every order and product event does). */
function versionOf(event: EventEnvelope): { id: string; version: number | undefined } {
  switch (event.type) {
    case 'order.created':
      return { id: event.data.id, version: event.data.version };
    case 'order.status_changed':
      return { id: event.data.orderId, version: event.data.order.version };
    case 'product.created':
    case 'product.updated':
      return { id: event.data.id, version: event.data.version };
    case 'inventory.changed':
      return { id: event.data.productId, version: (event.data as { version?: number }).version };
    default:
      return { id: '', version: undefined };
  }
}

/** What a client does with an event from the stream: apply it unless its snapshot (or a later event) is newer. */
function apply(reader: Reader, event: EventEnvelope): void {
  const { id, version } = versionOf(event);
  const known = reader.state.get(id);
  if (known && version !== undefined && version <= known.version) return;
  if (reader.kind === 'orders') {
    if (event.type === 'order.created')
      reader.state.set(id, { status: event.data.status, version: event.data.version });
    if (event.type === 'order.status_changed')
      reader.state.set(id, { status: event.data.to, version: event.data.order.version });
    return;
  }
  if (event.type === 'product.created' || event.type === 'product.updated') {
    reader.state.set(id, { stock: event.data.stock, name: event.data.name, version: event.data.version });
  }
  if (event.type === 'inventory.changed' && known) {
    // Without a version (older producers) the stream's order still makes the newest stock win.
    reader.state.set(id, { ...(known as ProductState), stock: event.data.stock, version: version ?? known.version });
  }
}

describe('REST snapshot + stream from X-Stream-Offset: no gap under concurrent writers on two replicas', () => {
  const seed = Number(process.env['JOIN_SEED'] ?? Date.now() % 1_000_000);
  let auth: AuthFixture;
  let database: TestDatabase;
  let replicas: CommerceFixture[] = [];
  let collector: EventCollector;
  let db: pg.Client;
  let hop: TcpProxy;

  beforeAll(async () => {
    auth = await startAuth();
    collector = await collectEvents();
    database = await createTestDatabase('join');
    const direct = new URL(database.url);
    hop = new TcpProxy(await TcpProxy.freePort(), { host: direct.hostname, port: Number(direct.port || 5432) }, 1);
    await hop.up();
    const viaHop = new URL(database.url);
    viaHop.hostname = '127.0.0.1';
    viaHop.port = String(hop.port);
    const env = {
      DATABASE_URL: viaHop.toString(),
      REQUESTS_PER_IP_PER_MINUTE: '100000',
      REQUESTS_PER_USER_PER_MINUTE: '100000',
    };
    replicas = [await startCommerce(auth.url, env, database), await startCommerce(auth.url, env, database)];
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    for (const replica of replicas) await replica.close();
    await hop?.down();
    await database?.drop();
    await collector?.close();
    await auth?.close();
  });

  it(`every reader ends with the database's state (seed ${seed})`, async () => {
    const random = seeded(seed);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const replica = () => request(pick(replicas).url);
    const admin = await login(auth.url, ADMIN.email, ADMIN.password);
    const customers: TestSession[] = [];
    for (let i = 0; i < 4; i += 1) customers.push(await register(auth.url));
    const products: Product[] = [];
    for (let i = 0; i < 4; i += 1)
      products.push(await createProduct(replicas[0]!.url, admin.accessToken, { stock: 1000 }));
    const pending: { order: Order; owner: TestSession }[] = [];

    const write = async (): Promise<void> => {
      const roll = random();
      if (roll < 0.45) {
        const owner = pick(customers);
        const items = [...new Set([pick(products), pick(products)])].map((product) => ({
          productId: product.id,
          quantity: 1 + Math.floor(random() * 2),
        }));
        const res = await placeOrder(pick(replicas).url, owner.accessToken, items);
        expect(res.status).toBe(201);
        pending.push({ order: res.body as Order, owner });
      } else if (roll < 0.7 && pending.length > 0) {
        const { order, owner } = pending.splice(Math.floor(random() * pending.length), 1)[0]!;
        const action = random() < 0.6 ? 'cancel' : 'pay';
        const res = await replica()
          .post(`/api/v1/orders/${order.id}/${action}`)
          .set('Authorization', `Bearer ${owner.accessToken}`);
        expect(res.status).toBe(200);
      } else {
        const product = pick(products);
        const body = random() < 0.7 ? { stock: 500 + Math.floor(random() * 500) } : { name: `Renamed ${random()}` };
        const res = await replica()
          .patch(`/api/v1/products/${product.id}`)
          .set('Authorization', `Bearer ${admin.accessToken}`)
          .send(body);
        expect(res.status).toBe(200);
      }
    };

    const readers: Reader[] = [];
    const read = async (): Promise<void> => {
      const kind = random() < 0.5 ? 'products' : 'orders';
      const res =
        kind === 'products'
          ? await replica().get('/api/v1/products?limit=100')
          : await replica().get('/api/v1/orders?limit=100').set('Authorization', `Bearer ${admin.accessToken}`);
      expect(res.status).toBe(200);
      const reader: Reader = {
        kind,
        since: Number(res.headers['x-stream-offset']),
        snapshot: new Map(),
        state: new Map(),
      };
      for (const item of (res.body as Page<Product | Order>).items) {
        const state =
          kind === 'products'
            ? { stock: (item as Product).stock, name: (item as Product).name, version: item.version }
            : { status: (item as Order).status, version: item.version };
        reader.snapshot.set(item.id, item.version);
        reader.state.set(item.id, state);
      }
      readers.push(reader);
    };

    // Twelve writers and ten readers at once, each a random sequence of operations.
    const writers = Array.from({ length: 12 }, async () => {
      for (let i = 0; i < 7; i += 1) await write();
    });
    const snapshots = Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 15; i += 1) await read();
    });
    await Promise.all([...writers, ...snapshots]);

    // The whole stream this database produced, as a consumer of tandem.events receives it.
    await untilRelayed(db);
    const { rows: written } = await db.query<{ id: string }>(`SELECT id FROM outbox`);
    const ids = new Set(written.map((row) => row.id));
    await collector.waitFor((event) => ids.has(event.id), ids.size, 20_000);
    const seen = new Set<string>();
    const stream: Stream = [];
    for (const event of collector.events as AnyEnvelope[]) {
      if (!ids.has(event.id) || seen.has(event.id)) continue; // another test's database, or a redelivery
      seen.add(event.id);
      stream.push(event as EventEnvelope);
    }

    const { rows: productRows } = await db.query<ProductState & { id: string }>(
      `SELECT id, stock, name, version FROM products`,
    );
    const { rows: orderRows } = await db.query<OrderState & { id: string }>(`SELECT id, status, version FROM orders`);
    expect(orderRows.length).toBeGreaterThan(0);
    expect(orderRows.length).toBeLessThanOrEqual(100); // one page: a reader's snapshot is one statement's

    for (const reader of readers) {
      // Nothing at or before `since` may be missing from the snapshot: that is the join.
      const gaps: string[] = [];
      for (const event of stream) {
        if (event.offset > reader.since) continue;
        const { id, version } = versionOf(event);
        const relevant = reader.kind === 'orders' ? event.type.startsWith('order.') : !event.type.startsWith('order.');
        if (relevant && version !== undefined && (reader.snapshot.get(id) ?? 0) < version) {
          gaps.push(`${event.type} #${event.offset} (${id} v${version}) not in the snapshot at ${reader.since}`);
        }
      }
      expect({ seed, gaps }).toEqual({ seed, gaps: [] });
      for (const event of stream) if (event.offset > reader.since) apply(reader, event);
      const expected =
        reader.kind === 'orders'
          ? new Map(orderRows.map((row) => [row.id, { status: row.status, version: row.version }]))
          : new Map(productRows.map((row) => [row.id, { stock: row.stock, name: row.name }]));
      const actual =
        reader.kind === 'orders'
          ? reader.state
          : new Map(
              [...reader.state].map(([id, state]) => [
                id,
                { stock: (state as ProductState).stock, name: (state as ProductState).name },
              ]),
            );
      expect({ seed, since: reader.since, state: actual }).toEqual({ seed, since: reader.since, state: expected });
    }
    // The broker carried the stream in offset order (one relay at a time, publishing in offset order).
    expect(stream.map((event) => event.offset)).toEqual(stream.map((event) => event.offset).sort((a, b) => a - b));
    expect(readers.filter((reader) => reader.kind === 'orders').length).toBeGreaterThan(0);
    expect(readers.filter((reader) => reader.kind === 'products').length).toBeGreaterThan(0);
  }, 120_000);
});
