import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  appendToOutbox,
  CreateOutbox1732300000000,
  DEFAULT_RELAY_OPTIONS,
  OutboxRelay,
  OutboxRelayOffsets1796169600000,
  RabbitMqBroker,
} from '@tandem/messaging';
import type { AnyEnvelope, EventEnvelope, Order } from '@tandem/contracts';
import { postgresOptions, runMigrations } from '@tandem/platform';
import { ADMIN, startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { collectEvents, TEST_BROKER_URL } from '../support/broker.js';
import type { EventCollector } from '../support/broker.js';
import { startCommerce } from '../support/commerce.js';
import { createTestDatabase } from '../support/database.js';
import type { TestDatabase } from '../support/database.js';
import { login, register } from '../support/http.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createProduct, placedOrder } from './fixtures.js';

const offsetsOf = (events: AnyEnvelope[]) => events.map((event) => (event as EventEnvelope).offset);
const tagged = (tag: string) => (event: AnyEnvelope) => (event.data as { productId?: string }).productId === tag;
const isSorted = (values: number[]) => values.every((value, i) => i === 0 || value > values[i - 1]!);

describe('transactional outbox → RabbitMQ (real broker)', () => {
  let auth: AuthFixture;
  let collector: EventCollector;

  beforeAll(async () => {
    auth = await startAuth();
    collector = await collectEvents();
  });
  afterAll(async () => {
    await collector?.close();
    await auth?.close();
  });

  it('relays every change in offset order with the contract envelope, persistently', async () => {
    const commerce = await startCommerce(auth.url);
    try {
      const admin = await login(auth.url, ADMIN.email, ADMIN.password);
      const customer = await register(auth.url);
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 3 });
      const order = await placedOrder(commerce.url, customer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const mine = (event: AnyEnvelope) =>
        (event.data as { id?: string }).id === product.id ||
        (event.data as { productId?: string }).productId === product.id ||
        (event.data as { id?: string }).id === order.id;
      const events = await collector.waitFor(mine, 3);
      expect(events.map((event) => event.type)).toEqual(['product.created', 'order.created', 'inventory.changed']);
      expect(isSorted(offsetsOf(events))).toBe(true);
      expect(events[1]).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'order.created',
        channels: [`user:${customer.user.id}`, `order:${order.id}`],
        offset: expect.any(Number),
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data: order,
      });
    } finally {
      await commerce.close();
    }
  });

  it('keeps taking orders while the broker is unreachable and publishes each event once when it is back', async () => {
    const proxy = new TcpProxy(await TcpProxy.freePort(), { host: '127.0.0.1', port: 5672 });
    const url = new URL(TEST_BROKER_URL);
    url.port = String(proxy.port);
    const commerce = await startCommerce(auth.url, { BROKER_URL: url.toString() });
    try {
      const admin = await login(auth.url, ADMIN.email, ADMIN.password);
      const customer = await register(auth.url);
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const orders: Order[] = [];
      for (let i = 0; i < 3; i += 1)
        orders.push(await placedOrder(commerce.url, customer.accessToken, [{ productId: product.id, quantity: 1 }]));
      const mine = (event: AnyEnvelope) =>
        (event.data as { productId?: string }).productId === product.id ||
        (event.data as { id?: string }).id === product.id ||
        orders.some((order) => (event.data as { id?: string }).id === order.id);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(collector.events.filter(mine)).toHaveLength(0);

      await proxy.up();
      const events = await collector.waitFor(mine, 7, 20_000); // 1 product.created + 3 × (order.created + inventory.changed)
      await new Promise((resolve) => setTimeout(resolve, 500)); // anything extra would be a duplicate
      const all = collector.events.filter(mine);
      expect(all).toHaveLength(7);
      expect(new Set(all.map((event) => event.id)).size).toBe(7);
      expect(isSorted(offsetsOf(events))).toBe(true);
    } finally {
      await commerce.close();
      await proxy.down();
    }
  }, 40_000);
});

