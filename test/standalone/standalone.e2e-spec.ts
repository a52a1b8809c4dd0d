import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureStandaloneBuilt, ROOT, STANDALONE_MAIN, startStandaloneServer } from '../support/standalone.js';
import type { StandaloneServer } from '../support/standalone.js';

/**
 * docs/standalone.md, "First minute", on "a fresh clone": the built standalone app, started like `npm start` with
 * DATABASE_URL, REDIS_URL and BROKER_URL unset and an empty data directory, serves the API, the
 * socket and the page; it keeps its data and key across a restart and refuses a second process on
 * the same data directory.
 */
describe('standalone (embedded defaults, fresh data directory)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-fresh-'));
  let server: StandaloneServer;
  let firstStartMs = 0;

  beforeAll(async () => {
    await ensureStandaloneBuilt();
    const started = Date.now();
    server = await startStandaloneServer({ dataDir });
    firstStartMs = Date.now() - started;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URL and the generated credentials once, and keeps its key and database in the data directory', () => {
    const output = server.output();
    expect(output).toContain(`Tandem standalone is running: http://localhost:${server.port}/`);
    expect(output).toContain('embedded PGlite');
    expect(output).toMatch(/seeded \d+ demo products/);
    const accounts = server.credentials();
    expect(accounts['admin']).toEqual({ email: 'admin@tandem.local', password: expect.stringMatching(/^\S{12,}$/) });
    expect(accounts['customer']?.password).toBeDefined();
    expect(statSync(join(dataDir, 'jwt-signing-key.pem')).mode & 0o077).toBe(0);
    expect(existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'embedded-db.lock'))).toBe(true);
    process.stdout.write(`standalone first start (fresh data directory, incl. process start): ${firstStartMs} ms\n`);
  });

  it('serves the storefront page at / and the API, health and metrics beside it', async () => {
    const page = await request(server.url).get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<title>Tandem storefront</title>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const bundle = await request(server.url).get(script!);
    expect(bundle.status).toBe(200);
    expect(bundle.headers['cache-control']).toContain('immutable');
    // Bundled locally, and no server-side validation code in the browser bundle.
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|esm\.sh)/);
    expect(bundle.text).not.toContain('class-validator');

    const ready = await request(server.url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.details)).toEqual(expect.arrayContaining(['database', 'redis', 'broker']));
    expect((await request(server.url).get('/metrics')).text).toContain('http_request_duration_seconds');
    const products = await request(server.url).get('/api/v1/products?limit=3');
    expect(products.status).toBe(200);
    expect(products.body.items).toHaveLength(3);
    expect(Number(products.headers['x-stream-offset'])).toBeGreaterThan(0);
    expect((await request(server.url).get('/api/v1/nope')).status).toBe(404);
  });

  it('lets the printed admin in, and runs the production SQL (orders, outbox, events) on the embedded database', async () => {
    const { admin, customer } = server.credentials();
    const adminSession = await request(server.url).post('/api/v1/auth/login').send(admin);
    expect(adminSession.status).toBe(200);
    expect(adminSession.body.user.roles).toEqual(['admin']);
    const customerSession = await request(server.url).post('/api/v1/auth/login').send(customer);
    expect(customerSession.status).toBe(200);
    const [product] = (await request(server.url).get('/api/v1/products?limit=1')).body.items;
    const order = await request(server.url)
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${customerSession.body.accessToken}`)
      .set('Idempotency-Key', 'fresh-clone-1')
      .send({ items: [{ productId: product.id, quantity: 1 }] });
    expect(order.status).toBe(201);
    const after = await request(server.url).get(`/api/v1/products/${product.id}`);
    expect(after.body.stock).toBe(product.stock - 1);
    // The outbox relay ran in-process (no LISTEN on the embedded database): every event is sent.
    const sse = await request(server.url)
      .get(`/api/v1/stream?channels=product:${product.id}`)
      .set('Last-Event-ID', String(Number(after.headers['x-stream-offset']) - 1))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('inventory.changed')) (res as unknown as { destroy(): void }).destroy();
        });
        res.on('close', () => done(null, text));
        res.on('error', () => done(null, text));
      });
    expect(String(sse.body)).toContain('event: inventory.changed');
  });

  it('refuses a second process on the same data directory, with a clear message', () => {
    const result = spawnSync(process.execPath, [STANDALONE_MAIN], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], TANDEM_DATA_DIR: dataDir, PORT: String(server.port + 1), LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /embedded-db\.lock is held by process \d+: another Tandem standalone is using this data directory/,
    );
  });

  it('stops bad configuration with a message naming each variable', () => {
    const result = spawnSync(process.execPath, [STANDALONE_MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'],
        TANDEM_DATA_DIR: dataDir,
        PORT: 'eighty',
        ADMIN_EMAIL: 'a@b.test',
        DATABASE_URL: 'mysql://x',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration for standalone');
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).toMatch(/DATABASE_URL must be a postgres:\/\//);
    expect(result.stderr).toMatch(/ADMIN_EMAIL and ADMIN_PASSWORD must be set together/);
  });

  it('keeps data, signing key and sessions across a restart, and does not print passwords again', async () => {
    const { customer } = server.credentials();
    const session = (await request(server.url).post('/api/v1/auth/login').send(customer)).body;
    const orders = (
      await request(server.url).get('/api/v1/orders').set('Authorization', `Bearer ${session.accessToken}`)
    ).body;
    // Nest re-raises the signal after its shutdown hooks: a clean stop ends "by SIGTERM".
    expect(await server.stop()).toBe('SIGTERM');
    expect(existsSync(join(dataDir, 'embedded-db.lock'))).toBe(false);

    const started = Date.now();
    server = await startStandaloneServer({ dataDir });
    process.stdout.write(`standalone restart (existing data directory): ${Date.now() - started} ms\n`);
    expect(server.output()).toContain('password printed at first start');
    expect(server.output()).not.toMatch(/password: \S+ +\(shown once\)/);
    expect(server.output()).not.toMatch(/seeded/);
    // Same key: the access token issued before the restart is still valid.
    const again = await request(server.url).get('/api/v1/orders').set('Authorization', `Bearer ${session.accessToken}`);
    expect(again.status).toBe(200);
    expect(again.body.items.map((o: { id: string }) => o.id)).toEqual(orders.items.map((o: { id: string }) => o.id));
  }, 120_000);
});
