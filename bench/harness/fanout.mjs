// Connection scale: RSS per idle socket (slope over several connection counts, after a forced GC)
// and push fan-out (delivered events per server CPU-second, push latency) for Tandem's gateway
// with one and two replicas, and for bare Socket.IO with one server and with two plus Redis.
import { io } from 'socket.io-client';
import { Latency, openLoop, openWindow, request, sum } from './measure.mjs';
import { sleep, wallNow } from './clock.mjs';
import { vmRss } from './procs.mjs';

const connect = (url, auth = {}) =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true, timeout: 30_000 });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });

/** Opens `count` more anonymous sockets spread over `urls`, each subscribed to one of `channels`. */
async function openSockets(sockets, count, urls, channels, onEvent) {
  const start = sockets.length;
  let next = start;
  const end = start + count;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < end) {
        const i = next++;
        const socket = await connect(urls[i % urls.length]);
        if (onEvent) socket.onAny(onEvent);
        const ack = await socket.timeout(30_000).emitWithAck('subscribe', { channel: channels[i % channels.length] });
        if (!ack?.ok) throw new Error(`subscribe: ${JSON.stringify(ack)}`);
        sockets.push(socket);
      }
    }),
  );
}

const closeAll = async (sockets) => {
  for (const s of sockets) s.close();
  sockets.length = 0;
  await sleep(1000);
};

/** Least-squares slope and intercept of y over x. */
export function fit(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxx ? sxy / sxx : 0;
  const ssr = points.reduce((a, p) => a + (p.y - (my + slope * (p.x - mx))) ** 2, 0);
  const sst = points.reduce((a, p) => a + (p.y - my) ** 2, 0);
  return { slope, intercept: my - slope * mx, r2: sst ? 1 - ssr / sst : 1 };
}

/** server: {name, pid, url, gc()}; channels: names to spread the sockets over. */
export async function idleScale(label, server, steps, channels) {
  const sockets = [];
  const points = [];
  try {
    await server.gc();
    await sleep(300);
    points.push({ x: 0, y: vmRss(server.pid) });
    for (const step of steps) {
      await openSockets(sockets, step - sockets.length, [server.url], channels);
      await sleep(1000);
      await server.gc();
      await sleep(500);
      points.push({ x: step, y: vmRss(server.pid) });
    }
  } finally {
    await closeAll(sockets);
  }
  // The slope from the first loaded step on: the 0-socket point carries one-off warm-up allocations.
  const loaded = points.filter((p) => p.x > 0);
  const f = fit(loaded.length >= 2 ? loaded : points);
  return {
    server: label,
    points: points.map((p) => ({ sockets: p.x, rssBytes: p.y })),
    bytesPerSocket: f.slope,
    r2: f.r2,
  };
}

/**
 * Push fan-out. trigger(channel, stock) makes one change (two events: product.updated and
 * inventory.changed, as Tandem emits for a stock PATCH) and resolves with the time it counts from.
 */
export async function fanout(label, { urls, servers, channels, trigger, sockets: count, rate, warmS, measureS }) {
  const sockets = [];
  const lat = new Latency();
  const commits = new Map();
  const early = new Map();
  let measuring = false;
  let events = 0;
  let updates = 0;
  let errors = 0;
  const learned = new Set();
  const onEvent = function (type, envelope) {
    const at = wallNow();
    if (measuring) events += 1;
    const d = envelope?.data;
    if (!d) return;
    const key = `${d.productId ?? d.id}:${d.stock}`;
    // One update per (socket, change): the first of its two events.
    const mine = `${this.id}|${key}`;
    if (learned.has(mine)) {
      learned.delete(mine);
      return;
    }
    learned.add(mine);
    const t = commits.get(key);
    if (t === undefined) {
      // Arrived before the trigger's answer: timed once the trigger's start time is known.
      if (!early.has(key)) early.set(key, []);
      early.get(key).push({ at, measuring });
      return;
    }
    if (measuring) {
      updates += 1;
      lat.record(Math.max(0, at - t));
    }
  };
  await openSockets(sockets, count, urls, channels);
  for (const s of sockets) {
    s.offAny();
    s.onAny((type, envelope) => onEvent.call(s, type, envelope));
  }
  let turn = 0;
  let stock = 5_000_000 + Math.floor(Math.random() * 1_000_000) * 10;
  const loop = openLoop(rate, () => {
    const channel = channels[turn++ % channels.length];
    const value = ++stock;
    trigger(channel, value).then(
      (t) => {
        const key = `${channel.slice('product:'.length)}:${value}`;
        commits.set(key, t);
        for (const e of early.get(key) ?? []) {
          if (!e.measuring) continue;
          updates += 1;
          lat.record(Math.max(0, e.at - t));
        }
        early.delete(key);
      },
      () => {
        errors += 1;
      },
    );
  });
  await sleep(warmS * 1000);
  loop.resetLate();
  const window = await openWindow({ servers });
  measuring = true;
  await sleep(measureS * 1000);
  measuring = false;
  const w = await window.end();
  const lateMs = loop.maxLateMs;
  loop.stop();
  await sleep(500);
  await closeAll(sockets);
  const cpu = sum(w.serverCpu);
  return {
    label,
    sockets: count,
    servers: servers.map((s) => s.name),
    changesPerS: rate,
    windowS: w.wallS,
    eventsDelivered: events,
    eventsPerS: events / w.wallS,
    updatesDelivered: updates,
    latencyMs: lat.summary(),
    serverCpuS: w.serverCpu,
    cpuSPer1000Events: events ? (cpu / events) * 1000 : null,
    eventsPerCpuS: cpu > 0 ? events / cpu : null,
    rssBytes: w.rss,
    errors,
    generator: {
      ...w.generator,
      scheduleLateMaxMs: lateMs,
      bottleneck: w.generator.cpuShare > 0.85 || w.generator.eventLoopDelayP99Ms > 50 || lateMs > 250,
    },
  };
}

/** Trigger for Tandem: an admin stock PATCH; counts from its REST response (after commit). */
export const tandemTrigger = (commerceUrl, adminToken) => async (channel, stock) => {
  const id = channel.slice('product:'.length);
  const res = await request(commerceUrl, 'PATCH', `/api/v1/products/${id}`, { token: adminToken, body: { stock } });
  if (res.status !== 200) throw new Error(`PATCH → ${res.status}`);
  return wallNow();
};

/** Trigger for the floor: two POST /emit; counts from the first one's send. */
export const floorTrigger = (floorUrl) => async (channel, stock) => {
  const id = channel.slice('product:'.length);
  const t = wallNow();
  const product = { id, stock, version: stock };
  const emit = (type, data) =>
    request(floorUrl, 'POST', '/emit', {
      body: { channels: [channel, 'catalog'], type, data, id: `${id}-${stock}-${type}`, offset: 0 },
    });
  await emit('product.updated', product);
  await emit('inventory.changed', { productId: id, stock, delta: 1 });
  return t;
};
