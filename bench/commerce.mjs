#!/usr/bin/env node
// Throughput and latency of GET /products/:id and POST /orders against the real commerce app
// (PostgreSQL, RabbitMQ relay running). Usage: npm run build && node bench/commerce.mjs [--quick]
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { BROKER_URL, call, createDatabase, signingKey, startApp, table } from './lib.mjs';

const quick = process.argv.includes('--quick');
const duration = quick ? 3 : 15;
const connections = 20;

const authDb = await createDatabase('auth');
const commerceDb = await createDatabase('commerce');
const admin = { email: 'bench-admin@example.test', password: 'bench-admin-password' };
const apps = [];
try {
  const auth = await startApp('auth', {
    DATABASE_URL: authDb.url,
    JWT_PRIVATE_KEY: signingKey(),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    BROKER_URL,
  });
  apps.push(auth);
  const commerce = await startApp('commerce', {
    DATABASE_URL: commerceDb.url,
    BROKER_URL,
    AUTH_JWKS_URL: `${auth.url}/api/v1/auth/jwks`,
    REQUESTS_PER_IP_PER_MINUTE: '10000000',
    // One generator user places (and the admin ships) far more than a customer would.
    REQUESTS_PER_USER_PER_MINUTE: '100000000',
    MAX_PENDING_ORDERS_PER_USER: '100000000',
  });
  apps.push(commerce);

  const adminToken = (await call(auth.url, 'POST', '/api/v1/auth/login', { body: admin })).body.accessToken;
  const customerToken = (
    await call(auth.url, 'POST', '/api/v1/auth/register', {
      body: { email: `bench-${randomUUID()}@example.test`, password: 'bench-password' },
    })
  ).body.accessToken;
  const products = [];
  for (let i = 0; i < 50; i += 1) {
    const body = {
      sku: `BENCH-${i}`,
      name: `Bench product ${i}`,
      price: { amount: 1000 + i, currency: 'EUR' },
      stock: 1_000_000,
    };
    products.push((await call(commerce.url, 'POST', '/api/v1/products', { token: adminToken, body })).body);
  }

  const run = (title, options) =>
    new Promise((resolve, reject) => {
      autocannon({ url: commerce.url, connections, duration, ...options }, (error, result) => {
        if (error) return reject(error);
        resolve({
          route: title,
          'req/s': Math.round(result.requests.average),
          'p50 ms': result.latency.p50,
          'p90 ms': result.latency.p90,
          'p99 ms': result.latency.p99,
          errors: result.errors + result.non2xx,
        });
      });
    });

  let n = 0;
  const rows = [
    await run('GET /products/:id', {
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: `/api/v1/products/${products[n++ % products.length].id}` }),
        },
      ],
    }),
    await run('POST /orders', {
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            path: '/api/v1/orders',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${customerToken}`,
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({ items: [{ productId: products[n++ % products.length].id, quantity: 1 }] }),
          }),
        },
      ],
    }),
  ];
  console.log(`\ncommerce, ${connections} connections, ${duration} s per route (${quick ? 'quick' : 'full'} mode)\n`);
  console.log(table(rows));
} finally {
  for (const app of apps.reverse()) await app.stop();
  await commerceDb.drop();
  await authDb.drop();
}