describe('outbox relay delivery guarantees', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let collector: EventCollector;
  const brokers: RabbitMqBroker[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    dataSource = new DataSource(
      postgresOptions({
        url: db.url,
        entities: [],
        migrations: [CreateOutbox1732300000000, OutboxRelayOffsets1796169600000],
        migrationsTableName: 'test_migrations',
      }),
    );
    await dataSource.initialize();
    await runMigrations(dataSource);
    collector = await collectEvents();
  });
  afterAll(async () => {
    for (const broker of brokers) await broker.close();
    await collector?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  const broker = () => {
    const created = new RabbitMqBroker(TEST_BROKER_URL, 'test-relay');
    brokers.push(created);
    return created;
  };

  async function writeEvents(count: number, tag: string): Promise<void> {
    await dataSource.transaction((manager) =>
      appendToOutbox(
        manager,
        Array.from({ length: count }, (_, i) => ({
          type: 'inventory.changed' as const,
          channels: ['catalog' as const],
          data: { productId: tag, stock: i, delta: 1, version: i + 1 },
        })),
      ),
    );
  }

  it('re-publishes after a crash between publish and mark-sent; the ids let consumers de-duplicate', async () => {
    // The broker has confirmed every event, then the batch dies before its commit marks them sent.
    const real = broker();
    let crashes = 1;
    const crashAfterPublish = {
      publish: async (envelope: AnyEnvelope) => {
        await real.publish(envelope);
        if (crashes > 0) throw new Error('simulated crash after publish, before mark-sent');
      },
      isConnected: () => true,
      close: async () => undefined,
    };
    const tag = `crash-${Date.now()}`;
    await writeEvents(3, tag);
    const relay = new OutboxRelay(dataSource, crashAfterPublish, DEFAULT_RELAY_OPTIONS);
    await expect(relay.relayOnce()).rejects.toThrow('simulated crash');
    await collector.waitFor(tagged(tag), 3);
    crashes = 0;
    const [{ unassigned }] = await dataSource.query(
      `SELECT count(*)::int AS unassigned FROM outbox WHERE "offset" IS NULL AND published_at IS NULL`,
    );
    expect(unassigned).toBe(3); // the rollback took the offsets back too
    expect(await relay.relayOnce()).toBe(3);
    const events = await collector.waitFor(tagged(tag), 6);
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.slice(0, 3)).toEqual(ids.slice(3));
    const [{ pending }] = await dataSource.query(
      `SELECT count(*)::int AS pending FROM outbox WHERE published_at IS NULL`,
    );
    expect(pending).toBe(0);
  });

  it('never lets two relays publish the same row concurrently', async () => {
    const tag = `replicas-${Date.now()}`;
    const options = { ...DEFAULT_RELAY_OPTIONS, batchSize: 7 };
    const relays = [new OutboxRelay(dataSource, broker(), options), new OutboxRelay(dataSource, broker(), options)];
    const writer = (async () => {
      for (let i = 0; i < 10; i += 1) await writeEvents(5, tag);
    })();
    const drain = async (relay: OutboxRelay) => {
      for (let i = 0; i < 40; i += 1) await relay.relayOnce();
    };
    await Promise.all([writer, ...relays.map(drain)]);
    while ((await relays[0]!.relayOnce()) > 0);
    const events = await collector.waitFor(tagged(tag), 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = collector.events.filter(tagged(tag));
    expect(all).toHaveLength(50);
    expect(new Set(all.map((event) => event.id)).size).toBe(50);
    expect(isSorted(offsetsOf(events))).toBe(true);
  });

  it('does not lose a commit notified while a batch is being published', async () => {
    // A slow broker keeps the first batch in flight while the second commit's NOTIFY arrives; the
    // poll is a minute away, so only the notification can explain a prompt second publish.
    const slow = broker();
    const delayed = {
      publish: async (envelope: AnyEnvelope) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await slow.publish(envelope);
      },
      isConnected: () => true,
      close: async () => undefined,
    };
    const relay = new OutboxRelay(dataSource, delayed, { ...DEFAULT_RELAY_OPTIONS, pollIntervalMs: 60_000 });
    relay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is in place
      const first = `wake-a-${Date.now()}`;
      const second = `wake-b-${Date.now()}`;
      await writeEvents(1, first);
      await new Promise((resolve) => setTimeout(resolve, 100)); // first batch is publishing
      await writeEvents(1, second);
      await collector.waitFor(tagged(first), 1, 5000);
      await collector.waitFor(tagged(second), 1, 5000);
    } finally {
      await relay.stop();
    }
  });

  it('prunes relayed rows past retention but keeps the stream head', async () => {
    const tag = `prune-${Date.now()}`;
    await writeEvents(3, tag);
    const relay = new OutboxRelay(dataSource, broker(), { ...DEFAULT_RELAY_OPTIONS, retentionMs: 0 });
    while ((await relay.relayOnce()) > 0);
    const [{ head }] = await dataSource.query(`SELECT max("offset")::int AS head FROM outbox`);
    await relay.prune();
    const rows = await dataSource.query(`SELECT "offset"::int FROM outbox`);
    expect(rows).toEqual([{ offset: head }]);
  });
});

