// Closed-loop saturation (docs/benchmarks.md, "Saturation"): N clients, each sending its next
// operation as soon as the previous one answered, N raised step by step until p99 passes the SLO
// or errors appear. The last step within the SLO is the saturation throughput, the figure the
// paper's Table 2 reports (its 900 req/s on 4 vCPUs = 225 per vCPU for the hybrid).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { Latency, openWindow, request, sum } from './measure.mjs';
import { sleep, wallNow } from './clock.mjs';
import { pool } from './scenarios.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** A JSON request on the closed-loop agent (its own pool: 1024 sockets, so N clients are N connections). */
export const req = (base, method, path, options = {}) => request(base, method, path, { ...options, agent });

export const connectSocket = (url, auth = {}) =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true, timeout: 30_000 });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });

/**
 * One closed-loop step: `concurrency` workers call op(worker) back to back for warmS + measureS;
 * only the measured window counts. op resolves to true (success) or throws / resolves false.
 * `extraOps()` adds operations that are not requests (pushed events received) in the window.
 */
export async function closedLoop({ concurrency, warmS, measureS, op, servers, extraOps = () => 0 }) {
  let measuring = false;
  let stopped = false;
  const lat = new Latency();
  let ok = 0;
  let errors = 0;
  const samples = [];
  const worker = async (w) => {
    while (!stopped) {
      const t = performance.now();
      let good = false;
      try {
        good = await op(w);
      } catch (error) {
        if (samples.length < 3) samples.push(String(error?.message ?? error).slice(0, 160));
      }
      if (!measuring) continue;
      if (good) {
        ok += 1;
        lat.record(performance.now() - t);
      } else {
        errors += 1;
        if (good === false && samples.length < 3) samples.push('operation refused');
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  await sleep(warmS * 1000);
  const extra0 = extraOps();
  const window = await openWindow({ servers });
  measuring = true;
  await sleep(measureS * 1000);
  measuring = false;
  const w = await window.end();
  const extra = extraOps() - extra0;
  stopped = true;
  await Promise.race([running, sleep(30_000)]);
  const appCpuS = sum(w.serverCpu);
  const infraCpuS = sum(w.infraCpu);
  const ops = ok + extra;
  const l = lat.summary();
  return {
    concurrency,
    windowS: w.wallS,
    requestsPerS: ok / w.wallS,
    pushedPerS: extra / w.wallS,
    opsPerS: ops / w.wallS,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    errors,
    errorRate: ok + errors ? errors / (ok + errors) : 0,
    errorSamples: samples,
    serverCpuS: w.serverCpu,
    infraCpuS: w.infraCpu,
    appCpuS,
    cpuCores: appCpuS / w.wallS,
    opsPerAppCpuS: appCpuS > 0 ? ops / appCpuS : null,
    opsPerAllCpuS: appCpuS + infraCpuS > 0 ? ops / (appCpuS + infraCpuS) : null,
    generator: {
      cpuShare: w.generator.cpuShare,
      eventLoopDelayP99Ms: w.generator.eventLoopDelayP99Ms,
      bottleneck: w.generator.cpuShare > 0.85 || w.generator.eventLoopDelayP99Ms > 50,
    },
  };
}

/**
 * Raises concurrency through `steps` until p99 > sloMs or more than 1 % errors; returns every step
 * and the saturation point (the step with the highest throughput among those within the SLO).
 */
export async function ramp(label, { steps, sloMs, log, run }) {
  const points = [];
  let stopReason = 'last step reached';
  for (const concurrency of steps) {
    const p = await run(concurrency);
    points.push(p);
    log(
      `  ${label} c=${concurrency}: ${p.opsPerS.toFixed(0)} ops/s, p50 ${p.latencyMs.p50?.toFixed(1)} ms, ` +
        `p99 ${p.latencyMs.p99?.toFixed(1)} ms, ${p.opsPerAppCpuS?.toFixed(0)} ops/app-CPU-s, errors ${p.errors}` +
        (p.generator.bottleneck ? ' [GENERATOR-BOUND]' : ''),
    );
    if (p.errorRate > 0.01) {
      stopReason = `errors at c=${concurrency}: ${p.errorSamples[0] ?? ''}`;
      break;
    }
    if (!(p.latencyMs.p99 <= sloMs)) {
      stopReason = `p99 ${p.latencyMs.p99?.toFixed(1)} ms > ${sloMs} ms at c=${concurrency}`;
      break;
    }
  }
  const within = points.filter((p) => p.errorRate <= 0.01 && p.latencyMs.p99 <= sloMs);
  const best = within.reduce((a, p) => (!a || p.opsPerS > a.opsPerS ? p : a), null);
  return { label, sloMs, points, stopReason, saturation: best };
}

/**
 * The storefront mix under a closed loop, one client = one worker: 4 of 5 operations read a
 * product (REST-only: a poll with If-None-Match; WebSocket-only: an `rpc` GET; hybrid: a REST
 * GET, a page view), 1 of 5 places an order on the product the client watches (REST, or `rpc`
 * for WebSocket-only). WebSocket-only and hybrid clients hold a socket subscribed to that
 * product; every pushed event they receive counts as one operation, as in the open-loop run.
 */
export async function storefrontStep(kind, { stack, products, concurrency, warmS, measureS }) {
  const pushes = kind !== 'rest';
  const users = stack.users;
  const clients = Array.from({ length: concurrency }, (_, i) => ({
    i,
    user: users[i % users.length],
    product: products[i % products.length],
    etag: undefined,
    turn: i,
  }));
  let pushed = 0;
  const gateways = stack.replicas.map((r) => r.url);
  if (pushes) {
    await pool(clients, 20, async (c) => {
      c.socket = await connectSocket(gateways[c.i % gateways.length], { token: c.user.token });
      c.socket.onAny(() => {
        pushed += 1;
      });
      const ack = await c.socket.timeout(20_000).emitWithAck('subscribe', { channel: `product:${c.product}` });
      if (!ack?.ok) throw new Error(`subscribe: ${JSON.stringify(ack)}`);
    });
  }
  const base = stack.commerce.url;
  const rpc = (c, method, path, body, headers) =>
    c.socket
      .timeout(20_000)
      .emitWithAck('rpc', { method, path, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
  const op = async (w) => {
    const c = clients[w];
    c.turn += 1;
    if (c.turn % 5 === 0) {
      const body = { items: [{ productId: c.product, quantity: 1 }] };
      const headers = { 'idempotency-key': randomUUID() };
      const res =
        kind === 'ws'
          ? await rpc(c, 'POST', '/api/v1/orders', body, headers)
          : await req(base, 'POST', '/api/v1/orders', { token: c.user.token, body, headers });
      return res.status === 201;
    }
    const path = `/api/v1/products/${c.product}`;
    if (kind === 'ws') return (await rpc(c, 'GET', path)).status === 200;
    const res = await req(base, 'GET', path, kind === 'rest' && c.etag ? { headers: { 'if-none-match': c.etag } } : {});
    if (res.status === 200) c.etag = res.headers.etag;
    return res.status === 200 || res.status === 304;
  };
  const servers = [
    { name: 'auth', pid: stack.auth.pid },
    { name: 'commerce', pid: stack.commerce.pid },
    ...stack.replicas.map((r) => ({ name: r.name, pid: r.pid })),
  ];
  try {
    return await closedLoop({ concurrency, warmS, measureS, op, servers, extraOps: () => pushed });
  } finally {
    for (const c of clients) c.socket?.close();
  }
}

/** POST /orders back to back over `commerces` (round robin), each order one unit of one product. */
export async function ordersStep({ stack, commerces, productIds, concurrency, warmS, measureS }) {
  const users = stack.users;
  let n = 0;
  const op = async (w) => {
    const i = n++;
    const res = await req(commerces[i % commerces.length].url, 'POST', '/api/v1/orders', {
      token: users[w % users.length].token,
      body: { items: [{ productId: productIds[i % productIds.length], quantity: 1 }] },
      headers: { 'idempotency-key': randomUUID() },
    });
    return res.status === 201;
  };
  const r = await closedLoop({
    concurrency,
    warmS,
    measureS,
    op,
    servers: commerces.map((c) => ({ name: c.name, pid: c.pid })),
  });
  const pg = r.infraCpuS.postgres ?? 0;
  return {
    ...r,
    replicas: commerces.length,
    ordersPerCommerceCpuS: r.appCpuS > 0 ? (r.requestsPerS * r.windowS) / r.appCpuS : null,
    ordersPerCommercePgCpuS: r.appCpuS + pg > 0 ? (r.requestsPerS * r.windowS) / (r.appCpuS + pg) : null,
  };
}

/** GET /products/:id (200, full body) back to back on one commerce: requests per second per core. */
export async function productReadStep({ commerce, productIds, concurrency, warmS, measureS }) {
  let n = 0;
  const op = async () => {
    const res = await req(commerce.url, 'GET', `/api/v1/products/${productIds[n++ % productIds.length]}`);
    return res.status === 200;
  };
  const r = await closedLoop({
    concurrency,
    warmS,
    measureS,
    op,
    servers: [{ name: commerce.name, pid: commerce.pid }],
  });
  return { ...r, perCommerceCore: r.appCpuS > 0 ? (r.requestsPerS * r.windowS) / r.appCpuS : null };
}

export { wallNow };
