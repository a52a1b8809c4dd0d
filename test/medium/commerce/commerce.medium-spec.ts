import { randomUUID } from 'node:crypto';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import request from 'supertest';
import type { AnyEnvelope } from '@tandem/contracts';
import { DataSource } from 'typeorm';
import { InProcessBroker } from '@tandem/messaging';
import { AccessTokenVerifier } from '@tandem/security';
import { CommerceModule, CommerceSettings } from '../../../apps/commerce/src/index.js';
import { OrderExpiry } from '../../../apps/commerce/src/order-expiry.js';
import { inProcessInfrastructure, startApp } from '../../support/apps.js';
import type { RunningApp } from '../../support/apps.js';
import { createEmbeddedTestDatabase } from '../../support/database.js';
import type { EmbeddedTestDatabase } from '../../support/database.js';
import { expectProblem, fields } from '../../support/http.js';

const ISSUER = 'tandem-auth';
const AUDIENCE = 'tandem';
const BUDGET = 5;

/** Access tokens as auth issues them (docs/contract.md, "Auth"), signed by a key made for this file. */
async function localIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'medium-test';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const sign = (userId: string, roles: string[], key: CryptoKey = privateKey) =>
    new SignJWT({ roles, sid: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  return { verifier: AccessTokenVerifier.local(jwks, { issuer: ISSUER, audience: AUDIENCE }), sign };
}

/**
 * Commerce's feature module on in-process fakes (embedded PGlite, in-process broker under the real
 * outbox relay, in-memory rate limits, a local signing key): catalog with ETags, orders with
 * idempotency keys and stock, problem+json, its per-IP budget, and the events it publishes.
 */
describe('commerce (medium: feature module on in-process fakes)', () => {
  let database: EmbeddedTestDatabase;
  let broker: InProcessBroker;
  let commerce: RunningApp<CommerceSettings>;
  const events: AnyEnvelope[] = [];
  let admin: string;
  let customer: string;
  let otherCustomer: string;
  let clients = 0;

  /** Each request from its own client address (one trusted proxy), so flows never meet the budget. */
  const api = () => {
    clients += 1;
    const ip = `198.51.${Math.floor(clients / 250)}.${(clients % 250) + 1}`;
    const agent = request(commerce.app.getHttpServer());
    const withIp = (method: 'get' | 'post' | 'patch') => (path: string) =>
      agent[method](path).set('X-Forwarded-For', ip);
    return { get: withIp('get'), post: withIp('post'), patch: withIp('patch') };
  };

  async function eventually<T>(read: () => T | undefined): Promise<T> {
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function newProduct(stock = 10, price = 1500): Promise<{ id: string; version: number }> {
    const res = await api()
      .post('/api/v1/products')
      .set('Authorization', `Bearer ${admin}`)
      .send({ sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Mug', price: { amount: price, currency: 'EUR' }, stock });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    broker = new InProcessBroker();
    await broker.consume({ queue: 'medium', bindings: ['#'], prefetch: 100 }, async (delivery) => {
      events.push(JSON.parse(delivery.body.toString()) as AnyEnvelope);
      delivery.ack();
    });
    const issuer = await localIssuer();
    admin = await issuer.sign(randomUUID(), ['admin']);
    customer = await issuer.sign(randomUUID(), ['customer']);
    otherCustomer = await issuer.sign(randomUUID(), ['customer']);
    commerce = await startApp(
      'commerce',
      CommerceSettings,
      (settings) => ({
        module: class CommerceMediumModule {},
        imports: [
          ...inProcessInfrastructure({
            name: 'commerce',
            database: database.options,
            broker,
            verifier: issuer.verifier,
          }),
          CommerceModule.register(settings),
        ],
      }),
      {
        REQUESTS_PER_IP_PER_MINUTE: String(BUDGET),
        TRUST_PROXY_HOPS: '1',
        MAX_PENDING_ORDERS_PER_USER: '100',
      },
    );
  }, 60_000);

  afterAll(async () => {
    await commerce?.close();
    await broker?.close();
    await database?.stop();
  });

  describe('catalog', () => {
    it('creates a product (admin only) and serves it with its version as ETag; If-None-Match → 304', async () => {
      const sku = `SKU-${randomUUID().slice(0, 8)}`;
      const body = { sku, name: 'Red Shoe', price: { amount: 4999, currency: 'EUR' }, stock: 3 };
      expectProblem(await api().post('/api/v1/products').send(body), 401);
      expectProblem(await api().post('/api/v1/products').set('Authorization', `Bearer ${customer}`).send(body), 403);
      const created = await api().post('/api/v1/products').set('Authorization', `Bearer ${admin}`).send(body);
      expect(created.status).toBe(201);
      expect(created.headers['etag']).toBe('"1"');
      expect(created.headers['location']).toBe(`/api/v1/products/${created.body.id}`);

      // The relay gives the event its stream offset (docs/events.md, "Offsets and
      // `X-Stream-Offset`"); once it has published it, reads carry that offset.
      await eventually(() =>
        events.find((event) => event.type === 'product.created' && event.data.id === created.body.id),
      );
      const read = await api().get(`/api/v1/products/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(expect.objectContaining({ sku, stock: 3, version: 1 }));
      expect(read.headers['etag']).toBe('"1"');
      expect(Number(read.headers['x-stream-offset'])).toBeGreaterThan(0);
      const cached = await api().get(`/api/v1/products/${created.body.id}`).set('If-None-Match', 'W/"1"');
      expect(cached.status).toBe(304);

      const duplicate = await api().post('/api/v1/products').set('Authorization', `Bearer ${admin}`).send(body);
      expect(expectProblem(duplicate, 409)['type']).toMatch(/sku-taken$/);
    });

    it('updates with If-Match: the current version changes it, a stale one is 412 and changes nothing', async () => {
      const product = await newProduct(10);
      const path = `/api/v1/products/${product.id}`;
      const updated = await api().patch(path).set('Authorization', `Bearer ${admin}`).set('If-Match', '"1"').send({
        stock: 7,
      });
      expect(updated.status).toBe(200);
      expect(updated.headers['etag']).toBe('"2"');
      const stale = await api().patch(path).set('Authorization', `Bearer ${admin}`).set('If-Match', '"1"').send({
        stock: 1,
      });
      expectProblem(stale, 412);
      expect((await api().get(path)).body).toEqual(expect.objectContaining({ stock: 7, version: 2 }));
    });

    it('answers bad input with problem+json naming the fields', async () => {
      const bad = await api()
        .post('/api/v1/products')
        .set('Authorization', `Bearer ${admin}`)
        .send({ sku: '', name: 'x', price: { amount: '5', currency: 'EUR' }, stock: -1, colour: 'red' });
      expect(fields(expectProblem(bad, 400))).toEqual(expect.arrayContaining(['price.amount', 'stock', 'colour']));
      expectProblem(await api().get('/api/v1/products?cursor=not-a-cursor'), 400);
      expectProblem(await api().get('/api/v1/products/not-a-uuid'), 404);
      expectProblem(
        await api()
          .post('/api/v1/products')
          .set('Authorization', `Bearer ${admin}`)
          .set('Content-Type', 'application/json')
          .send('{"sku":'),
        400,
      );
    });

    it('refuses prototype keys and oversized bodies before any route code runs', async () => {
      const polluted = await api()
        .post('/api/v1/products')
        .set('Authorization', `Bearer ${admin}`)
        .set('Content-Type', 'application/json')
        .send('{"sku":"X","__proto__":{"admin":true}}');
      expect(expectProblem(polluted, 400)['type']).toMatch(/malformed-body$/);
      const huge = await api()
        .post('/api/v1/products')
        .set('Authorization', `Bearer ${admin}`)
        .send({ sku: 'HUGE', name: 'x'.repeat(70 * 1024) });
      expectProblem(huge, 413);
    });

    it('pages the catalog with an opaque cursor', async () => {
      await newProduct();
      await newProduct();
      const first = await api().get('/api/v1/products?limit=1');
      expect(first.body.items).toHaveLength(1);
      const second = await api().get(`/api/v1/products?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    });
  });

  describe('orders', () => {
    it('places an order once per Idempotency-Key, reserving stock; a replay answers the same order', async () => {
      const product = await newProduct(5, 1200);
      const key = randomUUID();
      const body = { items: [{ productId: product.id, quantity: 2 }] };
      const placed = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', key)
        .send(body);
      expect(placed.status).toBe(201);
      expect(placed.body).toEqual(
        expect.objectContaining({ status: 'pending', total: { amount: 2400, currency: 'EUR' } }),
      );

      // Same key, same body in another key order: the first answer, no second reservation.
      const replay = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', key)
        .send({ items: [{ quantity: 2, productId: product.id }] });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.id).toBe(placed.body.id);
      expect((await api().get(`/api/v1/products/${product.id}`)).body.stock).toBe(3);

      const reused = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', key)
        .send({ items: [{ productId: product.id, quantity: 1 }] });
      expect(expectProblem(reused, 422)['type']).toMatch(/idempotency-key-reused$/);
    });

    it('expires a pending order past its TTL: cancelled as expired, stock back, the events of a cancel; once only', async () => {
      const product = await newProduct(4);
      const placed = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', randomUUID())
        .send({ items: [{ productId: product.id, quantity: 3 }] });
      expect(placed.status).toBe(201);
      const dataSource = commerce.app.get(DataSource);
      await dataSource.query(`UPDATE orders SET created_at = created_at - interval '1 hour' WHERE id = $1`, [
        placed.body.id,
      ]);
      const expiry = commerce.app.get(OrderExpiry);
      expect(await expiry.sweep()).toBe(1);
      expect(await expiry.sweep()).toBe(0);

      const read = await api().get(`/api/v1/orders/${placed.body.id}`).set('Authorization', `Bearer ${customer}`);
      expect(read.body).toEqual(expect.objectContaining({ status: 'cancelled', cancelReason: 'expired', version: 2 }));
      expect((await api().get(`/api/v1/products/${product.id}`)).body.stock).toBe(4);
      const changed = await eventually(() =>
        events.find((event) => event.type === 'order.status_changed' && event.data.orderId === placed.body.id),
      );
      expect(changed.data).toEqual(expect.objectContaining({ from: 'pending', to: 'cancelled' }));
      expect(changed.channels).toEqual([expect.stringMatching(/^user:/), `order:${placed.body.id}`]);
      const returned = await eventually(() =>
        events.find(
          (event) => event.type === 'inventory.changed' && event.data.productId === product.id && event.data.delta > 0,
        ),
      );
      expect(returned.data).toEqual({ productId: product.id, stock: 4, delta: 3, version: 3 }); // created, reserved, returned
    });

    it('refuses to pay an order past its TTL before the sweep came: 409, and the order is expired there and then', async () => {
      const product = await newProduct(2);
      const placed = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', randomUUID())
        .send({ items: [{ productId: product.id, quantity: 2 }] });
      await commerce.app
        .get(DataSource)
        .query(`UPDATE orders SET created_at = created_at - interval '1 hour' WHERE id = $1`, [placed.body.id]);
      const late = await api().post(`/api/v1/orders/${placed.body.id}/pay`).set('Authorization', `Bearer ${customer}`);
      expect(expectProblem(late, 409)['type']).toMatch(/invalid-transition$/);
      const read = await api().get(`/api/v1/orders/${placed.body.id}`).set('Authorization', `Bearer ${customer}`);
      expect(read.body).toEqual(expect.objectContaining({ status: 'cancelled', cancelReason: 'expired', version: 2 }));
      expect((await api().get(`/api/v1/products/${product.id}`)).body.stock).toBe(2);
      expect(await commerce.app.get(OrderExpiry).sweep()).toBe(0);
    });

    it('refuses more than the stock (409), a missing key (400) and an unknown product (422)', async () => {
      const product = await newProduct(1);
      const order = (items: unknown, key: string | null = randomUUID()) => {
        const req = api().post('/api/v1/orders').set('Authorization', `Bearer ${customer}`);
        return (key === null ? req : req.set('Idempotency-Key', key)).send({ items });
      };
      const tooMany = await order([{ productId: product.id, quantity: 2 }]);
      expect(expectProblem(tooMany, 409)['type']).toMatch(/insufficient-stock$/);
      expect(fields(expectProblem(await order([{ productId: product.id, quantity: 1 }], null), 400))).toEqual([
        'Idempotency-Key',
      ]);
      expect(expectProblem(await order([{ productId: randomUUID(), quantity: 1 }]), 422)['type']).toMatch(
        /unknown-product$/,
      );
      expect((await api().get(`/api/v1/products/${product.id}`)).body.stock).toBe(1);
    });

    it("hides another customer's order (404) and lets the owner pay it", async () => {
      const product = await newProduct(3);
      const placed = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', randomUUID())
        .send({ items: [{ productId: product.id, quantity: 1 }] });
      const path = `/api/v1/orders/${placed.body.id}`;
      expectProblem(await api().get(path).set('Authorization', `Bearer ${otherCustomer}`), 404);
      expectProblem(await api().post(`${path}/pay`).set('Authorization', `Bearer ${otherCustomer}`), 404);
      const paid = await api().post(`${path}/pay`).set('Authorization', `Bearer ${customer}`);
      expect(paid.status).toBe(200);
      expect(paid.body.status).toBe('paid');
      expect(
        expectProblem(await api().post(`${path}/pay`).set('Authorization', `Bearer ${customer}`), 409)['type'],
      ).toMatch(/invalid-transition$/);
    });
  });

  describe('events', () => {
    it('the outbox relay publishes what the API wrote, in offset order, to the in-process broker', async () => {
      const product = await newProduct(4);
      const placed = await api()
        .post('/api/v1/orders')
        .set('Authorization', `Bearer ${customer}`)
        .set('Idempotency-Key', randomUUID())
        .send({ items: [{ productId: product.id, quantity: 3 }] });
      const inventory = await eventually(() =>
        events.find((event) => event.type === 'inventory.changed' && event.channels.includes(`product:${product.id}`)),
      );
      expect(inventory.data).toEqual({ productId: product.id, stock: 1, delta: -3, version: 2 });
      const created = events.find((event) => event.type === 'product.created' && event.data.id === product.id);
      const order = events.find((event) => event.type === 'order.created' && event.data.id === placed.body.id);
      expect(created).toBeDefined();
      expect(order?.channels).toEqual(expect.arrayContaining([`order:${placed.body.id}`]));
      const offsets = events.flatMap((event) => ('offset' in event ? [event.offset] : []));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);
      // Nothing was written after the order: a read's X-Stream-Offset is the newest event, which
      // the relay (in offset order) has published by now.
      const read = await api().get(`/api/v1/products/${product.id}`);
      expect(read.body.stock).toBe(1);
      expect(Number(read.headers['x-stream-offset'])).toBe(Math.max(...offsets));
    });
  });

  describe('per-IP budget', () => {
    it("throttles commerce's routes per client, and only them: /health and /metrics stay open", async () => {
      const agent = request(commerce.app.getHttpServer());
      const from = (path: string) => agent.get(path).set('X-Forwarded-For', '203.0.113.77');
      for (let i = 0; i < BUDGET; i += 1) expect((await from('/api/v1/products?limit=1')).status).toBe(200);
      const limited = await from('/api/v1/products?limit=1');
      expectProblem(limited, 429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expectProblem(await from(`/api/v1/orders/${randomUUID()}`), 429);
      expect((await from('/health/live')).status).toBe(200);
      expect((await from('/health/ready')).status).toBe(200);
      expect((await from('/metrics')).status).toBe(200);
      // Another client still has its own budget.
      expect((await agent.get('/api/v1/products?limit=1').set('X-Forwarded-For', '203.0.113.78')).status).toBe(200);
    });

    it('gives each signed-in user a budget of their own, wherever their calls come from', async () => {
      const agent = request(commerce.app.getHttpServer());
      const gateway = '203.0.113.90';
      const as = (token: string) =>
        agent.get('/api/v1/orders').set('X-Forwarded-For', gateway).set('Authorization', `Bearer ${token}`);
      for (let i = 0; i < BUDGET; i += 1) {
        expect((await agent.get('/api/v1/products').set('X-Forwarded-For', gateway)).status).toBe(200);
      }
      expectProblem(await agent.get('/api/v1/products').set('X-Forwarded-For', gateway), 429);
      // The gateway's IP is spent; its users' own calls are not.
      expect((await as(otherCustomer)).status).toBe(200);
      expect((await as(customer)).status).toBe(200);
    });
  });
});