describe('outbox migration to relay-assigned offsets', () => {
  it('keeps existing offsets (sent and unsent), continues the stream above them, and runs twice harmlessly', async () => {
    const db = await createTestDatabase('outbox_migration');
    const options = (migrations: (typeof CreateOutbox1732300000000)[], table: string) =>
      new DataSource(postgresOptions({ url: db.url, entities: [], migrations, migrationsTableName: table }));
    const old = options([CreateOutbox1732300000000], 'commerce_migrations');
    await old.initialize();
    const collector = await collectEvents();
    const relayBroker = new RabbitMqBroker(TEST_BROKER_URL, 'test-migration');
    try {
      await runMigrations(old);
      // The previous writer: offsets from the bigserial at insert; two already relayed, one waiting.
      const tag = `migrated-${Date.now()}`;
      for (let i = 1; i <= 3; i += 1) {
        await old.query(`INSERT INTO outbox (id, type, channels, data, published_at) VALUES ($1, $2, $3, $4, $5)`, [
          randomUUID(),
          'inventory.changed',
          ['catalog'],
          JSON.stringify({ productId: tag, stock: i, delta: 1 }),
          i < 3 ? new Date() : null,
        ]);
      }
      const { max: before } = (await old.query(`SELECT max("offset")::int AS max FROM outbox`))[0];
      await old.destroy();

      // Commerce migrates, then auth on the same database (standalone): the second run is a no-op.
      for (const table of ['commerce_migrations', 'auth_migrations']) {
        const migrating = options([CreateOutbox1732300000000, OutboxRelayOffsets1796169600000], table);
        await migrating.initialize();
        await runMigrations(migrating);
        await migrating.destroy();
      }
      const dataSource = options([], 'commerce_migrations');
      await dataSource.initialize();
      try {
        await dataSource.transaction((manager) =>
          appendToOutbox(manager, [
            {
              type: 'inventory.changed',
              channels: ['catalog'],
              data: { productId: tag, stock: 4, delta: 1, version: 2 },
            },
          ]),
        );
        const relay = new OutboxRelay(dataSource, relayBroker, DEFAULT_RELAY_OPTIONS);
        while ((await relay.relayOnce()) > 0);
        const events = await collector.waitFor(tagged(tag), 2);
        // The waiting row goes out first, with the offset it was written with; the new one above it.
        expect(events.map((event) => (event.data as { stock: number }).stock)).toEqual([3, 4]);
        expect(offsetsOf(events)[0]).toBe(before);
        expect(offsetsOf(events)[1]).toBeGreaterThan(before);
        const rows = await dataSource.query(`SELECT "offset"::int, seq::int FROM outbox ORDER BY seq`);
        expect(rows.slice(0, 3)).toEqual([1, 2, 3].map((n) => ({ offset: n, seq: n })));
      } finally {
        await dataSource.destroy();
      }
    } finally {
      await relayBroker.close();
      await collector.close();
      await db.drop();
    }
  });
});
