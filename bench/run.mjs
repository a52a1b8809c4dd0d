#!/usr/bin/env node
// Tandem's benchmark: REST-only vs WebSocket-only vs hybrid on one storefront workload,
// the push path hop by hop, connection scale, and a bare Socket.IO / Express floor, all in one run.
//   npm run bench              full mode: writes docs/benchmarks.md, docs/images/benchmarks.svg,
//                              bench/results/full-<time>.json
//   npm run bench -- --quick   CI smoke (< 3 min): bench/results/quick.{json,md,svg}; docs untouched
// Options: --users=N --reps=N --poll-ms=N --stock-rate=N --order-rate=N --measure-s=N --warm-s=N
//          --fanout-sockets=N --scale=1000,2500,…  (build first: npx nest build auth|commerce|realtime)
//          saturation: --slo-ms=N --sat-steps=4,8,… --order-steps=1,4,… --sat-measure-s=N --db-delay-ms=N
//          flash sale: --flash-sockets=N --flash-customers=N --conflate-ms=N
//          --only=saturation,flash   runs only those sections (a development aid: the results file
//                                    is then incomplete, so the run exits non-zero)
// Exits 0 only when every phase completed and the results file is well-formed (harness/validate.mjs).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import amqplib from 'amqplib';
import pg from 'pg';
import { PG_URL, REDIS_URL, call } from './lib.mjs';
import { addCommerce, addReplica, startProxy, startStack, stopStack } from './harness/stack.mjs';
import { ordersStep, productReadStep, ramp, storefrontStep } from './harness/saturation.mjs';
import { flashSale, mintCustomers, startWatchers } from './harness/flashsale.mjs';
import { spawnNode } from './harness/procs.mjs';
import { runScenario } from './harness/scenarios.mjs';
import { fanout, floorTrigger, idleScale, tandemTrigger } from './harness/fanout.mjs';
import { median, openWindow } from './harness/measure.mjs';
import { sleep } from './harness/clock.mjs';
import { FANOUTS, SCENARIOS, validate } from './harness/validate.mjs';
import { writeReport } from './harness/report.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name, fallback) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};
const numOpt = (name, fallback) => Number(opt(name, fallback));

const config = {
  mode: quick ? 'quick' : 'full',
  users: numOpt('users', quick ? 30 : 120),
  // A storefront: each user watches 2 products; a product's stock changes every ~10 s (full mode)
  // while clients poll every second — the case where polling mostly answers 304.
  watchedProducts: numOpt('products', quick ? 10 : 24),
  watchesPerUser: 2,
  stockRate: numOpt('stock-rate', quick ? 2 : 2.4),
  orderRate: numOpt('order-rate', quick ? 1 : 1.5),
  baselineS: numOpt('baseline-s', quick ? 4 : 10),
  pollMs: numOpt('poll-ms', 1000),
  warmS: numOpt('warm-s', quick ? 2 : 5),
  measureS: numOpt('measure-s', quick ? 5 : 20),
  reps: numOpt('reps', quick ? 1 : 3),
  fanoutSockets: numOpt('fanout-sockets', quick ? 200 : 1000),
  fanoutChannels: 10,
  fanoutRate: numOpt('fanout-rate', 20),
  fanoutMeasureS: numOpt('fanout-measure-s', quick ? 5 : 10),
  scaleSteps: opt('scale', quick ? '250,500,1000' : '1000,2500,5000,10000')
    .split(',')
    .map(Number),
  sloMs: numOpt('slo-ms', 100),
  satSteps: opt('sat-steps', quick ? '4,16' : '4,8,16,32,64,128,256')
    .split(',')
    .map(Number),
  orderSteps: opt('order-steps', quick ? '1,16' : '1,4,16,64')
    .split(',')
    .map(Number),
  orderProducts: numOpt('order-products', 50),
  satWarmS: numOpt('sat-warm-s', quick ? 0.5 : 2),
  satMeasureS: numOpt('sat-measure-s', quick ? 1.5 : 8),
  dbDelayMs: numOpt('db-delay-ms', 2),
  flashSockets: numOpt('flash-sockets', quick ? 300 : 5000),
  flashCustomers: numOpt('flash-customers', quick ? 300 : 2000),
  conflateMs: numOpt('conflate-ms', 100),
  only: opt('only', '').split(',').filter(Boolean),
};
const runs = (section) => config.only.length === 0 || config.only.includes(section);

for (const app of ['auth', 'commerce', 'realtime']) {
  if (!existsSync(`dist/apps/${app}/apps/${app}/src/main.js`)) {
    console.error(`bench: dist/apps/${app} is missing; build first: npx nest build ${app}`);
    process.exit(2);
  }
}

const log = (msg) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const started = Date.now();
const results = {
  schema: 'tandem-bench/1',
  mode: config.mode,
  startedAt: new Date(started).toISOString(),
  config,
  machine: await machine(),
  scenarios: {},
  fanout: {},
  idleScale: {},
  notes: [],
};

