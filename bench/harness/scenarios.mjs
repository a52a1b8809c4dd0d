// The storefront workload, served four ways: REST-only (polling with ETag/304), WebSocket-only
// (snapshots and commands over `rpc`, updates pushed), hybrid (REST for snapshots and commands,
// pushes for updates), and the floors (a bare Express polling endpoint, bare Socket.IO servers).
// The same users watch the same products; the generator makes the same stock and order changes
// per second in every scenario, and times "commit → the client knows" on one clock.
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { Latency, mean, median, openLoop, openWindow, request, scrapeSteps, stepPercentiles, sum } from './measure.mjs';
import { sleep, wallNow } from './clock.mjs';

const quantile = (xs, q) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : null;
};

let stockCounter = 2_000_000; // stock values are unique across the run: (product, stock) names one change

const connectSocket = (url, auth) =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true, timeout: 20_000 });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });

/** Runs `fn` over items with at most `n` in flight. */
export async function pool(items, n, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(n, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

export function watchesOf(u, watched) {
  const a = u % watched.length;
  let b = (u * 7 + 3) % watched.length;
  if (b === a) b = (b + 1) % watched.length;
  return [watched[a], watched[b]];
}

/**
 * kind: 'rest' | 'ws' | 'hybrid' | 'floor-poll' | 'floor-push'.
 * env: {stack, products: {watched, orderable}, floor: {poll, push: [servers]}}
 */
export async function runScenario(kind, env, cfg) {
  const { stack } = env;
  const isFloor = kind.startsWith('floor');
  const pushes = kind === 'ws' || kind === 'hybrid' || kind === 'floor-push';
  const users = stack.users.slice(0, cfg.users);
  const watched = env.products.watched;
  const watchers = new Map(watched.map((id) => [id, 0]));
  for (const u of users) for (const id of watchesOf(u.index, watched)) watchers.set(id, watchers.get(id) + 1);

  // ---- what is measured -------------------------------------------------------------------------
  let measuring = false;
  const lat = new Latency();
  const latByKind = { stock: new Latency(), order: new Latency() };
  const latFromTx = new Latency();
  const hops = { txToCommit: [], txToBroker: [], answerToBroker: [], brokerToClient: [], txToClient: [] };
  const c = {
    delivered: 0,
    beatResponse: 0,
    coalesced: 0,
    rest: 0,
    restSnapshot: 0,
    restPoll: 0,
    restCommand: 0,
    wsSent: 0,
    wsRecv: 0,
    wsEvents: 0,
    errors: 0,
    skippedPolls: 0,
  };
  const errorSamples = [];
  const fail = (error) => {
    c.errors += 1;
    if (errorSamples.length < 5) errorSamples.push(String(error?.message ?? error).slice(0, 200));
  };
  /** key → {t, expected, learned, inWindow, seq} for every change the generator made. */
  const commits = new Map();
  const early = new Map(); // key → [arrival times] when the push beat the REST response
  const seqOf = new Map(); // topic → number of changes so far (for coalescing under polling)

  const learn = (client, key, at, envelope) => {
    if (client.learned.has(key)) return;
    client.learned.add(key);
    const commit = commits.get(key);
    if (!commit) {
      let list = early.get(key);
      if (!list) early.set(key, (list = []));
      list.push({ at, envelope, measuring });
      return;
    }
    settle(commit, at, envelope, measuring);
  };
  const settle = (commit, at, envelope, counted) => {
    commit.learned += 1;
    if (!counted) return;
    c.delivered += 1;
    const ms = at - commit.t;
    if (ms < 0) c.beatResponse += 1;
    lat.record(Math.max(0, ms));
    latByKind[commit.kind].record(Math.max(0, ms));
    if (envelope?.occurredAt && !isFloor) {
      const tx = Date.parse(envelope.occurredAt);
      latFromTx.record(Math.max(0, at - tx));
      hops.txToClient.push(at - tx);
      hops.txToCommit.push(commit.t - tx);
      const brokerAt = stack.tap?.at(envelope.id);
      if (brokerAt) {
        hops.txToBroker.push(brokerAt - tx);
        hops.answerToBroker.push(brokerAt - commit.t);
        hops.brokerToClient.push(at - brokerAt);
      }
    }
  };
  const committed = (key, t, expected, topic) => {
    const seq = (seqOf.get(topic) ?? 0) + 1;
    seqOf.set(topic, seq);
    const kind = topic.length && watchers.has(topic) ? 'stock' : 'order';
    const commit = { t, expected, learned: 0, inWindow: measuring, topic, seq, kind };
    commits.set(key, commit);
    for (const e of early.get(key) ?? []) settle(commit, e.at, e.envelope, e.measuring);
    early.delete(key);
  };
  /** Polling saw `key` on `topic`: changes between the last one it saw and this one never reached it. */
  const sawByPolling = (client, key, topic) => {
    const commit = commits.get(key);
    if (!commit || client.learned.has(key)) return;
    const last = client.lastSeq.get(topic) ?? 0; // every topic's changes start after the snapshot
    if (measuring && commit.seq - last > 1) c.coalesced += commit.seq - last - 1;
    client.lastSeq.set(topic, commit.seq);
    learn(client, key, wallNow());
  };

  // ---- transports -------------------------------------------------------------------------------
  const restBase = isFloor ? env.floor.pollProxied : stack.commerceProxy;
  const rest = async (client, kindOf, method, path, opts = {}) => {
    if (measuring) {
      c.rest += 1;
      c[kindOf] += 1;
    }
    // The catalog is public: product reads go without a token (smaller polls; conservative for
    // the hybrid-vs-polling byte ratio). Orders are private and carry it.
    const token = /\/products\/|\/state\/p:/.test(path) ? undefined : client.token;
    return request(restBase, method, path, { token, ...opts });
  };
  const rpc = async (client, method, path, body, headers) => {
    if (measuring) {
      c.wsSent += 1;
      c.wsRecv += 1;
    }
    return client.socket
      .timeout(20_000)
      .emitWithAck('rpc', { method, path, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
  };
  const subscribe = async (client, channel, since) => {
    if (measuring) {
      c.wsSent += 1;
      c.wsRecv += 1;
    }
    const ack = await client.socket
      .timeout(20_000)
      .emitWithAck('subscribe', since === undefined ? { channel } : { channel, since });
    if (!ack?.ok) throw new Error(`subscribe ${channel}: ${JSON.stringify(ack)}`);
  };

  // ---- clients ----------------------------------------------------------------------------------
  const clients = users.map((u) => ({
    u,
    token: u.token,
    watches: watchesOf(u.index, watched),
    etags: new Map(),
    orders: new Map(), // orderId → last status seen (polling)
    learned: new Set(),
    lastSeq: new Map(),
    pollBusy: false,
  }));
  const pushUrls = isFloor ? env.floor.pushProxied : stack.replicas.map((r) => r.proxied);
  const onEvent = (client) => (type, envelope) => {
    const at = wallNow();
    if (measuring) {
      c.wsRecv += 1;
      c.wsEvents += 1;
    }
    const d = envelope?.data;
    if (!d) return;
    if (type === 'inventory.changed') learn(client, `${d.productId}:${d.stock}`, at, envelope);
    else if (type === 'product.updated') learn(client, `${d.id}:${d.stock}`, at, envelope);
    else if (type === 'order.status_changed') learn(client, `${d.orderId}:${d.to}`, at, envelope);
  };
  const setUp = async (client) => {
    if (pushes) {
      const url = pushUrls[client.u.index % pushUrls.length];
      client.socket = await connectSocket(url, isFloor ? {} : { token: client.token });
      client.socket.onAny(onEvent(client));
      if (isFloor) await subscribe(client, `user:${client.u.id}`);
    }
    for (const id of client.watches) {
      if (kind === 'ws') {
        const res = await rpc(client, 'GET', `/api/v1/products/${id}`);
        if (res.status !== 200) throw new Error(`rpc GET product → ${res.status}`);
        await subscribe(client, `product:${id}`, Number(res.headers['x-stream-offset']));
      } else if (kind === 'floor-push') {
        await subscribe(client, `product:${id}`);
      } else {
        const path = isFloor ? `/state/p:${id}` : `/api/v1/products/${id}`;
        const res = await rest(client, 'restSnapshot', 'GET', path);
        if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
        client.etags.set(id, res.headers.etag);
        if (kind === 'hybrid') await subscribe(client, `product:${id}`, Number(res.headers['x-stream-offset']));
      }
    }
  };
  await pool(clients, 20, setUp);

  // ---- polling (REST-only and the Express floor) ------------------------------------------------
  const pollers = [];
  if (kind === 'rest' || kind === 'floor-poll') {
    for (const client of clients) {
      const poll = async () => {
        if (client.pollBusy) {
          if (measuring) c.skippedPolls += 1;
          return;
        }
        client.pollBusy = true;
        try {
          await Promise.all([
            ...client.watches.map(async (id) => {
              const path = isFloor ? `/state/p:${id}` : `/api/v1/products/${id}`;
              const res = await rest(client, 'restPoll', 'GET', path, {
                headers: { 'if-none-match': client.etags.get(id) },
              });
              if (res.status === 304) return;
              if (res.status !== 200) throw new Error(`poll ${path} → ${res.status}`);
              client.etags.set(id, res.headers.etag);
              const stock = isFloor ? res.body.data?.stock : res.body.stock;
              sawByPolling(client, `${id}:${stock}`, id);
            }),
            ...[...client.orders.keys()].map(async (orderId) => {
              const path = isFloor ? `/state/o:${orderId}` : `/api/v1/orders/${orderId}`;
              const res = await rest(client, 'restPoll', 'GET', path, {
                headers: isFloor && client.etags.get(orderId) ? { 'if-none-match': client.etags.get(orderId) } : {},
              });
              if (res.status === 304) return;
              if (res.status !== 200) throw new Error(`poll ${path} → ${res.status}`);
              if (isFloor) client.etags.set(orderId, res.headers.etag);
              const status = isFloor ? res.body.data?.status : res.body.status;
              sawByPolling(client, `${orderId}:${status}`, orderId);
              if (status === 'delivered') client.orders.delete(orderId);
            }),
          ]);
        } catch (error) {
          fail(error);
        } finally {
          client.pollBusy = false;
        }
      };
      const phase = Math.random() * cfg.pollMs;
      pollers.push(
        setTimeout(() => {
          pollers.push(setInterval(poll, cfg.pollMs));
          void poll();
        }, phase),
      );
    }
  }

  // ---- the changes (admin over REST, direct: the back office is not a storefront client) ---------
  const admin = (method, path, body) =>
    request(isFloor ? env.floor.pollDirect : stack.commerce.url, method, path, { token: stack.adminToken, body });
  const emitFloor = (channels, type, data) =>
    request(env.floor.pushDirect, 'POST', '/emit', { body: { channels, type, data, id: randomUUID(), offset: 0 } });
  let productTurn = 0;
  const changeStock = async () => {
    const id = watched[productTurn++ % watched.length];
    const stock = ++stockCounter;
    const key = `${id}:${stock}`;
    try {
      if (kind === 'floor-push') {
        const t = wallNow(); // floor: from the trigger's send (its emit happens before the answer)
        committed(key, t, watchers.get(id), id);
        const product = { id, stock, version: stock };
        await emitFloor([`product:${id}`, 'catalog'], 'product.updated', product);
        await emitFloor([`product:${id}`, 'catalog'], 'inventory.changed', { productId: id, stock, delta: 1 });
      } else if (kind === 'floor-poll') {
        await admin('POST', `/state/p:${id}`, { stock });
        committed(key, wallNow(), watchers.get(id), id);
      } else {
        const res = await admin('PATCH', `/api/v1/products/${id}`, { stock });
        if (res.status !== 200) throw new Error(`PATCH product → ${res.status}`);
        committed(key, wallNow(), watchers.get(id), id);
      }
    } catch (error) {
      fail(error);
    }
  };
  const inFlight = new Set();
  let orderTurn = 0;
  const lifecycle = async () => {
    const client = clients[orderTurn++ % clients.length];
    const productId = env.products.orderable[orderTurn % env.products.orderable.length];
    try {
      let orderId;
      if (isFloor) {
        orderId = randomUUID();
        if (kind === 'floor-poll') {
          await admin('POST', `/state/o:${orderId}`, { status: 'paid' });
          client.orders.set(orderId, 'paid');
        }
      } else {
        const body = { items: [{ productId, quantity: 1 }] };
        const headers = { 'idempotency-key': randomUUID() };
        const created =
          kind === 'ws'
            ? await rpc(client, 'POST', '/api/v1/orders', body, headers)
            : await rest(client, 'restCommand', 'POST', '/api/v1/orders', { body, headers });
        if (created.status !== 201) throw new Error(`create order → ${created.status}`);
        orderId = created.body.id;
        if (kind === 'rest') client.orders.set(orderId, 'pending');
        await sleep(200);
        const paid =
          kind === 'ws'
            ? await rpc(client, 'POST', `/api/v1/orders/${orderId}/pay`)
            : await rest(client, 'restCommand', 'POST', `/api/v1/orders/${orderId}/pay`);
        if (paid.status !== 200) throw new Error(`pay → ${paid.status}`);
      }
      for (const status of ['shipped', 'delivered']) {
        await sleep(status === 'shipped' ? 300 : 1000);
        const key = `${orderId}:${status}`;
        if (kind === 'floor-push') {
          committed(key, wallNow(), 1, orderId);
          await emitFloor([`user:${client.u.id}`, `order:${orderId}`], 'order.status_changed', { orderId, to: status });
        } else if (kind === 'floor-poll') {
          await admin('POST', `/state/o:${orderId}`, { status });
          committed(key, wallNow(), 1, orderId);
        } else {
          const res = await admin('PATCH', `/api/v1/orders/${orderId}/status`, { status });
          if (res.status !== 200) throw new Error(`ship → ${res.status}`);
          committed(key, wallNow(), 1, orderId);
        }
      }
    } catch (error) {
      fail(error);
    }
  };
  const stockLoop = openLoop(cfg.stockRate, () => void changeStock());
  const orderLoop = openLoop(cfg.orderRate, () => {
    const p = lifecycle();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });

  // ---- warm-up, then the measured window --------------------------------------------------------
  await sleep(cfg.warmS * 1000);
  const servers = isFloor
    ? [...(kind === 'floor-poll' ? [env.floor.poll] : env.floor.push)].map((s) => ({ name: s.name, pid: s.pid }))
    : [
        { name: 'auth', pid: stack.auth.pid },
        { name: 'commerce', pid: stack.commerce.pid },
        ...stack.replicas.map((r) => ({ name: r.name, pid: r.pid, url: r.url, metrics: true })),
      ];
  const proxyUrls =
    kind === 'floor-poll'
      ? [env.floor.pollProxied]
      : isFloor
        ? env.floor.pushProxied
        : [stack.commerceProxy, ...stack.replicas.map((r) => r.proxied)];
  stockLoop.resetLate();
  orderLoop.resetLate();
  const proxyGroups = isFloor
    ? { [kind === 'floor-poll' ? 'rest' : 'socket']: proxyUrls }
    : { rest: [stack.commerceProxy], socket: stack.replicas.map((r) => r.proxied) };
  const window = await openWindow({
    servers,
    proxy: stack.proxy,
    proxyUrls,
    proxyGroups,
    extraPids: { proxy: stack.proxy.pid },
  });
  const gatewayUrls = isFloor ? [] : stack.replicas.map((r) => r.url);
  const steps0 = await scrapeSteps(gatewayUrls);
  measuring = true;
  await sleep(cfg.measureS * 1000);
  measuring = false;
  const w = await window.end();
  const ingestStepsMs = stepPercentiles(steps0, await scrapeSteps(gatewayUrls));
  const lateMs = Math.max(stockLoop.maxLateMs, orderLoop.maxLateMs);
  stockLoop.stop();
  orderLoop.stop();
  for (const t of pollers) clearInterval(t);
  await Promise.race([Promise.all(inFlight), sleep(10_000)]);
  await sleep(Math.max(1500, cfg.pollMs + 500));

  // Changes committed in the window that some watcher never learned (after the drain).
  // (Not the last poll interval of the window: polling stops with the window.)
  let expected = 0;
  let learned = 0;
  const settledBy = window.t0 + w.wallS * 1000 - Math.max(cfg.pollMs, 1000) - 500;
  for (const commit of commits.values()) {
    if (!commit.inWindow || commit.t > settledBy) continue;
    expected += commit.expected;
    learned += Math.min(commit.learned, commit.expected);
  }
  for (const client of clients) client.socket?.close();

  const appCpuS = sum(w.serverCpu);
  const infraCpuS = isFloor ? 0 : sum(w.infraCpu);
  const messages = c.wsSent + c.wsRecv;
  const ops = c.rest + messages;
  const gateway = Object.values(w.metrics);
  const lagCount = gateway.reduce((a, m) => a + m.lagCount, 0);
  const generatorBound = w.generator.cpuShare > 0.85 || w.generator.eventLoopDelayP99Ms > 50 || lateMs > 250;
  return {
    scenario: kind,
    users: users.length,
    windowS: w.wallS,
    updatesCommittedPerS: [...commits.values()].filter((x) => x.inWindow).length / w.wallS,
    deliveredUpdates: c.delivered,
    deliveredPerS: c.delivered / w.wallS,
    latencyMs: lat.summary(),
    latencyByKindMs: { stock: latByKind.stock.summary(), order: latByKind.order.summary() },
    latencyFromTxStartMs: latFromTx.count ? latFromTx.summary() : null,
    pushBeatRestResponse: c.beatResponse,
    coalescedByPolling: c.coalesced,
    undeliveredAfterDrain: expected - learned,
    expectedDeliveries: expected,
    restRequestsPerS: c.rest / w.wallS,
    restBreakdownPerS: {
      snapshot: c.restSnapshot / w.wallS,
      poll: c.restPoll / w.wallS,
      command: c.restCommand / w.wallS,
    },
    socketMessagesPerS: messages / w.wallS,
    socketEventsPerS: c.wsEvents / w.wallS,
    opsPerS: ops / w.wallS,
    restShare: ops ? c.rest / ops : 0,
    socketShare: ops ? messages / ops : 0,
    skippedPolls: c.skippedPolls,
    errors: c.errors,
    errorSamples,
    serverCpuS: w.serverCpu,
    appCpuS,
    infraCpuS: w.infraCpu,
    appCpuMsPerUpdate: c.delivered ? (appCpuS * 1000) / c.delivered : null,
    allCpuMsPerUpdate: c.delivered ? ((appCpuS + infraCpuS) * 1000) / c.delivered : null,
    opsPerAppCpuS: appCpuS > 0 ? ops / appCpuS : null,
    bytes: w.bytes,
    bytesPerUpdate: c.delivered ? w.bytes.total / c.delivered : null,
    bytesByTransport: w.bytesBy,
    bytesPerRestRequest: c.rest && w.bytesBy.rest ? w.bytesBy.rest.total / c.rest : null,
    bytesPerSocketEvent: c.wsEvents && w.bytesBy.socket ? w.bytesBy.socket.total / c.wsEvents : null,
    socketEventsPerUpdate: c.delivered ? c.wsEvents / c.delivered : null,
    restPollsPerUpdate: c.delivered ? c.restPoll / c.delivered : null,
    rssBytes: w.rss,
    gatewayLagMeanMs: lagCount ? (gateway.reduce((a, m) => a + m.lagSum, 0) / lagCount) * 1000 : null,
    gatewayEmitted: gateway.reduce((a, m) => a + m.emitted, 0),
    gatewayRateLimited: gateway.reduce((a, m) => a + m.rateLimited, 0),
    hopsMs: {
      samples: hops.brokerToClient.length,
      txStartToRestResponse: { p50: median(hops.txToCommit), mean: mean(hops.txToCommit) },
      txStartToBroker: { p50: median(hops.txToBroker), mean: mean(hops.txToBroker) },
      answerToBroker: {
        p50: median(hops.answerToBroker),
        p99: quantile(hops.answerToBroker, 0.99),
        mean: mean(hops.answerToBroker),
        over100ms: hops.answerToBroker.filter((x) => x > 100).length,
      },
      brokerToClient: {
        p50: median(hops.brokerToClient),
        p99: quantile(hops.brokerToClient, 0.99),
        mean: mean(hops.brokerToClient),
        over100ms: hops.brokerToClient.filter((x) => x > 100).length,
      },
      txStartToClient: { p50: median(hops.txToClient), mean: mean(hops.txToClient) },
    },
    ingestStepsMs,
    proxyCpuS: w.extraCpu.proxy,
    generator: { ...w.generator, scheduleLateMaxMs: lateMs, bottleneck: generatorBound },
  };
}
