// Measurement primitives: HDR latency histograms, an open-loop scheduler, a keep-alive HTTP
// client, and a window that reads every server's CPU/RSS, the proxy's bytes, the generator's own
// CPU and event-loop delay, and the gateway's metrics, before and after a phase.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { infraCpu, infraDelta, procStat, vmRss } from './procs.mjs';
import { bytesBetween } from './stack.mjs';
import { wallNow } from './clock.mjs';

export class Latency {
  constructor() {
    this.h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
  }
  /** ms, recorded in µs (≥ 1 µs). */
  record(ms) {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }
  get count() {
    return this.h.totalCount;
  }
  summary() {
    const at = (p) => (this.h.totalCount ? this.h.getValueAtPercentile(p) / 1000 : null);
    return {
      count: this.h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: this.h.totalCount ? this.h.maxValue / 1000 : null,
    };
  }
}

/** Calls fn at a fixed arrival rate regardless of how long earlier calls take (open loop). */
export function openLoop(ratePerSecond, fn) {
  const period = 1000 / ratePerSecond;
  let next = performance.now() + Math.random() * period;
  let stopped = false;
  let maxLateMs = 0;
  let timer;
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    while (now >= next) {
      maxLateMs = Math.max(maxLateMs, now - next);
      fn();
      next += period;
    }
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  timer = setTimeout(tick, Math.max(0, next - performance.now()));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    get maxLateMs() {
      return maxLateMs;
    },
    resetLate() {
      maxLateMs = 0;
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * A small JSON HTTP client on a keep-alive agent (cheaper for the generator than fetch). `agent`
 * replaces the shared one (the closed-loop runs want one connection per client).
 */
export function request(base, method, path, { token, body, headers = {}, agent: via = agent } = {}) {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent: via,
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed;
          if (text && (res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          resolve({ status: res.statusCode, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** Prometheus text → {name: value} for unlabelled samples and summed labelled ones. */
export async function scrape(url) {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const out = {};
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+eE\d.]+|NaN|\+Inf)$/.exec(line);
      if (!m) continue;
      if (m[2] && /le="/.test(m[2])) continue;
      out[m[1]] = (out[m[1]] ?? 0) + Number(m[3]);
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * Opens a measurement window over `servers` ({name, pid, url?, metrics?}). end() returns the deltas.
 * `proxyUrls` are the client-facing proxy ports whose bytes count as "on the wire".
 */
export async function openWindow({ servers, proxy, proxyUrls = [], proxyGroups = {}, extraPids = {} }) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const t0 = wallNow();
  const gen0 = process.cpuUsage();
  const cpu0 = Object.fromEntries(servers.map((s) => [s.name, procStat(s.pid)?.cpu ?? 0]));
  const extra0 = Object.fromEntries(Object.entries(extraPids).map(([n, pid]) => [n, procStat(pid)?.cpu ?? 0]));
  const infra0 = infraCpu();
  const counts0 = proxy ? await proxy.counts() : {};
  const metrics0 = Object.fromEntries(
    await Promise.all(servers.filter((s) => s.metrics).map(async (s) => [s.name, await scrape(s.url)])),
  );
  return {
    t0,
    async end() {
      const t1 = wallNow();
      const wallS = (t1 - t0) / 1000;
      const gen = process.cpuUsage(gen0);
      eld.disable();
      const serverCpu = {};
      const rss = {};
      for (const s of servers) {
        serverCpu[s.name] = (procStat(s.pid)?.cpu ?? 0) - cpu0[s.name];
        rss[s.name] = vmRss(s.pid) ?? 0;
      }
      const extraCpu = {};
      for (const [n, pid] of Object.entries(extraPids)) extraCpu[n] = (procStat(pid)?.cpu ?? 0) - extra0[n];
      const infra = infraDelta(infra0, infraCpu());
      const counts1 = proxy ? await proxy.counts() : {};
      const bytes = proxy ? bytesBetween(counts0, counts1, proxyUrls) : { up: 0, down: 0, total: 0 };
      const bytesBy = Object.fromEntries(
        Object.entries(proxyGroups).map(([g, urls]) => [g, bytesBetween(counts0, counts1, urls)]),
      );
      const metrics = {};
      for (const s of servers.filter((x) => x.metrics)) {
        const after = await scrape(s.url);
        const before = metrics0[s.name] ?? {};
        metrics[s.name] = {
          lagSum:
            (after.realtime_publish_to_emit_seconds_sum ?? 0) - (before.realtime_publish_to_emit_seconds_sum ?? 0),
          lagCount:
            (after.realtime_publish_to_emit_seconds_count ?? 0) - (before.realtime_publish_to_emit_seconds_count ?? 0),
          emitted: (after.realtime_events_emitted_total ?? 0) - (before.realtime_events_emitted_total ?? 0),
          rateLimited: (after.realtime_rate_limited_total ?? 0) - (before.realtime_rate_limited_total ?? 0),
        };
      }
      const genCpuS = (gen.user + gen.system) / 1e6;
      const generator = {
        cpuS: genCpuS,
        cpuShare: genCpuS / wallS,
        eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
        eventLoopDelayMaxMs: eld.max / 1e6,
      };
      return { wallS, serverCpu, rss, extraCpu, infraCpu: infra, bytes, bytesBy, metrics, generator };
    },
  };
}

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
export const mean = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};
export const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

/**
 * The gateway's per-step histogram (`realtime_ingest_step_seconds{step}`, docs/realtime.md
 * "Metrics") from several replicas: {step: {le: cumulative count}} summed over `urls`.
 */
export async function scrapeSteps(urls, name = 'realtime_ingest_step_seconds') {
  const out = {};
  for (const url of urls) {
    let text = '';
    try {
      text = await (await fetch(`${url}/metrics`)).text();
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`)) continue;
      const step = /step="([^"]+)"/.exec(line)?.[1];
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!step || !le) continue;
      out[step] ??= {};
      out[step][le] = (out[step][le] ?? 0) + value;
    }
  }
  return out;
}

/**
 * Percentiles per step between two scrapeSteps() readings, interpolated inside the bucket (so
 * p99 is an estimate within one bucket's width; the buckets go from 0.1 ms to 30 s).
 */
export function stepPercentiles(before, after) {
  const out = {};
  for (const [step, buckets] of Object.entries(after)) {
    const les = Object.keys(buckets)
      .filter((le) => le !== '+Inf')
      .map(Number)
      .sort((a, b) => a - b);
    const count = (le) => (buckets[le] ?? 0) - (before[step]?.[le] ?? 0);
    const total = count('+Inf');
    if (!total) continue;
    const at = (q) => {
      const want = q * total;
      let lower = 0;
      let below = 0;
      for (const le of les) {
        const c = count(String(le));
        if (c >= want) return (lower + ((want - below) / Math.max(1, c - below)) * (le - lower)) * 1000;
        lower = le;
        below = c;
      }
      return null; // beyond the last bucket
    };
    out[step] = { count: total, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  }
  return out;
}