const floors = [];
let stack = { cleanup: [] };
let exitCode = 0;
try {
  log(
    `starting the stack (${config.users} users); load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  stack = await startStack({ users: config.users });
  results.machine.rabbitmqVhost = stack.vhost;
  const products = { watched: [], orderable: [] };
  for (let i = 0; i < config.watchedProducts + 10; i += 1) {
    const watched = i < config.watchedProducts;
    const body = {
      sku: `BENCH-${watched ? 'W' : 'O'}-${i}`,
      name: `Bench product ${i}`,
      price: { amount: 1000 + i, currency: 'EUR' },
      stock: watched ? 1_000_000 : 10_000_000,
    };
    const { id } = (await call(stack.commerce.url, 'POST', '/api/v1/products', { token: stack.adminToken, body })).body;
    (watched ? products.watched : products.orderable).push(id);
  }
  const channels = products.watched.slice(0, config.fanoutChannels).map((id) => `product:${id}`);
  if (runs('storefront')) await storefront(products, channels);
  else await addReplica(stack);
  if (runs('saturation')) await saturation(products);
  if (runs('flash')) await flash(products);
} catch (error) {
  console.error(`bench: failed: ${error.stack ?? error}`);
  exitCode = 1;
} finally {
  for (const f of floors) await f.stop().catch(() => undefined);
  await stopStack(stack);
}

async function storefront(products, channels) {
  log('starting the floor servers');
  const redisKey = `bench-floor-${randomBytes(3).toString('hex')}`;
  const floorOne = await spawnNode('floor-socketio', 'bench/harness/floor-server.mjs', { FLOOR: 'socketio' });
  const floorA = await spawnNode('floor-socketio-a', 'bench/harness/floor-server.mjs', {
    FLOOR: 'socketio',
    REDIS_URL,
    REDIS_KEY: redisKey,
  });
  const floorB = await spawnNode('floor-socketio-b', 'bench/harness/floor-server.mjs', {
    FLOOR: 'socketio',
    REDIS_URL,
    REDIS_KEY: redisKey,
  });
  const floorPoll = await spawnNode('floor-express', 'bench/harness/floor-server.mjs', { FLOOR: 'express' });
  floors.push(floorOne, floorA, floorB, floorPoll);
  const floorEnv = {
    poll: floorPoll,
    pollDirect: floorPoll.url,
    pollProxied: await stack.proxy.front(floorPoll.url),
    push: [floorA, floorB],
    pushDirect: floorA.url,
    pushProxied: [await stack.proxy.front(floorA.url), await stack.proxy.front(floorB.url)],
  };

  await idleBaseline([stack.auth, stack.commerce, ...stack.replicas, floorPoll, floorA, floorB]);

  // ---- connection scale: idle sockets, one gateway replica vs one bare server ------------------
  const gatewayA = stack.replicas[0];
  log(`idle sockets: ${config.scaleSteps.join(', ')} on realtime-a, then on bare Socket.IO`);
  results.idleScale.tandem = await idleScale('tandem (realtime-a)', gatewayA, config.scaleSteps, channels);
  results.idleScale.floor = await idleScale('bare Socket.IO', floorOne, config.scaleSteps, channels);

  // ---- fan-out, one replica, then two -----------------------------------------------------------
  const fanCfg = {
    channels,
    sockets: config.fanoutSockets,
    rate: config.fanoutRate,
    warmS: config.warmS,
    measureS: config.fanoutMeasureS,
  };
  const tTrigger = tandemTrigger(stack.commerce.url, stack.adminToken);
  for (const label of FANOUTS) results.fanout[label] = [];
  const fanoutRuns = async (pairs) => {
    for (let rep = 0; rep < config.reps; rep += 1) {
      const order = rep % 2 ? [...pairs].reverse() : pairs;
      for (const [label, spec] of order) {
        log(`fan-out ${label} (rep ${rep + 1}/${config.reps})`);
        results.fanout[label].push(await fanout(label, { ...fanCfg, ...spec }));
      }
    }
  };
  await fanoutRuns([
    ['tandem-1', { urls: [gatewayA.url], servers: [{ name: gatewayA.name, pid: gatewayA.pid }], trigger: tTrigger }],
    [
      'floor-1',
      {
        urls: [floorOne.url],
        servers: [{ name: floorOne.name, pid: floorOne.pid }],
        trigger: floorTrigger(floorOne.url),
      },
    ],
  ]);
  log('scaling out: starting realtime-b');
  const gatewayB = await addReplica(stack);

  // ---- idle CPU of every server (timers, relay polls, metrics): subtracted for "load" CPU ---------
  await sleep(2000);
  await idleBaseline([stack.auth, stack.commerce, ...stack.replicas, floorPoll, floorA, floorB]);

  await fanoutRuns([
    [
      'tandem-2',
      {
        urls: [gatewayA.url, gatewayB.url],
        servers: [gatewayA, gatewayB].map((r) => ({ name: r.name, pid: r.pid })),
        trigger: tTrigger,
      },
    ],
    [
      'floor-2',
      {
        urls: [floorA.url, floorB.url],
        servers: [floorA, floorB].map((f) => ({ name: f.name, pid: f.pid })),
        trigger: floorTrigger(floorA.url),
      },
    ],
  ]);

  // ---- the three scenarios and the floors, alternating order per repetition ----------------------
  for (const kind of SCENARIOS) results.scenarios[kind] = { runs: [] };
  for (let rep = 0; rep < config.reps; rep += 1) {
    const order = SCENARIOS.map((_, i) => SCENARIOS[(i + rep * 2) % SCENARIOS.length]);
    for (const kind of order) {
      log(`scenario ${kind} (rep ${rep + 1}/${config.reps})`);
      const run = await runScenario(kind, { stack, products, floor: floorEnv }, config);
      run.rep = rep;
      results.scenarios[kind].runs.push(run);
      log(
        `  ${kind}: p50 ${run.latencyMs.p50?.toFixed(2)} ms, p99 ${run.latencyMs.p99?.toFixed(2)} ms, ` +
          `${run.deliveredPerS.toFixed(0)} updates/s, ${run.opsPerS.toFixed(0)} ops/s, ` +
          `${run.appCpuMsPerUpdate?.toFixed(3)} CPU-ms/update, ${run.bytesPerUpdate?.toFixed(0)} B/update, errors ${run.errors}` +
          (run.generator.bottleneck ? ' [GENERATOR-BOUND]' : ''),
      );
    }
  }
}

/**
 * Closed-loop saturation (harness/saturation.mjs): the three storefront scenarios, POST /orders
 * with one and two commerce replicas (orders over `orderProducts` products, and all on one hot
 * product), the same behind a TCP proxy that adds `dbDelayMs` per round trip between commerce and
 * PostgreSQL, and GET /products/:id per commerce core.
 */
async function saturation(products) {
  const sat = (results.saturation = { storefront: {}, orders: {}, delayedOrders: {}, productReads: null });
  const step = { warmS: config.satWarmS, measureS: config.satMeasureS };
  for (const kind of ['rest', 'ws', 'hybrid']) {
    log(`saturation: ${kind}, concurrency ${config.satSteps.join(', ')} until p99 > ${config.sloMs} ms`);
    sat.storefront[kind] = await ramp(kind, {
      steps: config.satSteps,
      sloMs: config.sloMs,
      log,
      run: (concurrency) => storefrontStep(kind, { stack, products: products.orderable, concurrency, ...step }),
    });
  }
  const spread = [];
  for (let i = 0; i < config.orderProducts; i += 1) {
    const body = {
      sku: `BENCH-S-${i}`,
      name: `Spread ${i}`,
      price: { amount: 500, currency: 'EUR' },
      stock: 10_000_000,
    };
    spread.push(
      (await call(stack.commerce.url, 'POST', '/api/v1/products', { token: stack.adminToken, body })).body.id,
    );
  }
  const hot = [products.orderable[0]];
  const commerceB = await addCommerce(stack, 'commerce-b');
  stack.commerces = [stack.commerce, commerceB];
  for (const replicas of [1, 2]) {
    for (const [shape, ids] of [
      ['spread', spread],
      ['hot', hot],
    ]) {
      const label = `${replicas}x-${shape}`;
      log(`saturation: POST /orders, ${replicas} commerce replica(s), ${shape}`);
      sat.orders[label] = await ramp(`orders ${label}`, {
        steps: config.orderSteps,
        sloMs: config.sloMs,
        log,
        run: (concurrency) =>
          ordersStep({ stack, commerces: stack.commerces.slice(0, replicas), productIds: ids, concurrency, ...step }),
      });
    }
  }
  log(`saturation: GET /products/:id on one commerce`);
  sat.productReads = await ramp('product reads', {
    steps: config.satSteps,
    sloMs: config.sloMs,
    log,
    run: (concurrency) => productReadStep({ commerce: stack.commerce, productIds: spread, concurrency, ...step }),
  });

  // A network hop between commerce and PostgreSQL: half the delay each way through a proxy.
  const delay = await startProxy();
  stack.cleanup.push(async () => delay.stop());
  const pgUrl = new URL(stack.commerceDbUrl);
  const front = new URL(await delay.front(`http://${pgUrl.hostname}:${pgUrl.port || 5432}`, config.dbDelayMs / 2));
  pgUrl.hostname = front.hostname;
  pgUrl.port = front.port;
  const delayed = [];
  for (const name of ['commerce-d1', 'commerce-d2']) {
    delayed.push(await addCommerce(stack, name, { DATABASE_URL: pgUrl.toString() }));
  }
  for (const replicas of [1, 2]) {
    const label = `${replicas}x-spread`;
    log(`saturation: POST /orders, ${replicas} replica(s), +${config.dbDelayMs} ms to PostgreSQL`);
    sat.delayedOrders[label] = await ramp(`orders +${config.dbDelayMs} ms ${label}`, {
      steps: config.orderSteps,
      sloMs: Infinity, // the point is throughput against concurrency, not the SLO
      log,
      run: (concurrency) =>
        ordersStep({ stack, commerces: delayed.slice(0, replicas), productIds: spread, concurrency, ...step }),
    });
  }
  for (const d of delayed) await d.stop();
  delay.stop();
}

/**
 * The flash sale (harness/flashsale.mjs) on two gateway and two commerce replicas, without and
 * then with `conflate` when the gateway takes it. The harness checks the sale's outcome and fails
 * the run when it is wrong.
 */
async function flash(products) {
  if (!stack.commerces) stack.commerces = [stack.commerce, await addCommerce(stack, 'commerce-b')];
  const fs = (results.flashSale = { runs: [] });
  log(
    `flash sale: ${config.flashSockets} watchers over ${stack.replicas.length} gateways, ${config.flashCustomers} customers`,
  );
  const customers = await mintCustomers(stack, config.flashCustomers);
  const watchers = await startWatchers(stack.replicas, config.flashSockets);
  try {
    const sale = (conflateMs) =>
      flashSale({ stack, watchers, customers, commerces: stack.commerces, gateways: stack.replicas, conflateMs, log });
    fs.runs.push(await sale(undefined));
    fs.conflation = await watchers[0].ask({
      cmd: 'probe',
      channel: `product:${products.watched[0]}`,
      ms: config.conflateMs,
    });
    delete fs.conflation.seq;
    if (fs.conflation.supported) fs.runs.push(await sale(config.conflateMs));
    else {
      log(`flash sale: conflate not available (subscribe answered ${fs.conflation.answer}); skipped`);
      results.notes.push(
        `conflate: the gateway answered ${fs.conflation.answer}; the conflated flash sale was skipped`,
      );
    }
  } finally {
    for (const w of watchers) w.stop();
  }
  const wrong = fs.runs.filter((x) => !x.correct);
  if (wrong.length) throw new Error(`flash sale was not exact: ${wrong.flatMap((x) => x.problems).join('; ')}`);
}

results.durationS = (Date.now() - started) / 1000;
results.machine.loadAverageAfter = os.loadavg();
summarise(results);
mkdirSync('bench/results', { recursive: true });
const jsonPath = quick
  ? 'bench/results/quick.json'
  : `bench/results/full-${results.startedAt.replace(/[:.]/g, '-')}.json`;
writeFileSync(jsonPath, JSON.stringify(results, null, 2));
const problems = exitCode === 0 ? validate(results) : ['the run did not complete'];
if (problems.length) {
  console.error(`bench: ${jsonPath} is not well-formed:\n  - ${problems.join('\n  - ')}`);
  exitCode = 1;
} else {
  const out = quick
    ? { md: 'bench/results/quick.md', svg: 'bench/results/quick.svg', svgLink: 'quick.svg' }
    : { md: 'docs/benchmarks.md', svg: 'docs/images/benchmarks.svg', svgLink: 'images/benchmarks.svg' };
  mkdirSync('docs/images', { recursive: true });
  writeReport(results, out, jsonPath);
  log(`wrote ${jsonPath}, ${out.md}, ${out.svg}`);
  for (const t of results.targets) log(`target ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.detail}`);
}
log(`done in ${results.durationS.toFixed(0)} s`);
process.exit(exitCode);

// -------------------------------------------------------------------------------------------------

/**
 * Each server's CPU rate with no load (timers, relay polls, metrics), measured twice in the run;
 * the lower reading of each process is kept (the other may catch leftovers of a previous phase).
 */
async function idleBaseline(servers) {
  log(`idle baseline (${config.baselineS} s)`);
  const idle = await openWindow({ servers: servers.map((p) => ({ name: p.name, pid: p.pid })) });
  await sleep(config.baselineS * 1000);
  const w = await idle.end();
  results.idleCpuPerS ??= {};
  for (const [n, v] of Object.entries(w.serverCpu)) {
    const rate = v / w.wallS;
    results.idleCpuPerS[n] = Math.min(results.idleCpuPerS[n] ?? Infinity, rate);
  }
}

async function machine() {
  const cpus = os.cpus();
  const version = (pkg) => {
    try {
      return JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  const m = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    loadAverageBefore: os.loadavg(),
    versions: {
      nest: version('@nestjs/core'),
      'socket.io': version('socket.io'),
      'socket.io-client': version('socket.io-client'),
      '@socket.io/redis-adapter': version('@socket.io/redis-adapter'),
      express: version('express'),
    },
  };
  try {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    m.versions.postgresql = (await client.query('SHOW server_version')).rows[0].server_version;
    await client.end();
  } catch {
    m.versions.postgresql = 'unknown';
  }
  try {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    m.versions.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    redis.disconnect();
  } catch {
    m.versions.redis = 'unknown';
  }
  try {
    const conn = await amqplib.connect(process.env.TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
    m.versions.rabbitmq = conn.connection.serverProperties?.version ?? 'unknown';
    await conn.close();
  } catch {
    m.versions.rabbitmq = 'unknown';
  }
  return m;
}

function stats(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return {
    median: median(v),
    min: v.length ? Math.min(...v) : null,
    max: v.length ? Math.max(...v) : null,
    n: v.length,
  };
}

function summarise(r) {
  for (const kind of Object.keys(r.scenarios)) {
    const runs = r.scenarios[kind].runs;
    for (const run of runs) {
      // CPU above the servers' own idle rate: what the load cost (the idle rate is reported apart).
      const idle = Object.keys(run.serverCpuS).reduce((a, n) => a + (r.idleCpuPerS?.[n] ?? 0), 0) * run.windowS;
      run.loadAppCpuS = Math.max(0, run.appCpuS - idle);
      run.loadCpuMsPerUpdate = run.deliveredUpdates ? (run.loadAppCpuS * 1000) / run.deliveredUpdates : null;
      run.opsPerLoadCpuS = run.loadAppCpuS > 0 ? (run.opsPerS * run.windowS) / run.loadAppCpuS : null;
    }
    const procs = [...new Set(runs.flatMap((x) => Object.keys(x.rssBytes)))];
    r.scenarios[kind].summary = {
      latencyP50Ms: stats(runs.map((x) => x.latencyMs.p50)),
      latencyP90Ms: stats(runs.map((x) => x.latencyMs.p90)),
      latencyP99Ms: stats(runs.map((x) => x.latencyMs.p99)),
      deliveredPerS: stats(runs.map((x) => x.deliveredPerS)),
      opsPerS: stats(runs.map((x) => x.opsPerS)),
      restRequestsPerS: stats(runs.map((x) => x.restRequestsPerS)),
      socketMessagesPerS: stats(runs.map((x) => x.socketMessagesPerS)),
      restShare: stats(runs.map((x) => x.restShare)),
      appCpuMsPerUpdate: stats(runs.map((x) => x.appCpuMsPerUpdate)),
      allCpuMsPerUpdate: stats(runs.map((x) => x.allCpuMsPerUpdate)),
      bytesPerUpdate: stats(runs.map((x) => x.bytesPerUpdate)),
      opsPerAppCpuS: stats(runs.map((x) => x.opsPerAppCpuS)),
      loadCpuMsPerUpdate: stats(runs.map((x) => x.loadCpuMsPerUpdate)),
      opsPerLoadCpuS: stats(runs.map((x) => x.opsPerLoadCpuS)),
      rssBytes: Object.fromEntries(procs.map((p) => [p, median(runs.map((x) => x.rssBytes[p]))])),
      latencyStockP50Ms: stats(runs.map((x) => x.latencyByKindMs.stock.p50)),
      latencyStockP99Ms: stats(runs.map((x) => x.latencyByKindMs.stock.p99)),
      latencyOrderP50Ms: stats(runs.map((x) => x.latencyByKindMs.order.p50)),
      latencyOrderP99Ms: stats(runs.map((x) => x.latencyByKindMs.order.p99)),
      hopsMs: {
        answerToBroker: median(runs.map((x) => x.hopsMs.answerToBroker.p50)),
        answerToBrokerMean: median(runs.map((x) => x.hopsMs.answerToBroker.mean)),
        brokerToClientMean: median(runs.map((x) => x.hopsMs.brokerToClient.mean)),
        answerToBrokerP99: median(runs.map((x) => x.hopsMs.answerToBroker.p99)),
        brokerToClientP99: median(runs.map((x) => x.hopsMs.brokerToClient.p99)),
        answerToBrokerOver100ms: runs.reduce((a, x) => a + (x.hopsMs.answerToBroker.over100ms ?? 0), 0),
        brokerToClientOver100ms: runs.reduce((a, x) => a + (x.hopsMs.brokerToClient.over100ms ?? 0), 0),
        hopSamples: runs.reduce((a, x) => a + x.hopsMs.samples, 0),
        answerToClient: median(runs.map((x) => x.latencyMs.p50)),
        txStartToRestResponse: median(runs.map((x) => x.hopsMs.txStartToRestResponse.p50)),
        txStartToBroker: median(runs.map((x) => x.hopsMs.txStartToBroker.p50)),
        brokerToClient: median(runs.map((x) => x.hopsMs.brokerToClient.p50)),
        txStartToClient: median(runs.map((x) => x.hopsMs.txStartToClient.p50)),
        txStartToBrokerMean: median(runs.map((x) => x.hopsMs.txStartToBroker.mean)),
        txStartToEmitMean: median(runs.map((x) => x.gatewayLagMeanMs)),
        txStartToClientMean: median(runs.map((x) => x.hopsMs.txStartToClient.mean)),
      },
      ingestStepsMs: medianSteps(runs.map((x) => x.ingestStepsMs)),
      generatorBound: runs.some((x) => x.generator.bottleneck),
      errors: runs.reduce((a, x) => a + x.errors, 0),
    };
  }
  for (const label of Object.keys(r.fanout)) {
    const runs = r.fanout[label];
    r.fanout[`${label}:summary`] = undefined;
    r.fanoutSummary ??= {};
    r.fanoutSummary[label] = {
      latencyP50Ms: stats(runs.map((x) => x.latencyMs.p50)),
      latencyP99Ms: stats(runs.map((x) => x.latencyMs.p99)),
      cpuSPer1000Events: stats(runs.map((x) => x.cpuSPer1000Events)),
      eventsPerCpuS: stats(runs.map((x) => x.eventsPerCpuS)),
      eventsPerS: stats(runs.map((x) => x.eventsPerS)),
      generatorBound: runs.some((x) => x.generator.bottleneck),
    };
  }
  for (const key of Object.keys(r.fanout)) if (r.fanout[key] === undefined) delete r.fanout[key];

  // Ratios within one repetition (same minutes, same machine state), then their median and range.
  const perRep = (a, b, pick) => {
    const ra = r.scenarios[a]?.runs ?? [];
    const rb = r.scenarios[b]?.runs ?? [];
    return stats(ra.map((x, i) => (rb[i] && pick(rb[i]) ? pick(x) / pick(rb[i]) : null)));
  };
  const fanRatio = (a, b, pick) => {
    const ra = r.fanout[a] ?? [];
    const rb = r.fanout[b] ?? [];
    return stats(ra.map((x, i) => (rb[i] && pick(rb[i]) ? pick(x) / pick(rb[i]) : null)));
  };
  const p50 = (x) => x.latencyMs.p50;
  const cpu = (x) => x.appCpuMsPerUpdate;
  const cpuAll = (x) => x.allCpuMsPerUpdate;
  const cpuLoad = (x) => x.loadCpuMsPerUpdate;
  const bytes = (x) => x.bytesPerUpdate;
  r.ratios = {
    restOverHybrid: {
      latencyP50: perRep('rest', 'hybrid', p50),
      appCpuPerUpdate: perRep('rest', 'hybrid', cpu),
      loadCpuPerUpdate: perRep('rest', 'hybrid', cpuLoad),
      allCpuPerUpdate: perRep('rest', 'hybrid', cpuAll),
      bytesPerUpdate: perRep('rest', 'hybrid', bytes),
    },
    restOverWs: {
      latencyP50: perRep('rest', 'ws', p50),
      appCpuPerUpdate: perRep('rest', 'ws', cpu),
      bytesPerUpdate: perRep('rest', 'ws', bytes),
    },
    hybridOverWs: {
      latencyP50: perRep('hybrid', 'ws', p50),
      appCpuPerUpdate: perRep('hybrid', 'ws', cpu),
      bytesPerUpdate: perRep('hybrid', 'ws', bytes),
    },
    hybridOverFloorPush: {
      latencyP50: perRep('hybrid', 'floor-push', p50),
      appCpuPerUpdate: perRep('hybrid', 'floor-push', cpu),
      bytesPerUpdate: perRep('hybrid', 'floor-push', bytes),
    },
    wsOverFloorPush: {
      latencyP50: perRep('ws', 'floor-push', p50),
      appCpuPerUpdate: perRep('ws', 'floor-push', cpu),
      bytesPerUpdate: perRep('ws', 'floor-push', bytes),
    },
    restOverFloorPoll: {
      latencyP50: perRep('rest', 'floor-poll', p50),
      appCpuPerUpdate: perRep('rest', 'floor-poll', cpu),
      bytesPerUpdate: perRep('rest', 'floor-poll', bytes),
    },
    gatewayOverFloorCpuPerEvent1: fanRatio('tandem-1', 'floor-1', (x) => x.cpuSPer1000Events),
    gatewayOverFloorCpuPerEvent2: fanRatio('tandem-2', 'floor-2', (x) => x.cpuSPer1000Events),
    gatewayOverFloorP50_1: fanRatio('tandem-1', 'floor-1', (x) => x.latencyMs.p50),
    gatewayOverFloorP50_2: fanRatio('tandem-2', 'floor-2', (x) => x.latencyMs.p50),
    gatewayOverFloorRssPerIdleSocket:
      r.idleScale.tandem && r.idleScale.floor
        ? r.idleScale.tandem.bytesPerSocket / r.idleScale.floor.bytesPerSocket
        : null,
  };

  const fs = r.fanoutSummary ?? {};
  const h = r.scenarios.hybrid?.summary;
  const target = (name, value, ok, detail) => ({
    name,
    value,
    met: value !== null && value !== undefined && ok,
    detail,
  });
  const f1 = fs['tandem-1'];
  const f2 = fs['tandem-2'];
  const perVcpu = h?.opsPerAppCpuS?.median ?? null;
  const perLoadVcpu = h?.opsPerLoadCpuS?.median ?? null;
  const paperPerVcpu = 900 / 4;
  r.targets = [
    target(
      `push, one gateway, ${r.config.fanoutSockets} sockets: p50 ≤ 5 ms and p99 ≤ 20 ms`,
      f1?.latencyP50Ms.median,
      f1 && f1.latencyP50Ms.median <= 5 && f1.latencyP99Ms.median <= 20,
      f1 ? `p50 ${fmt(f1.latencyP50Ms.median)} ms, p99 ${fmt(f1.latencyP99Ms.median)} ms` : 'not measured',
    ),
    target(
      `push, two replicas, ${r.config.fanoutSockets} sockets: p50 ≤ 8 ms and p99 ≤ 30 ms`,
      f2?.latencyP50Ms.median,
      f2 && f2.latencyP50Ms.median <= 8 && f2.latencyP99Ms.median <= 30,
      f2 ? `p50 ${fmt(f2.latencyP50Ms.median)} ms, p99 ${fmt(f2.latencyP99Ms.median)} ms` : 'not measured',
    ),
    target(
      'gateway CPU per delivered event ≤ 1.5× bare Socket.IO',
      r.ratios.gatewayOverFloorCpuPerEvent1.median,
      r.ratios.gatewayOverFloorCpuPerEvent1.median <= 1.5,
      `${fmt(r.ratios.gatewayOverFloorCpuPerEvent1.median)}× (one replica), ${fmt(r.ratios.gatewayOverFloorCpuPerEvent2.median)}× (two replicas vs two bare servers + Redis)`,
    ),
    target(
      'gateway RSS per idle socket ≤ 1.2× bare Socket.IO',
      r.ratios.gatewayOverFloorRssPerIdleSocket,
      r.ratios.gatewayOverFloorRssPerIdleSocket <= 1.2,
      `${fmt(r.ratios.gatewayOverFloorRssPerIdleSocket)}× (${fmt((r.idleScale.tandem?.bytesPerSocket ?? 0) / 1024)} KB vs ${fmt((r.idleScale.floor?.bytesPerSocket ?? 0) / 1024)} KB)`,
    ),
    target(
      `hybrid vs polling every ${r.config.pollMs} ms: ≥ 200× lower p50 latency`,
      r.ratios.restOverHybrid.latencyP50.median,
      r.ratios.restOverHybrid.latencyP50.median >= 200,
      `${fmt(r.ratios.restOverHybrid.latencyP50.median)}×`,
    ),
    target(
      'hybrid vs polling: ≥ 5× less server CPU per update',
      r.ratios.restOverHybrid.appCpuPerUpdate.median,
      r.ratios.restOverHybrid.appCpuPerUpdate.median >= 5,
      `${fmt(r.ratios.restOverHybrid.appCpuPerUpdate.median)}× (Tandem processes), ${fmt(r.ratios.restOverHybrid.loadCpuPerUpdate.median)}× (above idle), ${fmt(r.ratios.restOverHybrid.allCpuPerUpdate.median)}× (with PostgreSQL, Redis, RabbitMQ)`,
    ),
    target(
      'hybrid vs polling: ≥ 10× fewer bytes per update',
      r.ratios.restOverHybrid.bytesPerUpdate.median,
      r.ratios.restOverHybrid.bytesPerUpdate.median >= 10,
      `${fmt(r.ratios.restOverHybrid.bytesPerUpdate.median)}×`,
    ),
    target(
      'open-loop hybrid operations per CPU-second ≥ 10× the paper (225/s/vCPU; not a saturation figure)',
      perVcpu,
      perVcpu >= 10 * paperPerVcpu,
      `${fmt(perVcpu)} ops per CPU-second of the Tandem processes = ${fmt(perVcpu / paperPerVcpu)}× the paper's ${paperPerVcpu} (${fmt(perLoadVcpu)} per CPU-second above idle = ${fmt(perLoadVcpu / paperPerVcpu)}×)`,
    ),
    ...saturationTargets(r, target, paperPerVcpu),
  ];
}

/** The write-path and flash-sale targets (docs/benchmarks.md, "Targets"): reported, never asserted. */
function saturationTargets(r, target, paperPerVcpu) {
  const sat = r.saturation;
  const fsale = r.flashSale;
  const out = [];
  if (sat) {
    const hy = sat.storefront.hybrid?.saturation;
    out.push(
      target(
        `hybrid ops per CPU-second at saturation (p99 ≤ ${r.config.sloMs} ms) ≥ 10× the paper's ${paperPerVcpu} per vCPU`,
        hy?.opsPerAppCpuS,
        hy?.opsPerAppCpuS >= 10 * paperPerVcpu,
        hy
          ? `${fmt(hy.opsPerS)} ops/s at c=${hy.concurrency}; ${fmt(hy.opsPerAppCpuS)} per CPU-s of the Tandem processes = ${fmt(hy.opsPerAppCpuS / paperPerVcpu)}×, ${fmt(hy.opsPerAllCpuS)} with PostgreSQL/Redis/RabbitMQ`
          : 'no step within the SLO',
      ),
    );
    const spread = sat.orders['1x-spread']?.saturation;
    out.push(
      target(
        'POST /orders per CPU-second of commerce + PostgreSQL (spread over products) ≥ 3× 276',
        spread?.ordersPerCommercePgCpuS,
        spread?.ordersPerCommercePgCpuS >= 3 * 276,
        spread
          ? `${fmt(spread.ordersPerCommercePgCpuS)} (${fmt(spread.ordersPerCommerceCpuS)} per commerce CPU-s), ${fmt(spread.requestsPerS)} orders/s at c=${spread.concurrency}`
          : 'no step within the SLO',
      ),
    );
    const hotBest = ['1x-hot', '2x-hot']
      .map((k) => sat.orders[k]?.saturation)
      .filter(Boolean)
      .reduce((a, x) => (!a || x.requestsPerS > a.requestsPerS ? x : a), null);
    out.push(
      target(
        `orders on one hot product ≥ 2× 267/s with p99 ≤ ${r.config.sloMs} ms`,
        hotBest?.requestsPerS,
        hotBest?.requestsPerS >= 2 * 267,
        hotBest
          ? `${fmt(hotBest.requestsPerS)}/s (${hotBest.replicas} replica(s), c=${hotBest.concurrency}, p99 ${fmt(hotBest.latencyMs.p99)} ms)`
          : 'no step within the SLO',
      ),
    );
    const peak = (k) =>
      (sat.delayedOrders[k]?.points ?? []).reduce((a, x) => (x.errorRate <= 0.01 ? Math.max(a, x.requestsPerS) : a), 0);
    const one = peak('1x-spread');
    const two = peak('2x-spread');
    out.push(
      target(
        `+${r.config.dbDelayMs} ms to PostgreSQL: two commerce replicas ≥ 1.7× one`,
        one ? two / one : null,
        one > 0 && two / one >= 1.7,
        `${fmt(two)} vs ${fmt(one)} orders/s = ${fmt(one ? two / one : null)}×`,
      ),
    );
    const pts = sat.delayedOrders['1x-spread']?.points ?? [];
    const serial = pts.find((x) => x.concurrency === 1);
    const wide = pts.find((x) => x.concurrency === Math.max(...pts.map((y) => y.concurrency)));
    out.push(
      target(
        `+${r.config.dbDelayMs} ms: one replica at ${wide?.concurrency ?? 64} connections ≥ 5× one order at a time`,
        serial && wide ? wide.requestsPerS / serial.requestsPerS : null,
        Boolean(serial && wide && wide.requestsPerS / serial.requestsPerS >= 5),
        serial && wide
          ? `${fmt(wide.requestsPerS)} vs ${fmt(serial.requestsPerS)} orders/s = ${fmt(wide.requestsPerS / serial.requestsPerS)}×`
          : 'not measured',
      ),
    );
  }
  if (fsale) {
    const plain = fsale.runs.find((x) => !x.conflateMs);
    const conflated = fsale.runs.find((x) => x.conflateMs);
    out.push(
      target(
        `flash sale, ${plain?.sockets ?? 'n'} watchers: last commit → last watcher p99 ≤ 250 ms (≥ 5,000 watchers for the target)`,
        plain?.lastCommitToWatcherMs.p99,
        Boolean(plain && plain.sockets >= 5000 && plain.lastCommitToWatcherMs.p99 <= 250),
        plain
          ? `p50 ${fmt(plain.lastCommitToWatcherMs.p50)} ms, p99 ${fmt(plain.lastCommitToWatcherMs.p99)} ms; ${plain.succeeded} ordered of ${plain.customers}, stock ${plain.finalStock}`
          : 'not measured',
      ),
    );
    out.push(
      target(
        'flash sale: conflation cuts deliveries ≥ 5× at equal final state',
        conflated && plain ? plain.deliveries / conflated.deliveries : null,
        Boolean(conflated && plain && conflated.correct && plain.deliveries / conflated.deliveries >= 5),
        conflated && plain
          ? `${plain.deliveries} → ${conflated.deliveries} deliveries = ${fmt(plain.deliveries / conflated.deliveries)}×`
          : `conflate not available (${fsale.conflation?.answer ?? 'not tried'})`,
      ),
    );
  }
  return out;
}

/** Per step, the median over repetitions of each percentile (and the summed event count). */
function medianSteps(list) {
  const steps = [...new Set(list.flatMap((x) => Object.keys(x ?? {})))];
  return Object.fromEntries(
    steps.map((k) => {
      const xs = list.map((x) => x?.[k]).filter(Boolean);
      return [
        k,
        {
          count: xs.reduce((a, x) => a + x.count, 0),
          p50: median(xs.map((x) => x.p50)),
          p90: median(xs.map((x) => x.p90)),
          p99: median(xs.map((x) => x.p99)),
        },
      ];
    }),
  );
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}
