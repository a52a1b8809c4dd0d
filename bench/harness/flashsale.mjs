// The flash sale (docs/benchmarks.md, "Flash sale"): thousands of sockets across two gateway
// replicas watch one product with 100 units while thousands of customers order it at once across
// two commerce replicas. The harness itself checks the outcome (exactly 100 orders, none oversold,
// every watcher at stock 0) and throws when it does not hold; it reports how long after the last
// successful order the last watcher knew, the deliveries and the gateways' CPU, with and without
// `conflate` (docs/contract.md, `subscribe`).
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8 } from 'jose';
import { procStat } from './procs.mjs';
import { Latency, scrapeSteps, stepPercentiles } from './measure.mjs';
import { sleep, wallNow } from './clock.mjs';
import { pool } from './scenarios.mjs';
import { connectSocket, req } from './saturation.mjs';

export const UNITS = 100;

/**
 * Customer tokens without a registration each (one registration hashes a password: thousands
 * would take minutes): the harness owns the stack's signing key, so it signs access tokens the
 * way auth does (same kid, typ, iss, aud, copied from a real token; its own sub, sid, jti).
 * Commerce and realtime verify them through auth's JWKS like any other; no session is revoked.
 */
export async function mintCustomers(stack, n) {
  const sample = stack.users[0].token;
  const header = decodeProtectedHeader(sample);
  const claims = decodeJwt(sample);
  const key = await importPKCS8(stack.signingKey, header.alg);
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const token = await new SignJWT({ sid: randomUUID(), roles: claims.roles })
      .setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ })
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setSubject(randomUUID())
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    out.push(token);
  }
  return out;
}

/** Opens `n` anonymous sockets spread over `gateways` ({url}). */
export async function openWatchers(gateways, n) {
  const sockets = new Array(n);
  await pool(
    Array.from({ length: n }, (_, i) => i),
    50,
    async (i) => {
      sockets[i] = await connectSocket(gateways[i % gateways.length].url);
    },
  );
  return sockets;
}

/** Whether the gateway takes `conflate` (answers other than invalid_request mean it does). */
export async function conflateSupported(socket, channel, ms) {
  const ack = await socket.timeout(20_000).emitWithAck('subscribe', { channel, conflate: ms });
  if (ack?.ok) {
    await socket.timeout(20_000).emitWithAck('unsubscribe', { channel });
    return { supported: true };
  }
  return { supported: false, answer: ack?.error?.code ?? JSON.stringify(ack) };
}

/**
 * One sale: a fresh product with UNITS units, every socket in `sockets` subscribed to it (with
 * `conflate` when given), `customers` tokens each ordering one unit at once over `commerces`.
 */
