// Server processes for the benchmark: spawning (with an inspector port, so the harness can force a
// GC before reading RSS), CPU and RSS from /proc, and the infrastructure processes we share.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { freePort } from '../lib.mjs';

const CLK_TCK = Number(safeExec('getconf', ['CLK_TCK']) || 100);
const PAGE = 4096;

function safeExec(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** utime+stime (seconds) and RSS (bytes) of one pid, or undefined when it is gone. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rss = Number(fields[21]) * PAGE;
    return { cpu, rss };
  } catch {
    return undefined;
  }
}

/** VmRSS from /proc/<pid>/status (bytes). */
export function vmRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Pids whose command name is one of `names` (PostgreSQL, Redis, RabbitMQ: shared with other users!). */
export function pidsByName(names) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

export const INFRA = { postgres: ['postgres'], redis: ['redis-server'], rabbitmq: ['beam.smp'] };

/** CPU seconds of every infrastructure process right now (processes may come and go between reads). */
export function infraCpu() {
  const out = {};
  for (const [name, comms] of Object.entries(INFRA)) {
    const perPid = {};
    for (const pid of pidsByName(comms)) {
      const s = procStat(pid);
      if (s) perPid[pid] = s.cpu;
    }
    out[name] = perPid;
  }
  return out;
}

/** CPU seconds used between two infraCpu() readings (pids present in both, plus new ones in full). */
export function infraDelta(before, after) {
  const out = {};
  for (const name of Object.keys(after)) {
    let sum = 0;
    for (const [pid, cpu] of Object.entries(after[name])) sum += cpu - (before[name]?.[pid] ?? 0);
    out[name] = Math.max(0, sum);
  }
  return out;
}

/**
 * Spawns `node [nodeArgs] script` with an inspector on a free port, waits for `readyUrl` (200), and
 * returns {pid, url, gc(), stop()}. gc() asks V8 for a full collection through the inspector.
 */
export async function spawnNode(name, script, env, { port, readyPath = '/health/ready', timeoutMs = 40_000 } = {}) {
  const listen = port ?? (await freePort());
  const inspectPort = await freePort();
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, script], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env, PORT: String(listen) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) {
      if (
        line &&
        !/Debugger listening|Debugger ending|For help, see|Debugger attached|Waiting for the debugger/.test(line)
      ) {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    }
  });
  const url = `http://127.0.0.1:${listen}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(url + readyPath)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    name,
    url,
    port: listen,
    pid: child.pid,
    child,
    gc: () => inspectorGc(inspectPort),
    async stop() {
      // Gone already (a signal leaves exitCode null): stopping twice must not wait for an exit.
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** HeapProfiler.collectGarbage over the inspector protocol (twice: weak refs need a second pass). */
export async function inspectorGc(port) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await once(ws, 'open');
  let id = 0;
  const send = (method) =>
    new Promise((resolve) => {
      const my = ++id;
      const onMessage = (raw) => {
        const msg = JSON.parse(raw.toString());
        if (msg.id === my) {
          ws.off('message', onMessage);
          resolve(msg);
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: my, method }));
    });
  await send('HeapProfiler.collectGarbage');
  await send('HeapProfiler.collectGarbage');
  ws.close();
}
