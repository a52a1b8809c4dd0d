import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { EventEnvelope, Order, Product, RpcResponse, SubscribeAck } from '@tandem/contracts';
import { ADMIN, startAuth } from '../support/auth.js';
import type { AuthFixture } from '../support/auth.js';
import { startCommerce } from '../support/commerce.js';
import type { CommerceFixture } from '../support/commerce.js';
import { login, register } from '../support/http.js';
import type { TestSession } from '../support/http.js';
import {
  BROKER_URL,
  connect,
  emitAck,
  isolation,
  record,
  REDIS_URL,
  startRealtime,
  waitFor,
  deleteQueues,
} from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';

/**
 * The hybrid flow of the contract with every app real: auth issues tokens and publishes
 * session.revoked, commerce publishes through its outbox, the gateway fans out from RabbitMQ.
 */
describe('hybrid flow: REST commands, live events on the socket', () => {
  const names = isolation();
  let auth: AuthFixture;
  let commerce: CommerceFixture;
  let gateway: RealtimeFixture;
  let admin: TestSession;
  let customer: TestSession;
  let product: Product;
  const sockets: Client[] = [];

  beforeAll(async () => {
    auth = await startAuth({ BROKER_URL });
    commerce = await startCommerce(auth.url);
    gateway = await startRealtime({
      ...names,
      AUTH_JWKS_URL: `${auth.url}/api/v1/auth/jwks`,
      COMMERCE_URL: commerce.url,
      REDIS_URL,
    });
    admin = await login(auth.url, ADMIN.email, ADMIN.password);
    customer = await register(auth.url);
    const res = await request(commerce.url)
      .post('/api/v1/products')
      .set('Authorization', `Bearer ${admin.accessToken}`)
      .send({ sku: `SKU-${randomUUID()}`, name: 'Kettle', price: { amount: 2599, currency: 'EUR' }, stock: 10 });
    expect(res.status).toBe(201);
    product = res.body as Product;
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await gateway?.close();
    await commerce?.close();
    await auth?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  it("REST order → order.created on the owner's socket and inventory.changed on the product channel", async () => {
    const owner = await connect(gateway.url, { token: customer.accessToken });
    const watcher = await connect(gateway.url);
    sockets.push(owner, watcher);
    const ownerSeen = record(owner);
    const watcherSeen = record(watcher);
    expect(await emitAck<SubscribeAck>(watcher, 'subscribe', { channel: `product:${product.id}` })).toEqual({
      ok: true,
      recovered: true,
    });
    const res = await request(commerce.url)
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${customer.accessToken}`)
      .set('Idempotency-Key', randomUUID())
      .send({ items: [{ productId: product.id, quantity: 2 }] });
    expect(res.status).toBe(201);
    const order = res.body as Order;

    await waitFor(() => ownerSeen.some((e) => e.type === 'order.created'), 10_000, 'order.created');
    const created = ownerSeen.find((e) => e.type === 'order.created') as EventEnvelope<'order.created'>;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'order.created',
      channels: expect.arrayContaining([`user:${customer.user.id}`, `order:${order.id}`]),
      offset: expect.any(Number),
      occurredAt: expect.any(String),
      data: expect.objectContaining({ id: order.id, userId: customer.user.id, status: 'pending' }),
    });

    await waitFor(() => watcherSeen.some((e) => e.type === 'inventory.changed'), 10_000, 'inventory.changed');
    const inventory = watcherSeen.find((e) => e.type === 'inventory.changed') as EventEnvelope<'inventory.changed'>;
    expect(inventory).toMatchObject({
      type: 'inventory.changed',
      channels: expect.arrayContaining([`product:${product.id}`, 'catalog']),
      data: { productId: product.id, stock: 8, delta: -2 },
    });
    expect(Number.isInteger(inventory.offset) && inventory.offset > 0).toBe(true);
    expect(watcherSeen.some((e) => e.type === 'order.created')).toBe(false); // private events stay private

    // order:{id}: the owner may subscribe, another customer may not.
    expect(await emitAck(owner, 'subscribe', { channel: `order:${order.id}` })).toMatchObject({ ok: true });
    const stranger = await connect(gateway.url, { token: (await register(auth.url)).accessToken });
    sockets.push(stranger);
    expect(await emitAck(stranger, 'subscribe', { channel: `order:${order.id}` })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it("rpc runs REST calls with the socket's own token; the joined stream misses nothing", async () => {
    const socket = await connect(gateway.url, { token: customer.accessToken });
    sockets.push(socket);
    const seen = record(socket);
    const read = await emitAck<RpcResponse>(socket, 'rpc', {
      method: 'GET',
      path: `/api/v1/products/${product.id}`,
      headers: { Authorization: 'Bearer forged' },
    });
    expect(read).toMatchObject({ status: 200, body: { id: product.id }, headers: { etag: expect.any(String) } });
    const since = Number(read.headers['x-stream-offset']);
    expect(await emitAck(socket, 'subscribe', { channel: `product:${product.id}`, since })).toEqual({
      ok: true,
      recovered: expect.any(Boolean),
    });
    const placed = await emitAck<RpcResponse>(socket, 'rpc', {
      method: 'POST',
      path: '/api/v1/orders',
      headers: { 'Idempotency-Key': randomUUID() },
      body: { items: [{ productId: product.id, quantity: 1 }] },
    });
    expect(placed).toMatchObject({ status: 201, body: { userId: customer.user.id, status: 'pending' } });
    const orderId = (placed.body as Order).id;
    await waitFor(
      () =>
        seen.some((e) => e.type === 'order.created' && (e.data as Order).id === orderId) &&
        seen.some((e) => e.type === 'inventory.changed' && e.offset > since),
      10_000,
      'events of the rpc order',
    );
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length); // at most once per socket
    expect(await emitAck(socket, 'rpc', { method: 'GET', path: '/api/v1/auth/me' })).toMatchObject({ status: 404 });
  });

  it("logout publishes session.revoked and the gateway closes that session's socket", async () => {
    const session = await register(auth.url);
    const socket = await connect(gateway.url, { token: session.accessToken });
    sockets.push(socket);
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    const res = await request(auth.url).post('/api/v1/auth/logout').send({ refreshToken: session.refreshToken });
    expect(res.status).toBe(204);
    await closed;
  });
});
