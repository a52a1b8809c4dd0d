import pg from 'pg';
import request from 'supertest';
import type { AuthFixture } from '../support/auth.js';
import { startCommerceStack } from '../support/commerce.js';
import type { CommerceFixture, CommerceStack } from '../support/commerce.js';
import { expectProblem, fields, register } from '../support/http.js';
import type { TestSession } from '../support/http.js';
import { createProduct, newProductBody } from './fixtures.js';

const PRODUCTS = '/api/v1/products';

describe('catalog against real PostgreSQL', () => {
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let admin: TestSession;
  let customer: TestSession;
  let db: pg.Client;

  let stack: CommerceStack;

  beforeAll(async () => {
    stack = await startCommerceStack();
    ({ auth, commerce, admin, db } = stack);
    customer = await register(auth.url);
  });
  afterAll(() => stack?.close());

  const http = () => request(commerce.url);
  const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${admin.accessToken}`);

  describe('POST /products', () => {
    it('lets an admin create a product and emits product.created through the outbox', async () => {
      const body = newProductBody({ name: 'Alpine Wool Sweater' });
      const res = await asAdmin(http().post(PRODUCTS)).send(body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        sku: body.sku,
        name: 'Alpine Wool Sweater',
        description: body.description,
        price: { amount: 1250, currency: 'EUR' },
        stock: 20,
        version: 1,
        updatedAt: expect.any(String),
      });
      expect(res.headers['etag']).toBe('"1"');
      const { rows } = await db.query(`SELECT type, channels, data FROM outbox WHERE data->>'id' = $1`, [res.body.id]);
      expect(rows).toEqual([
        { type: 'product.created', channels: [`product:${res.body.id}`, 'catalog'], data: res.body },
      ]);
    });

    it('is 401 without a token and 403 for a customer', async () => {
      expectProblem(await http().post(PRODUCTS).send(newProductBody()), 401);
      expectProblem(
        await http().post(PRODUCTS).set('Authorization', `Bearer ${customer.accessToken}`).send(newProductBody()),
        403,
      );
    });

    it('is 409 for a duplicate SKU', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      expectProblem(await asAdmin(http().post(PRODUCTS)).send(newProductBody({ sku: product.sku })), 409);
    });

    it.each([
      ['a fractional price', { price: { amount: 12.5, currency: 'EUR' } }, 'price.amount'],
      ['a negative price', { price: { amount: -1, currency: 'EUR' } }, 'price.amount'],
      ['a bad currency', { price: { amount: 100, currency: 'euro' } }, 'price.currency'],
      ['negative stock', { stock: -3 }, 'stock'],
      ['stock as a string', { stock: '10' }, 'stock'],
      ['an unknown field', { version: 7 }, 'version'],
      ['a missing name', { name: undefined }, 'name'],
    ])('is 400 for %s, naming %s', async (_name, overrides, field) => {
      const body = expectProblem(await asAdmin(http().post(PRODUCTS)).send(newProductBody(overrides)), 400);
      expect(fields(body)).toContain(field);
    });
  });

  describe('GET /products', () => {
    it('pages with a cursor, stable under concurrent inserts', async () => {
      const tag = `pager${Date.now()}`;
      const created = [];
      for (let i = 0; i < 5; i += 1)
        created.push(await createProduct(commerce.url, admin.accessToken, { name: `${tag} item ${i}` }));
      const first = await http().get(PRODUCTS).query({ q: tag, limit: 2 });
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      // A product created between two page reads must not shift or repeat the pages.
      const late = await createProduct(commerce.url, admin.accessToken, { name: `${tag} late` });
      const seen = [...first.body.items];
      let cursor = first.body.nextCursor;
      while (cursor) {
        const page = await http().get(PRODUCTS).query({ q: tag, limit: 2, cursor });
        expect(page.status).toBe(200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
      }
      const ids = seen.map((p: { id: string }) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...created.map((p) => p.id), late.id]);
    });

    it('searches by word prefix, parameterized', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { name: 'Zanzibar Teapot' });
      const res = await http().get(PRODUCTS).query({ q: 'zanzi' });
      expect(res.body.items.map((p: { id: string }) => p.id)).toContain(product.id);
      const injection = await http().get(PRODUCTS).query({ q: "'; DROP TABLE products; --" });
      expect(injection.status).toBe(200);
      expect((await http().get(PRODUCTS)).status).toBe(200);
    });

    it('carries X-Stream-Offset', async () => {
      const res = await http().get(PRODUCTS);
      expect(Number(res.headers['x-stream-offset'])).toBeGreaterThan(0);
    });

    it.each([
      [{ limit: 101 }, 'limit'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: 'garbage' }, 'cursor'],
      [{ sort: 'price' }, 'sort'],
    ])('is 400 for bad query %j', async (query, field) => {
      expect(fields(expectProblem(await http().get(PRODUCTS).query(query), 400))).toContain(field);
    });
  });

  describe('GET /products/:id', () => {
    it('returns the product with a strong ETag and answers 304 to a matching If-None-Match', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      const res = await http().get(`${PRODUCTS}/${product.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(product);
      expect(res.headers['etag']).toBe('"1"');
      expect(res.headers['x-stream-offset']).toMatch(/^\d+$/);
      const cached = await http().get(`${PRODUCTS}/${product.id}`).set('If-None-Match', '"1"');
      expect(cached.status).toBe(304);
      expect(cached.text).toBe('');
      const stale = await http().get(`${PRODUCTS}/${product.id}`).set('If-None-Match', '"0"');
      expect(stale.status).toBe(200);
    });

    it('is 404 for an unknown or malformed id', async () => {
      expectProblem(await http().get(`${PRODUCTS}/00000000-0000-4000-8000-000000000000`), 404);
      expectProblem(await http().get(`${PRODUCTS}/not-a-uuid`), 404);
    });
  });

  describe('PATCH /products/:id', () => {
    it('updates with a matching If-Match, bumps the version and emits product.updated alone (new stock inside)', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      const res = await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
        .set('If-Match', '"1"')
        .send({ price: { amount: 999, currency: 'EUR' }, stock: 7 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({ version: 2, stock: 7, price: { amount: 999, currency: 'EUR' } }),
      );
      expect(res.headers['etag']).toBe('"2"');
      const { rows } = await db.query(
        `SELECT type, data FROM outbox WHERE data->>'id' = $1 OR data->>'productId' = $1 ORDER BY seq`,
        [product.id],
      );
      expect(rows.map((row) => row.type)).toEqual(['product.created', 'product.updated']);
      expect(rows[1].data).toEqual(expect.objectContaining({ id: product.id, stock: 7, version: 2 }));
    });

    it('a stock-only change emits inventory.changed alone, with the product version (fields sent unchanged count as unchanged)', async () => {
      const product = await createProduct(commerce.url, admin.accessToken, { stock: 10 });
      await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
        .send({ stock: 4 })
        .expect(200);
      await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
        .send({ name: product.name, stock: 6 })
        .expect(200);
      const { rows } = await db.query(
        `SELECT type, data FROM outbox WHERE data->>'id' = $1 OR data->>'productId' = $1 ORDER BY "offset"`,
        [product.id],
      );
      expect(rows.map((row) => row.type)).toEqual(['product.created', 'inventory.changed', 'inventory.changed']);
      expect(rows[1].data).toEqual({ productId: product.id, stock: 4, delta: -6, version: 2 });
      expect(rows[2].data).toEqual({ productId: product.id, stock: 6, delta: 2, version: 3 });
    });

    it('is 412 for a stale If-Match and changes nothing', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
        .send({ name: 'Renamed' })
        .expect(200);
      expectProblem(
        await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
          .set('If-Match', '"1"')
          .send({ name: 'Lost update' }),
        412,
      );
      expectProblem(
        await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
          .set('If-Match', 'W/"2"')
          .send({ name: 'Weak' }),
        412,
      );
      expect((await http().get(`${PRODUCTS}/${product.id}`)).body.name).toBe('Renamed');
    });

    it('emits no inventory.changed when stock did not change', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      await asAdmin(http().patch(`${PRODUCTS}/${product.id}`))
        .send({ description: 'new words' })
        .expect(200);
      const { rows } = await db.query(`SELECT type FROM outbox WHERE data->>'productId' = $1`, [product.id]);
      expect(rows).toHaveLength(0);
    });

    it('refuses an empty body, unknown or immutable fields, customers and unknown products', async () => {
      const product = await createProduct(commerce.url, admin.accessToken);
      expectProblem(await asAdmin(http().patch(`${PRODUCTS}/${product.id}`)).send({}), 400);
      expect(
        fields(expectProblem(await asAdmin(http().patch(`${PRODUCTS}/${product.id}`)).send({ sku: 'NEW' }), 400)),
      ).toEqual(['sku']);
      expect(
        fields(expectProblem(await asAdmin(http().patch(`${PRODUCTS}/${product.id}`)).send({ version: 9 }), 400)),
      ).toEqual(['version']);
      expectProblem(
        await http()
          .patch(`${PRODUCTS}/${product.id}`)
          .set('Authorization', `Bearer ${customer.accessToken}`)
          .send({ name: 'x' }),
        403,
      );
      expectProblem(
        await asAdmin(http().patch(`${PRODUCTS}/00000000-0000-4000-8000-000000000000`)).send({ name: 'x' }),
        404,
      );
    });
  });

  it('serves readiness that checks the database', async () => {
    const res = await http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.info.database.status).toBe('up');
  });
});
