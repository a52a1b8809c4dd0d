import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Order, Product } from '@tandem/contracts';

let skuCounter = 0;

export function newProductBody(overrides: Record<string, unknown> = {}) {
  skuCounter += 1;
  return {
    sku: `T-${process.pid}-${Date.now().toString(36)}-${skuCounter}`,
    name: `Test product ${skuCounter}`,
    description: 'A product made by a test',
    price: { amount: 1250, currency: 'EUR' },
    stock: 20,
    ...overrides,
  };
}

export async function createProduct(
  url: string,
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<Product> {
  const res = await request(url)
    .post('/api/v1/products')
    .set('Authorization', `Bearer ${adminToken}`)
    .send(newProductBody(overrides));
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Product;
}

export function placeOrder(
  url: string,
  token: string,
  items: { productId: string; quantity: number }[],
  key: string = randomUUID(),
) {
  return request(url)
    .post('/api/v1/orders')
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', key)
    .send({ items });
}

export async function placedOrder(
  url: string,
  token: string,
  items: { productId: string; quantity: number }[],
): Promise<Order> {
  const res = await placeOrder(url, token, items);
  if (res.status !== 201) throw new Error(`order failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Order;
}

/**
 * Resolves once the outbox relay has given every committed event its stream offset (the relay
 * assigns them, not the writers: docs/events.md, "Offsets and `X-Stream-Offset`").
 */
export async function untilRelayed(db: { query(sql: string): Promise<{ rows: { waiting: number }[] }> }) {
  for (let i = 0; i < 500; i += 1) {
    const { rows } = await db.query(`SELECT count(*)::int AS waiting FROM outbox WHERE "offset" IS NULL`);
    if (rows[0]!.waiting === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the outbox relay did not assign offsets within 10 s');
}
