import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import type { Order } from '@tandem/contracts';
import { MAX_JSON_DEPTH } from '@tandem/platform';
import { createProduct, newProductBody, placedOrder, placeOrder } from '../commerce/fixtures.js';
import { startCommerce, startCommerceStack } from '../support/commerce.js';
import type { CommerceFixture, CommerceStack } from '../support/commerce.js';
import { expectProblem, fields, register } from '../support/http.js';
import type { TestSession } from '../support/http.js';

const ORDERS = '/api/v1/orders';
const PRODUCTS = '/api/v1/products';
const MAX_PENDING = 3;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const typeOf = (body: Record<string, unknown>) => String(body.type).split('/').pop();

/** A token that looks like auth's but is signed by nobody: it names `sub` without proving it. */
function forgedToken(sub: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    part({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' }),
    part({
      sub,
      sid: randomUUID(),
      roles: ['customer'],
      iss: 'tandem-auth',
      aud: 'tandem',
      exp: now + 300,
      jti: randomUUID(),
    }),
    Buffer.from('not a signature').toString('base64url'),
  ].join('.');
}

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Hostile clients against commerce (docs/security.md, "Orders, stock and input"): each probe attacks
 * as an attacker would and asserts the safe outcome: a clear 4xx problem, never a 500, a leak of
 * another customer's data, or stock lost.
 */
describe('hostile clients vs commerce', () => {
  let stack: CommerceStack;
  let commerce: CommerceFixture;
  let db: pg.Client;
  let admin: TestSession;
  let alice: TestSession;
  let bob: TestSession;

  beforeAll(async () => {
    stack = await startCommerceStack({ MAX_PENDING_ORDERS_PER_USER: String(MAX_PENDING) });
    ({ commerce, db, admin } = stack);
    alice = await register(stack.auth.url);
    bob = await register(stack.auth.url);
  }, 60_000);
  afterAll(() => stack?.close());

  const http = () => request(commerce.url);
  const bearer = (session: TestSession) => `Bearer ${session.accessToken}`;
  const stockOf = async (id: string) => (await http().get(`${PRODUCTS}/${id}`)).body.stock as number;

  describe('hoarding', () => {
    it('hoard: 100 lines × 1,000 units per order, but at most MAX_PENDING_ORDERS_PER_USER pending orders; the next is 409 and reserves nothing', async () => {
      const hoarder = await register(stack.auth.url);
      const products = await Promise.all(
        Array.from({ length: 10 }, () => createProduct(commerce.url, admin.accessToken, { stock: 1_000_000 })),
      );
      const lines = Array.from({ length: 100 }, (_, i) => ({ productId: products[i % 10]!.id, quantity: 1000 }));
      for (let i = 0; i < MAX_PENDING; i += 1)
        expect((await placeOrder(commerce.url, hoarder.accessToken, lines)).status).toBe(201);
      const refused = expectProblem(await placeOrder(commerce.url, hoarder.accessToken, lines), 409);
      expect(typeOf(refused)).toBe('pending-orders-limit');
      expect(await stockOf(products[0]!.id)).toBe(1_000_000 - MAX_PENDING * 10 * 1000);
    });

    it('hoard in parallel: 8 simultaneous orders with distinct keys give exactly MAX_PENDING_ORDERS_PER_USER orders', async () => {
      const hoarder = await register(stack.auth.url);
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 100 });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          placeOrder(commerce.url, hoarder.accessToken, [{ productId: product.id, quantity: 1 }]),
        ),
      );
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([...Array(MAX_PENDING).fill(201), ...Array(8 - MAX_PENDING).fill(409)]);
      for (const res of answers.filter((answer) => answer.status === 409))
        expect(typeOf(res.body)).toBe('pending-orders-limit');
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM orders WHERE user_id = $1 AND status = 'pending'`,
        [hoarder.user.id],
      );
      expect(rows[0].n).toBe(MAX_PENDING);
      expect(await stockOf(product.id)).toBe(100 - MAX_PENDING);
    });

    it('hoard limit counts pending orders only: paying one frees a slot, and a replayed key is still its first answer', async () => {
      const customer = await register(stack.auth.url);
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 100 });
      const line = [{ productId: product.id, quantity: 1 }];
      const keys = Array.from({ length: MAX_PENDING }, () => randomUUID());
      const orders: Order[] = [];
      for (const key of keys) orders.push((await placeOrder(commerce.url, customer.accessToken, line, key)).body);
      const replay = await placeOrder(commerce.url, customer.accessToken, line, keys[0]);
      expect(replay.status).toBe(201);
      expect(replay.body.id).toBe(orders[0]!.id);
      expectProblem(await placeOrder(commerce.url, customer.accessToken, line), 409);
      await http().post(`${ORDERS}/${orders[0]!.id}/pay`).set('Authorization', bearer(customer)).expect(200);
      expect((await placeOrder(commerce.url, customer.accessToken, line)).status).toBe(201);
    });
  });

  describe('pending orders expire, once, on two replicas sweeping together', () => {
    let first: CommerceFixture;
    let second: CommerceFixture;
    let expiryDb: pg.Client;
    const env = { PENDING_ORDER_TTL_SECONDS: '2', MAX_PENDING_ORDERS_PER_USER: '10' };

    beforeAll(async () => {
      first = await startCommerce(stack.auth.url, env);
      second = await startCommerce(stack.auth.url, env, first.db);
      expiryDb = new pg.Client({ connectionString: first.db.url });
      await expiryDb.connect();
    }, 60_000);
    afterAll(async () => {
      await expiryDb?.end();
      await second?.close();
      await first?.close();
    });

    it('expiry: unpaid orders are cancelled (cancelReason expired), stock returns exactly once, events as for any cancel; a paid order stays', async () => {
      const product = await createProduct(first.url, admin.accessToken, { stock: 100 });
      const placed: Order[] = [];
      for (const customer of [alice, bob]) {
        for (let i = 0; i < 3; i += 1) {
          placed.push(
            await placedOrder(i % 2 ? second.url : first.url, customer.accessToken, [
              { productId: product.id, quantity: 5 },
            ]),
          );
        }
      }
      const paid = placed.pop()!;
      await request(first.url).post(`${ORDERS}/${paid.id}/pay`).set('Authorization', bearer(bob)).expect(200);

      await until(async () => {
        const { rows } = await expiryDb.query(`SELECT count(*)::int AS n FROM orders WHERE status = 'pending'`);
        return rows[0].n === 0 ? true : undefined;
      }, 'the pending orders to expire');

      expect((await request(first.url).get(`${PRODUCTS}/${product.id}`)).body.stock).toBe(100 - 5);
      for (const order of placed) {
        const owner = order.userId === alice.user.id ? alice : bob;
        const read = await request(second.url).get(`${ORDERS}/${order.id}`).set('Authorization', bearer(owner));
        expect(read.body).toEqual(
          expect.objectContaining({ status: 'cancelled', cancelReason: 'expired', version: 2 }),
        );
        expectProblem(
          await request(first.url).post(`${ORDERS}/${order.id}/pay`).set('Authorization', bearer(owner)),
          409,
        );
      }
      expect((await request(first.url).get(`${ORDERS}/${paid.id}`).set('Authorization', bearer(bob))).body.status).toBe(
        'paid',
      );

      const { rows: changes } = await expiryDb.query(
        `SELECT data->>'orderId' AS id, data->'order'->>'cancelReason' AS reason, channels FROM outbox
          WHERE type = 'order.status_changed' AND data->>'to' = 'cancelled'`,
      );
      expect(changes.map((row) => row.id).sort()).toEqual(placed.map((order) => order.id).sort());
      expect(new Set(changes.map((row) => row.reason))).toEqual(new Set(['expired']));
      const { rows: returned } = await expiryDb.query(
        `SELECT (data->>'delta')::int AS delta FROM outbox WHERE type = 'inventory.changed' AND (data->>'delta')::int > 0`,
      );
      expect(returned.map((row) => row.delta)).toEqual(placed.map(() => 5));
    });
  });

  describe('budgets behind one proxy', () => {
    let proxied: CommerceFixture;
    const GATEWAY = '203.0.113.10';

    beforeAll(async () => {
      proxied = await startCommerce(stack.auth.url, {
        TRUST_PROXY_HOPS: '1',
        REQUESTS_PER_IP_PER_MINUTE: '5',
        REQUESTS_PER_USER_PER_MINUTE: '8',
      });
    }, 60_000);
    afterAll(() => proxied?.close());

    const from = (ip: string, path = ORDERS) => request(proxied.url).get(path).set('X-Forwarded-For', ip);

    it("budget per user: one user's calls through a shared IP (gateway rpc, ingress) do not spend another user's budget", async () => {
      const [carol, dave] = [await register(stack.auth.url), await register(stack.auth.url)];
      for (let i = 0; i < 8; i += 1) expect((await from(GATEWAY).set('Authorization', bearer(carol))).status).toBe(200);
      expectProblem(await from(GATEWAY).set('Authorization', bearer(carol)), 429);
      expect((await from(GATEWAY).set('Authorization', bearer(dave))).status).toBe(200);
    });

    it('budget for forged tokens: a token that does not verify spends its IP budget, never the named victim', async () => {
      const victim = await register(stack.auth.url);
      const attacker = '198.51.100.66';
      for (let i = 0; i < 5; i += 1)
        expectProblem(await from(attacker).set('Authorization', `Bearer ${forgedToken(victim.user.id)}`), 401);
      expectProblem(await from(attacker).set('Authorization', `Bearer ${forgedToken(victim.user.id)}`), 429);
      expectProblem(await from(attacker, PRODUCTS), 429);
      for (let i = 0; i < 8; i += 1)
        expect((await from(attacker).set('Authorization', bearer(victim))).status).toBe(200);
    });
  });

  describe('crafted input', () => {
    const uuid = randomUUID();
    const craftedCursors = [
      encode(['1', uuid]),
      encode(['2020-02-30T00:00:00.000Z', uuid]),
      encode(['2026-12-01T00:00:00.000Z', uuid, 'extra']),
      encode([1764547200000, uuid]),
      encode(['2026-12-01T00:00:00.000Z', "' OR 1=1 --"]),
      encode({ createdAt: '2026-12-01T00:00:00.000Z', id: uuid }),
      encode(['99999-01-01T00:00:00.000Z', uuid]),
      '%%%',
    ];

    it.each([PRODUCTS, ORDERS])(
      'cursor tampering on %s: every crafted cursor is a 400 naming the cursor',
      async (path) => {
        for (const cursor of craftedCursors) {
          const res = await http().get(path).query({ cursor }).set('Authorization', bearer(alice));
          expect(fields(expectProblem(res, 400))).toEqual(['cursor']);
        }
      },
    );

    it('query tampering: repeated, huge or non-numeric limit and cursor are 400s', async () => {
      for (const query of [
        'limit=100000',
        'limit=-1',
        'limit=abc',
        'limit=1&limit=2',
        'cursor=a&cursor=b',
        'q[$ne]=1',
      ]) {
        expectProblem(await http().get(`${PRODUCTS}?${query}`), 400);
      }
    });

    it.each([
      ['missing', undefined],
      ['a list', [{ amount: 100, currency: 'EUR' }]],
      ['an empty list', []],
      ['a string', '12.50 EUR'],
      ['a number', 1250],
      ['null', null],
      ['negative', { amount: -1, currency: 'EUR' }],
      ['huge', { amount: 1e20, currency: 'EUR' }],
      ['fractional', { amount: 12.5, currency: 'EUR' }],
      ['in a made-up currency', { amount: 100, currency: 'euro' }],
    ])('price %s on POST /products is a 400 naming the price', async (_what, price) => {
      const body = newProductBody({ price });
      if (price === undefined) delete (body as Partial<typeof body>).price;
      const res = await http().post(PRODUCTS).set('Authorization', bearer(admin)).send(body);
      expect(fields(expectProblem(res, 400)).some((field) => field.startsWith('price'))).toBe(true);
    });

    it('price as a list on PATCH /products/:id is a 400 and changes nothing', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const res = await http()
        .patch(`${PRODUCTS}/${product.id}`)
        .set('Authorization', bearer(admin))
        .send({ price: [{ amount: 1, currency: 'EUR' }] });
      expect(fields(expectProblem(res, 400))).toContain('price');
      expect((await http().get(`${PRODUCTS}/${product.id}`)).body.version).toBe(product.version);
    });

    it('nested body: thousands of levels of arrays or objects are refused at parse time (400 malformed-body)', async () => {
      for (const depth of [MAX_JSON_DEPTH + 1, 500, 5000]) {
        const deepArray = `{"items":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        const deepObject = `{"items":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`;
        for (const body of [deepArray, deepObject]) {
          const res = await http()
            .post(ORDERS)
            .set('Authorization', bearer(alice))
            .set('Idempotency-Key', randomUUID())
            .set('Content-Type', 'application/json')
            .send(body);
          expect(typeOf(expectProblem(res, 400))).toBe('malformed-body');
        }
      }
      const justDeepEnough = `{"name":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
      const res = await http()
        .patch(`${PRODUCTS}/${randomUUID()}`)
        .set('Authorization', bearer(admin))
        .set('Content-Type', 'application/json')
        .send(justDeepEnough);
      expect(typeOf(expectProblem(res, 400))).toBe('validation-failed');
    });

    it('huge array: 20,000 order lines are refused at parse time (400 malformed-body), nothing reserved', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 50 });
      const items = Array.from({ length: 20_000 }, () => 0);
      const res = await http()
        .post(ORDERS)
        .set('Authorization', bearer(alice))
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'application/json')
        .send(`{"items":[${items.join(',')}],"x":{"productId":"${product.id}"}}`);
      expect(typeOf(expectProblem(res, 400))).toBe('malformed-body');
      expect(await stockOf(product.id)).toBe(50);
    });

    it('oversized body: more than 64 kB is a 413 problem', async () => {
      const res = await http()
        .post(PRODUCTS)
        .set('Authorization', bearer(admin))
        .send(newProductBody({ description: 'x'.repeat(70_000) }));
      expectProblem(res, 413);
    });

    it('prototype keys and wrong content types are 4xx problems, and the process answers after all of the above', async () => {
      const res = await http()
        .post(ORDERS)
        .set('Authorization', bearer(alice))
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'application/json')
        .send('{"items":[],"__proto__":{"admin":true}}');
      expect(typeOf(expectProblem(res, 400))).toBe('malformed-body');
      expect((await http().get('/health/live')).status).toBe(200);
    });
  });

  describe('other customers’ orders', () => {
    it('BOLA: another customer’s order is a 404 on every route that takes its id, and never listed', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const order = await placedOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 1 }]);
      const asBob = (req: request.Test) => req.set('Authorization', bearer(bob));
      expectProblem(await asBob(http().get(`${ORDERS}/${order.id}`)), 404);
      expectProblem(await asBob(http().post(`${ORDERS}/${order.id}/pay`)), 404);
      expectProblem(await asBob(http().post(`${ORDERS}/${order.id}/cancel`)), 404);
      expectProblem(await asBob(http().patch(`${ORDERS}/${order.id}/status`)).send({ status: 'shipped' }), 403);
      const listed = await asBob(http().get(ORDERS).query({ limit: 100 }));
      expect(listed.body.items.map((item: Order) => item.id)).not.toContain(order.id);
      expect(listed.body.items.every((item: Order) => item.userId === bob.user.id)).toBe(true);
      const read = await http().get(`${ORDERS}/${order.id}`).set('Authorization', bearer(alice));
      expect(read.body).toEqual(expect.objectContaining({ status: 'pending', version: 1 }));
      await http().post(`${ORDERS}/${order.id}/cancel`).set('Authorization', bearer(alice)).expect(200);
    });
  });

  describe('Idempotency-Key abuse', () => {
    it("another customer's key replays nothing of theirs; other body → 422; malformed keys → 400", async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const key = randomUUID();
      const line = [{ productId: product.id, quantity: 1 }];
      const mine = await placeOrder(commerce.url, alice.accessToken, line, key);
      const theirs = await placeOrder(commerce.url, bob.accessToken, line, key);
      expect(theirs.status).toBe(201);
      expect(theirs.body.userId).toBe(bob.user.id);
      expect(theirs.body.id).not.toBe(mine.body.id);
      const other = await placeOrder(commerce.url, alice.accessToken, [{ productId: product.id, quantity: 2 }], key);
      expect(typeOf(expectProblem(other, 422))).toBe('idempotency-key-reused');
      for (const bad of ['x'.repeat(256), 'has space', 'é']) {
        expect(fields(expectProblem(await placeOrder(commerce.url, alice.accessToken, line, bad), 400))).toEqual([
          'Idempotency-Key',
        ]);
      }
      expect(await stockOf(product.id)).toBe(8);
      for (const [session, order] of [
        [alice, mine.body],
        [bob, theirs.body],
      ] as const) {
        await http().post(`${ORDERS}/${order.id}/cancel`).set('Authorization', bearer(session)).expect(200);
      }
    });
  });

  describe('operations', () => {
    it('/metrics is Prometheus text (Prometheus 3 refuses text/html)', async () => {
      const res = await http().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    });

    it('forced 500: the log line of a failed statement carries no query parameters (keys, ids) nor driver internals', async () => {
      const logged: string[] = [];
      const capture: LoggerService = {
        log: () => undefined,
        warn: () => undefined,
        error: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
      };
      commerce.app.useLogger(capture);
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const secretKey = `idem-${randomUUID()}`;
      await db.query('ALTER TABLE idempotency_keys RENAME TO idempotency_keys_hidden');
      try {
        const res = await placeOrder(
          commerce.url,
          alice.accessToken,
          [{ productId: product.id, quantity: 1 }],
          secretKey,
        );
        expect(typeOf(expectProblem(res, 500))).toBe('internal');
        expect(JSON.stringify(res.body)).not.toContain('idempotency_keys');
      } finally {
        await db.query('ALTER TABLE idempotency_keys_hidden RENAME TO idempotency_keys');
        commerce.app.useLogger(false);
      }
      const line = logged.join('\n');
      expect(line).toContain('QueryFailedError');
      expect(line).not.toContain(secretKey);
      expect(line).not.toContain(alice.user.id);
      expect(line).not.toContain('driverError');
      expect(await stockOf(product.id)).toBe(10);
    });
  });
});
