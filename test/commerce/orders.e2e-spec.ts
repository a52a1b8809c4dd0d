import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import type { AuthFixture } from '../support/auth.js';
import { IdempotencyJanitor } from '../../apps/commerce/src/idempotency-janitor.js';
import { startCommerceStack } from '../support/commerce.js';
import type { CommerceFixture, CommerceStack } from '../support/commerce.js';
import { expectProblem, fields, register } from '../support/http.js';
import type { TestSession } from '../support/http.js';
import { createProduct, placedOrder, placeOrder, untilRelayed } from './fixtures.js';

const ORDERS = '/api/v1/orders';

describe('orders against real PostgreSQL', () => {
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let admin: TestSession;
  let alice: TestSession;
  let bob: TestSession;
  let db: pg.Client;

  let stack: CommerceStack;

  beforeAll(async () => {
    stack = await startCommerceStack();
    ({ auth, commerce, admin, db } = stack);
    alice = await register(auth.url);
    bob = await register(auth.url);
  });
  afterAll(() => stack?.close());

  const http = () => request(commerce.url);
  const as = (session: TestSession) => (req: request.Test) => req.set('Authorization', `Bearer ${session.accessToken}`);
  const stockOf = async (id: string) => (await http().get(`/api/v1/products/${id}`)).body.stock as number;
  const orderCount = async () => Number((await db.query('SELECT count(*) FROM orders')).rows[0].count);

  describe('POST /orders', () => {
    it('places a pending order with catalog prices, reserves stock and emits events', async () => {
      const shirt = await createProduct(commerce.url, admin.accessToken, {
        price: { amount: 1500, currency: 'EUR' },
        stock: 10,
      });
      const mug = await createProduct(commerce.url, admin.accessToken, {
        price: { amount: 800, currency: 'EUR' },
        stock: 5,
      });
      const res = await placeOrder(commerce.url, alice.accessToken, [
        { productId: shirt.id, quantity: 2 },
        { productId: mug.id, quantity: 1 },
      ]);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        userId: alice.user.id,
        status: 'pending',
        items: [
          { productId: shirt.id, quantity: 2, unitPrice: { amount: 1500, currency: 'EUR' } },
          { productId: mug.id, quantity: 1, unitPrice: { amount: 800, currency: 'EUR' } },
        ],
        total: { amount: 3800, currency: 'EUR' },
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(await stockOf(shirt.id)).toBe(8);
      expect(await stockOf(mug.id)).toBe(4);
      const { rows } = await db.query(`SELECT type, channels, data FROM outbox ORDER BY seq DESC LIMIT 3`);
      const byType = Object.fromEntries(rows.map((row) => [row.type + (row.data.productId ?? ''), row]));
      expect(byType['order.created'].channels).toEqual([`user:${alice.user.id}`, `order:${res.body.id}`]);
      expect(byType['order.created'].data).toEqual(res.body);
      expect(byType[`inventory.changed${shirt.id}`].data).toEqual({
        productId: shirt.id,
        stock: 8,
        delta: -2,
        version: 2,
      });
      expect(byType[`inventory.changed${mug.id}`].channels).toEqual([`product:${mug.id}`, 'catalog']);
    });

    it('is 400 without an Idempotency-Key', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const res = await as(alice)(http().post(ORDERS)).send({ items: [{ productId: product.id, quantity: 1 }] });
      expect(fields(expectProblem(res, 400))).toEqual(['Idempotency-Key']);
    });

    it.each([
      [
        'a client price',
        { items: [{ productId: randomUUID(), quantity: 1, unitPrice: { amount: 1, currency: 'EUR' } }] },
        'items.0.unitPrice',
      ],
      ['a status', { status: 'paid', items: [{ productId: randomUUID(), quantity: 1 }] }, 'status'],
      ['a userId', { userId: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }] }, 'userId'],
      [
        'a total',
        { total: { amount: 1, currency: 'EUR' }, items: [{ productId: randomUUID(), quantity: 1 }] },
        'total',
      ],
      ['no lines', { items: [] }, 'items'],
      ['a zero quantity', { items: [{ productId: randomUUID(), quantity: 0 }] }, 'items.0.quantity'],
      ['a fractional quantity', { items: [{ productId: randomUUID(), quantity: 1.5 }] }, 'items.0.quantity'],
      ['a bad product id', { items: [{ productId: 'x', quantity: 1 }] }, 'items.0.productId'],
      ['101 lines', { items: Array.from({ length: 101 }, () => ({ productId: randomUUID(), quantity: 1 })) }, 'items'],
    ])('rejects %s (mass assignment / validation) with 400', async (_name, body, field) => {
      const res = await as(alice)(http().post(ORDERS)).set('Idempotency-Key', randomUUID()).send(body);
      expect(fields(expectProblem(res, 400))).toContain(field);
    });

    it('is 409 for too little stock and reserves nothing', async () => {
      const plenty = await createProduct(commerce.url, admin.accessToken, { stock: 50 });
      const scarce = await createProduct(commerce.url, admin.accessToken, { stock: 1 });
      const before = await orderCount();
      const res = await placeOrder(commerce.url, alice.accessToken, [
        { productId: plenty.id, quantity: 3 },
        { productId: scarce.id, quantity: 2 },
      ]);
      expectProblem(res, 409);
      expect(await stockOf(plenty.id)).toBe(50);
      expect(await stockOf(scarce.id)).toBe(1);
      expect(await orderCount()).toBe(before);
    });

    it('is 422 for an unknown product', async () => {
      expectProblem(await placeOrder(commerce.url, alice.accessToken, [{ productId: randomUUID(), quantity: 1 }]), 422);
    });

    it('is 403 for an admin (orders are placed by customers) and 401 anonymously', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      expectProblem(await placeOrder(commerce.url, admin.accessToken, [{ productId: product.id, quantity: 1 }]), 403);
      expectProblem(
        await http()
          .post(ORDERS)
          .set('Idempotency-Key', 'k')
          .send({ items: [{ productId: product.id, quantity: 1 }] }),
        401,
      );
    });

    it('never oversells: 50 concurrent orders for stock 10 → exactly 10 succeed', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const buyers = await Promise.all(Array.from({ length: 5 }, () => register(auth.url)));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          placeOrder(commerce.url, buyers[i % 5]!.accessToken, [{ productId: product.id, quantity: 1 }]),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      expect(statuses.filter((s) => s === 409)).toHaveLength(40);
      expect(await stockOf(product.id)).toBe(0);
      const { rows } = await db.query('SELECT stock FROM products WHERE id = $1', [product.id]);
      expect(rows[0].stock).toBe(0);
    }, 30_000);
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer for the same key and body: one order, one reservation', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const key = randomUUID();
      const before = await orderCount();
      const first = await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 2 }], key);
      const again = await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 2 }], key);
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await orderCount()).toBe(before + 1);
      expect(await stockOf(product.id)).toBe(8);
    });

    it('is 422 for the same key with another body', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const key = randomUUID();
      await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }], key).expect(201);
      expectProblem(
        await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 3 }], key),
        422,
      );
    });

    it('scopes keys per customer', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const key = randomUUID();
      const a = await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }], key);
      const b = await placeOrder(commerce.url, bob.accessToken, [{ productId: product.id, quantity: 1 }], key);
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
    });

    it('makes one order from concurrent requests with one key (the others replay or get 409 in flight)', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const key = randomUUID();
      const before = await orderCount();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }], key),
        ),
      );
      for (const r of results) expect([201, 409]).toContain(r.status);
      const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
      expect(ids.size).toBe(1);
      expect(await orderCount()).toBe(before + 1);
      expect(await stockOf(product.id)).toBe(9);
      for (const r of results.filter((r) => r.status === 409)) expect(r.body.type).toMatch(/idempotency-in-flight/);
    });
  });

  it('forgets idempotency keys past retention, keeping recent ones', async () => {
    const product = await createProduct(commerce.url, admin.accessToken);
    const oldKey = randomUUID();
    const newKey = randomUUID();
    await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }], oldKey).expect(201);
    await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }], newKey).expect(201);
    await db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [oldKey]);
    expect(await commerce.app.get(IdempotencyJanitor).sweep()).toBeGreaterThanOrEqual(1);
    const { rows } = await db.query('SELECT key FROM idempotency_keys WHERE key = ANY($1)', [[oldKey, newKey]]);
    expect(rows.map((row) => row.key)).toEqual([newKey]);
  });

  describe('reading orders', () => {
    let aliceOrder: { id: string };
    beforeAll(async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      aliceOrder = await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
    });

    it('lets the owner and an admin read an order, with X-Stream-Offset', async () => {
      const own = await as(alice)(http().get(`${ORDERS}/${aliceOrder.id}`));
      expect(own.status).toBe(200);
      expect(own.headers['x-stream-offset']).toMatch(/^\d+$/);
      expect((await as(admin)(http().get(`${ORDERS}/${aliceOrder.id}`))).status).toBe(200);
    });

    it('lists only the customer’s own orders; an admin sees all', async () => {
      const mine = await as(bob)(http().get(ORDERS));
      expect(mine.status).toBe(200);
      expect(mine.headers['x-stream-offset']).toMatch(/^\d+$/);
      expect(mine.body.items.every((o: { userId: string }) => o.userId === bob.user.id)).toBe(true);
      const all = await as(admin)(http().get(ORDERS).query({ limit: 100 }));
      expect(all.body.items.map((o: { id: string }) => o.id)).toContain(aliceOrder.id);
    });

    it('pages newest first with a cursor', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const carol = await register(auth.url);
      const placed = [];
      for (let i = 0; i < 3; i += 1)
        placed.push(await placedOrder(commerce.url, carol.accessToken, [{ productId: product.id, quantity: 1 }]));
      const first = await as(carol)(http().get(ORDERS).query({ limit: 2 }));
      const second = await as(carol)(http().get(ORDERS).query({ limit: 2, cursor: first.body.nextCursor }));
      expect([...first.body.items, ...second.body.items].map((o: { id: string }) => o.id)).toEqual(
        placed.map((o) => o.id).reverse(),
      );
      expect(second.body.nextCursor).toBeNull();
    });

    it('BOLA: another customer’s order is a 404 on every route that takes its id', async () => {
      const asBob = as(bob);
      expectProblem(await asBob(http().get(`${ORDERS}/${aliceOrder.id}`)), 404);
      expectProblem(await asBob(http().post(`${ORDERS}/${aliceOrder.id}/pay`)), 404);
      expectProblem(await asBob(http().post(`${ORDERS}/${aliceOrder.id}/cancel`)), 404);
      expectProblem(await asBob(http().patch(`${ORDERS}/${aliceOrder.id}/status`)).send({ status: 'shipped' }), 403);
      const list = await asBob(http().get(ORDERS).query({ limit: 100 }));
      expect(list.body.items.map((o: { id: string }) => o.id)).not.toContain(aliceOrder.id);
      expect((await as(alice)(http().get(`${ORDERS}/${aliceOrder.id}`))).body.status).toBe('pending');
    });

    it('is 404 for unknown and malformed ids, 401 without a token', async () => {
      expectProblem(await as(alice)(http().get(`${ORDERS}/${randomUUID()}`)), 404);
      expectProblem(await as(alice)(http().get(`${ORDERS}/nope`)), 404);
      expectProblem(await http().get(`${ORDERS}/${aliceOrder.id}`), 401);
    });
  });

  describe('the status machine', () => {
    it('pending → paid → shipped → delivered, each emitting order.status_changed', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const order = await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
      const paid = await as(alice)(http().post(`${ORDERS}/${order.id}/pay`));
      expect(paid.status).toBe(200);
      expect(paid.body.status).toBe('paid');
      expectProblem(await as(alice)(http().post(`${ORDERS}/${order.id}/pay`)), 409);
      expectProblem(await as(alice)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped' }), 403);
      expect(
        (await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped' })).body.status,
      ).toBe('shipped');
      expectProblem(await as(alice)(http().post(`${ORDERS}/${order.id}/cancel`)), 409);
      expect(
        (await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'delivered' })).body.status,
      ).toBe('delivered');
      expectProblem(await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped' }), 409);
      const { rows } = await db.query(
        `SELECT data->>'from' AS "from", data->>'to' AS "to", channels FROM outbox WHERE type = 'order.status_changed' AND data->>'orderId' = $1 ORDER BY seq`,
        [order.id],
      );
      expect(rows.map((r) => `${r.from}>${r.to}`)).toEqual(['pending>paid', 'paid>shipped', 'shipped>delivered']);
      expect(rows[0].channels).toEqual([`user:${alice.user.id}`, `order:${order.id}`]);
      // Every change bumps the version, in the API and in the events (docs/contract.md, "Orders").
      const read = await as(alice)(http().get(`${ORDERS}/${order.id}`));
      expect(read.body).toEqual(expect.objectContaining({ status: 'delivered', version: 4 }));
      expect(read.body).not.toHaveProperty('cancelReason');
      const { rows: versions } = await db.query(
        `SELECT (data->'order'->>'version')::int AS version FROM outbox WHERE type = 'order.status_changed' AND data->>'orderId' = $1 ORDER BY seq`,
        [order.id],
      );
      expect(versions.map((r) => r.version)).toEqual([2, 3, 4]);
    });

    it('lets only the owner pay (an admin gets 403), and admins set only shipped/delivered', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const order = await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
      expectProblem(await as(admin)(http().post(`${ORDERS}/${order.id}/pay`)), 403);
      expectProblem(await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped' }), 409);
      expect(
        fields(
          expectProblem(await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'paid' }), 400),
        ),
      ).toEqual(['status']);
      expect(
        fields(
          expectProblem(
            await as(admin)(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped', userId: 'x' }),
            400,
          ),
        ),
      ).toEqual(['userId']);
    });

    it('cancel returns the stock and emits inventory.changed; owner or admin may cancel', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 5 });
      const order = await placedOrder(commerce.url, alice.accessToken, [
        { productId: product.id, quantity: 2 },
        { productId: product.id, quantity: 1 },
      ]);
      expect(await stockOf(product.id)).toBe(2);
      const cancelled = await as(admin)(http().post(`${ORDERS}/${order.id}/cancel`));
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual(
        expect.objectContaining({ status: 'cancelled', cancelReason: 'admin', version: 2 }),
      );
      expect(await stockOf(product.id)).toBe(5);
      const { rows } = await db.query(
        `SELECT data FROM outbox WHERE type = 'inventory.changed' AND data->>'productId' = $1 ORDER BY seq`,
        [product.id],
      );
      expect(rows.map((r) => r.data.delta)).toEqual([-3, 3]);
      // Each stock move is a new product version (docs/contract.md, "Events"): created 1, reserved 2, returned 3.
      expect(rows.map((r) => r.data.version)).toEqual([2, 3]);
      expectProblem(await as(alice)(http().post(`${ORDERS}/${order.id}/cancel`)), 409);

      const own = await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
      const byOwner = await as(alice)(http().post(`${ORDERS}/${own.id}/cancel`));
      expect(byOwner.body).toEqual(
        expect.objectContaining({ status: 'cancelled', cancelReason: 'customer', version: 2 }),
      );
    });
  });

  describe('X-Stream-Offset joins a snapshot to the stream', () => {
    it('names the newest event reflected in the answer; later changes have higher offsets', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 9 });
      await untilRelayed(db);
      const snapshot = await http().get(`/api/v1/products/${product.id}`);
      const head = Number(snapshot.headers['x-stream-offset']);
      const { rows: reflected } = await db.query(
        `SELECT max("offset")::int AS max FROM outbox WHERE data->>'id' = $1`,
        [product.id],
      );
      expect(head).toBeGreaterThanOrEqual(reflected[0].max);
      await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
      await untilRelayed(db);
      const { rows: later } = await db.query(`SELECT "offset"::int FROM outbox WHERE data->>'productId' = $1`, [
        product.id,
      ]);
      expect(later.every((row) => row.offset > head)).toBe(true);
      const next = await http().get(`/api/v1/products/${product.id}`);
      expect(Number(next.headers['x-stream-offset'])).toBeGreaterThanOrEqual(
        Math.max(...later.map((row) => row.offset)),
      );
      expect(next.body.stock).toBe(8);
    });
  });
});
