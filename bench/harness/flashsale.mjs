// The flash sale (docs/benchmarks.md, "Flash sale"): thousands of sockets across two gateway
// replicas watch one product with 100 units while thousands of customers order it at once across
// two commerce replicas. The harness itself checks the outcome (exactly 100 orders, none oversold,
// every watcher at stock 0) and throws when it does not hold; it reports how long after the last
// successful order the last watcher knew, the deliveries and the gateways' CPU, with and without
// `conflate` (docs/contract.md, `subscribe`).
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8 } from 'jose';
import { procStat } from './procs.mjs';
import { Latency, scrapeSteps, stepPercentiles } from './measure.mjs';
import { sleep, wallNow } from './clock.mjs';
import { req } from './saturation.mjs';

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

/**
 * Opens `n` anonymous sockets spread over `gateways` ({url}), in one child process per gateway
 * (harness/watchers.mjs). Returns handles with ask(msg) and stop().
 */
export async function startWatchers(gateways, n) {
  const handles = gateways.map((g, k) => {
    const child = fork(new URL('./watchers.mjs', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let seq = 0;
    const waiting = new Map();
    child.on('message', (msg) => {
      waiting.get(msg.seq)?.(msg);
      waiting.delete(msg.seq);
    });
    const ask = (msg) =>
      new Promise((resolve, reject) => {
        const my = ++seq;
        waiting.set(my, (answer) => (answer.error ? reject(new Error(answer.error)) : resolve(answer)));
        child.send({ ...msg, seq: my });
      });
    const count = Math.floor(n / gateways.length) + (k < n % gateways.length ? 1 : 0);
    return { pid: child.pid, ask, count, url: g.url, stop: () => child.connected && child.disconnect() };
  });
  await Promise.all(handles.map((h) => h.ask({ cmd: 'open', url: h.url, n: h.count })));
  return handles;
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
 * One sale: a fresh product with UNITS units, every socket of `watchers` subscribed to it (with
 * `conflate` when given), `customers` tokens each ordering one unit at once over `commerces`.
 */
export async function flashSale({ stack, watchers, customers, commerces, gateways, conflateMs, log }) {
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

  const answers = await Promise.all(watchers.map((w) => w.ask({ cmd: 'watch', productId, since, conflateMs })));
  const refused = answers.reduce((a, x) => a + x.refused, 0);
  if (refused) throw new Error(`flash sale: ${refused} subscriptions refused`);
  const sockets = watchers.reduce((a, w) => a + w.count, 0);

  const steps0 = await scrapeSteps(gateways.map((g) => g.url));
  const cpu0 = gateways.map((g) => procStat(g.pid)?.cpu ?? 0);
  // The generator holds every customer, the watcher processes every socket: when a loop lags,
  // the answers' or the watchers' times carry that lag (reported beside the result, never subtracted).
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
  const allAtZero = async () =>
    (await Promise.all(watchers.map((w) => w.ask({ cmd: 'zeros' })))).reduce((a, x) => a + x.atZero, 0) === sockets;
  while (!(await allAtZero()) && wallNow() < deadline) await sleep(20);
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
  const collected = await Promise.all(watchers.map((w) => w.ask({ cmd: 'collect' })));
  const zeroAt = collected.flatMap((x) => x.zeroAt);
  const deliveries = collected.reduce((a, x) => a + x.deliveries, 0);
  generator.watcherEventLoopDelayP99Ms = Math.max(...collected.map((x) => x.eventLoopDelayP99Ms));
  generator.bottleneck ||= generator.watcherEventLoopDelayP99Ms > 50;

  const final = await req(stack.commerce.url, 'GET', `/api/v1/products/${productId}`);
  const finalStock = final.body?.stock;
  const lag = new Latency();
  for (const t of zeroAt) if (t !== null) lag.record(Math.max(0, t - lastSuccessAt));
  const watchersAtZero = zeroAt.filter((x) => x !== null).length;
  const result = {
    conflateMs: conflateMs ?? null,
    sockets,
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
    deliveriesPerWatcher: deliveries / sockets,
    gatewayCpuS,
    ingestStepsMs,
    generator,
  };
  log(
    `  flash sale${conflateMs ? ` (conflate ${conflateMs} ms)` : ''}: ${result.succeeded} ordered, ` +
      `${result.soldOut} sold out, ${result.otherAnswers} other, stock ${finalStock}, ` +
      `${watchersAtZero}/${sockets} watchers at 0, last commit → watcher p50 ` +
      `${result.lastCommitToWatcherMs.p50?.toFixed(1)} ms p99 ${result.lastCommitToWatcherMs.p99?.toFixed(1)} ms, ` +
      `${deliveries} deliveries, gateway CPU ${gatewayCpuS.toFixed(2)} s` +
      (generator.bottleneck ? ' [GENERATOR-BOUND]' : ''),
  );
  // The harness's own check (not a timing): the sale must be exact.
  const wrong = [];
  if (result.succeeded !== UNITS) wrong.push(`${result.succeeded} orders succeeded, not ${UNITS}`);
  if (result.oversold) wrong.push(`${result.oversold} oversold`);
  if (finalStock !== 0) wrong.push(`final stock ${finalStock}`);
  if (watchersAtZero !== sockets) wrong.push(`${sockets - watchersAtZero} watchers never saw stock 0`);
  if (result.otherAnswers) wrong.push(`${result.otherAnswers} unexpected answers: ${otherSamples[0]}`);
  result.correct = wrong.length === 0;
  result.problems = wrong;
  return result;
}