export async function flashSale({ stack, sockets, customers, commerces, gateways, conflateMs, log }) {
  const admin = { token: stack.adminToken };
  const created = await req(stack.commerce.url, 'POST', '/api/v1/products', {
    ...admin,
    body: {
      sku: `FLASH-${randomUUID().slice(0, 8)}`,
      name: 'Flash sale',
      price: { amount: 999, currency: 'EUR' },
      stock: UNITS,
    },
  });
  if (created.status !== 201) throw new Error(`flash sale: create product → ${created.status}`);
  const productId = created.body.id;
  const snap = await req(stack.commerce.url, 'GET', `/api/v1/products/${productId}`);
  const since = Number(snap.headers['x-stream-offset']);
  const channel = `product:${productId}`;

  // Every watcher: deliveries for this product, and when it first knew stock 0.
  const zeroAt = new Array(sockets.length).fill(undefined);
  let deliveries = 0;
  const listeners = sockets.map((socket, i) => {
    const fn = (type, envelope) => {
      const d = envelope?.data;
      if (!d) return;
      const stock =
        type === 'inventory.changed' && d.productId === productId
          ? d.stock
          : type === 'product.updated' && d.id === productId
            ? d.stock
            : undefined;
      if (stock === undefined) return;
      deliveries += 1;
      if (stock === 0 && zeroAt[i] === undefined) zeroAt[i] = wallNow();
    };
    socket.onAny(fn);
    return fn;
  });
  let refused = 0;
  await pool(
    sockets.map((s, i) => i),
    100,
    async (i) => {
      const ack = await sockets[i]
        .timeout(30_000)
        .emitWithAck('subscribe', { channel, since, ...(conflateMs ? { conflate: conflateMs } : {}) });
      if (!ack?.ok) refused += 1;
    },
  );
  if (refused) throw new Error(`flash sale: ${refused} subscriptions refused`);

  const steps0 = await scrapeSteps(gateways.map((g) => g.url));
  const cpu0 = gateways.map((g) => procStat(g.pid)?.cpu ?? 0);
  // The generator holds every socket and every customer: when its own loop lags, the watchers'
  // receipt times carry that lag too (reported beside the result, never subtracted).
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const gen0 = process.cpuUsage();
  const t0 = wallNow();
  const outcomes = { created: 0, soldOut: 0, other: 0 };
  const otherSamples = [];
  let lastSuccessAt = 0;
  const orderLat = new Latency();
  await Promise.all(
    customers.map(async (token, i) => {
      const t = wallNow();
      try {
        const res = await req(commerces[i % commerces.length].url, 'POST', '/api/v1/orders', {
          token,
          body: { items: [{ productId, quantity: 1 }] },
          headers: { 'idempotency-key': randomUUID() },
        });
        const at = wallNow();
        orderLat.record(at - t);
        if (res.status === 201) {
          outcomes.created += 1;
          lastSuccessAt = Math.max(lastSuccessAt, at);
        } else if (res.status === 409) outcomes.soldOut += 1;
        else {
          outcomes.other += 1;
          if (otherSamples.length < 3) otherSamples.push(`${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
        }
      } catch (error) {
        outcomes.other += 1;
        if (otherSamples.length < 3) otherSamples.push(String(error.message).slice(0, 120));
      }
    }),
  );
  const ordersDoneAt = wallNow();
  const deadline = ordersDoneAt + 30_000;
  while (zeroAt.some((x) => x === undefined) && wallNow() < deadline) await sleep(20);
  const settledAt = wallNow();
  eld.disable();
  const genCpu = process.cpuUsage(gen0);
  const generator = {
    cpuShare: (genCpu.user + genCpu.system) / 1000 / Math.max(1, settledAt - t0),
    eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
    eventLoopDelayMaxMs: eld.max / 1e6,
  };
  generator.bottleneck = generator.cpuShare > 0.85 || generator.eventLoopDelayP99Ms > 50;
  const gatewayCpuS = gateways.reduce((a, g, i) => a + (procStat(g.pid)?.cpu ?? 0) - cpu0[i], 0);
  const ingestStepsMs = stepPercentiles(steps0, await scrapeSteps(gateways.map((g) => g.url)));
  sockets.forEach((s, i) => s.offAny(listeners[i]));
  await pool(
    sockets.map((s, i) => i),
    100,
    (i) =>
      sockets[i]
        .timeout(30_000)
        .emitWithAck('unsubscribe', { channel })
        .catch(() => undefined),
  );

  const final = await req(stack.commerce.url, 'GET', `/api/v1/products/${productId}`);
  const finalStock = final.body?.stock;
  const lag = new Latency();
  for (const t of zeroAt) if (t !== undefined) lag.record(Math.max(0, t - lastSuccessAt));
  const watchersAtZero = zeroAt.filter((x) => x !== undefined).length;
  const result = {
    conflateMs: conflateMs ?? null,
    sockets: sockets.length,
    customers: customers.length,
    units: UNITS,
    succeeded: outcomes.created,
    soldOut: outcomes.soldOut,
    otherAnswers: outcomes.other,
    otherSamples,
    finalStock,
    oversold: Math.max(0, outcomes.created - UNITS) + (finalStock < 0 ? -finalStock : 0),
    watchersAtZero,
    ordersWallMs: ordersDoneAt - t0,
    orderLatencyMs: orderLat.summary(),
    lastCommitToWatcherMs: lag.summary(),
    settleWallMs: settledAt - t0,
    deliveries,
    deliveriesPerWatcher: deliveries / sockets.length,
    gatewayCpuS,
    ingestStepsMs,
    generator,
  };
  log(
    `  flash sale${conflateMs ? ` (conflate ${conflateMs} ms)` : ''}: ${result.succeeded} ordered, ` +
      `${result.soldOut} sold out, ${result.otherAnswers} other, stock ${finalStock}, ` +
      `${watchersAtZero}/${sockets.length} watchers at 0, last commit → watcher p50 ` +
      `${result.lastCommitToWatcherMs.p50?.toFixed(1)} ms p99 ${result.lastCommitToWatcherMs.p99?.toFixed(1)} ms, ` +
      `${deliveries} deliveries, gateway CPU ${gatewayCpuS.toFixed(2)} s` +
      (generator.bottleneck ? ' [GENERATOR-BOUND]' : ''),
  );
  // The harness's own check (not a timing): the sale must be exact.
  const wrong = [];
  if (result.succeeded !== UNITS) wrong.push(`${result.succeeded} orders succeeded, not ${UNITS}`);
  if (result.oversold) wrong.push(`${result.oversold} oversold`);
  if (finalStock !== 0) wrong.push(`final stock ${finalStock}`);
  if (watchersAtZero !== sockets.length) wrong.push(`${sockets.length - watchersAtZero} watchers never saw stock 0`);
  if (result.otherAnswers) wrong.push(`${result.otherAnswers} unexpected answers: ${otherSamples[0]}`);
  result.correct = wrong.length === 0;
  result.problems = wrong;
  return result;
}
