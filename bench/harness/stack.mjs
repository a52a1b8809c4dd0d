// The real Tandem stack for the benchmark: auth, commerce, one then two realtime replicas, on this
// machine's PostgreSQL, Redis and RabbitMQ; a RabbitMQ vhost of its own so that other people's
// tests on the shared broker neither see our events nor send us theirs; counting proxies.
import { execFileSync, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { BROKER_URL, REDIS_URL, call, createDatabase, signingKey } from '../lib.mjs';
import { spawnNode } from './procs.mjs';
import { wallNow } from './clock.mjs';

const dist = (app) => `dist/apps/${app}/apps/${app}/src/main.js`;

function rabbitctl(args) {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** A fresh vhost when rabbitmqctl is usable here; otherwise the default vhost (noisier). */
function createVhost() {
  const name = `tandem-bench-${randomBytes(3).toString('hex')}`;
  try {
    rabbitctl(['add_vhost', name]);
    rabbitctl(['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
    const url = new URL(BROKER_URL);
    url.pathname = `/${encodeURIComponent(name)}`;
    return { url: url.toString(), name, drop: () => rabbitctl(['delete_vhost', name]) };
  } catch (error) {
    console.warn(`bench: no private RabbitMQ vhost (${error.message.split('\n')[0]}); using the default one`);
    return { url: BROKER_URL, name: '/', drop: () => undefined };
  }
}

/** The counting proxy process and its IPC. */
export async function startProxy() {
  const child = fork(new URL('./proxy.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const waiting = new Map();
  child.on('message', (msg) => {
    waiting.get(msg.seq)?.(msg);
    waiting.delete(msg.seq);
  });
  const ask = (msg) =>
    new Promise((resolve) => {
      const my = ++seq;
      waiting.set(my, resolve);
      child.send({ ...msg, seq: my });
    });
  return {
    pid: child.pid,
    /** Returns the base URL of a new proxy port forwarding to `url`. */
    async front(url, delayMs = 0) {
      const { port } = await ask({ cmd: 'listen', target: Number(new URL(url).port), delayMs });
      return `http://127.0.0.1:${port}`;
    },
    async counts() {
      return (await ask({ cmd: 'counts' })).counts;
    },
    stop() {
      if (child.connected) child.disconnect();
    },
  };
}

/** Sums bytes (both directions) over proxy ports between two counts() readings. */
export function bytesBetween(before, after, urls) {
  let up = 0;
  let down = 0;
  for (const url of urls) {
    const port = new URL(url).port;
    up += (after[port]?.up ?? 0) - (before[port]?.up ?? 0);
    down += (after[port]?.down ?? 0) - (before[port]?.down ?? 0);
  }
  return { up, down, total: up + down };
}

/**
 * Records when each event reaches the broker: an exclusive queue bound to every type, beside the
 * gateway's. Arrival time ≈ when the gateway's queue got it too (same exchange, same routing).
 */
export async function brokerTap(brokerUrl) {
  const conn = await amqplib.connect(brokerUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange('tandem.events', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, 'tandem.events', '#');
  const seen = new Map();
  await ch.consume(
    queue,
    (msg) => {
      if (!msg) return;
      try {
        const env = JSON.parse(msg.content.toString());
        seen.set(env.id, wallNow());
      } catch {
        // not an envelope
      }
    },
    { noAck: true },
  );
  const sweep = setInterval(() => {
    const old = wallNow() - 120_000;
    for (const [id, t] of seen) {
      if (t < old) seen.delete(id);
      else break;
    }
  }, 10_000);
  return {
    at: (id) => seen.get(id),
    async close() {
      clearInterval(sweep);
      await conn.close().catch(() => undefined);
    },
  };
}

export async function startStack({ users }) {
  const cleanup = [];
  const stack = { cleanup, replicas: [] };
  try {
    const vhost = createVhost();
    cleanup.push(async () => vhost.drop());
    stack.vhost = vhost.name;
    stack.brokerUrl = vhost.url;
    const authDb = await createDatabase('auth');
    cleanup.push(() => authDb.drop());
    const commerceDb = await createDatabase('commerce');
    cleanup.push(() => commerceDb.drop());
    const admin = { email: 'bench-admin@example.test', password: `bench-${randomUUID()}` };
    const key = signingKey();

    const auth = await spawnNode('auth', dist('auth'), {
      DATABASE_URL: authDb.url,
      JWT_PRIVATE_KEY: key,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      BROKER_URL: vhost.url,
      MIGRATIONS_RUN: 'true',
      ACCESS_TOKEN_TTL: '3600',
      AUTH_REQUESTS_PER_IP_PER_MINUTE: '10000000',
    });
    cleanup.push(() => auth.stop());
    const jwks = `${auth.url}/api/v1/auth/jwks`;
    stack.signingKey = key;
    stack.commerceDbUrl = commerceDb.url;
    stack.commerceEnv = {
      DATABASE_URL: commerceDb.url,
      BROKER_URL: vhost.url,
      AUTH_JWKS_URL: jwks,
      MIGRATIONS_RUN: 'true',
      REQUESTS_PER_IP_PER_MINUTE: '100000000',
      // One generator user places (and the admin ships) far more than a customer would.
      REQUESTS_PER_USER_PER_MINUTE: '100000000',
      MAX_PENDING_ORDERS_PER_USER: '100000000',
      // More connections than the default for the closed-loop order runs (up to 64 clients per
      // replica), within PostgreSQL's max_connections (100 here) for two replicas and auth.
      DATABASE_POOL_SIZE: '24',
    };
    const commerce = await spawnNode('commerce', dist('commerce'), stack.commerceEnv);
    cleanup.push(() => commerce.stop());
    const tag = randomBytes(3).toString('hex');
    stack.realtimeEnv = {
      BROKER_URL: vhost.url,
      REDIS_URL,
      AUTH_JWKS_URL: jwks,
      COMMERCE_URL: commerce.url,
      REALTIME_QUEUE: `bench.realtime.${tag}`,
      REALTIME_REDIS_PREFIX: `bench:rt:${tag}:`,
      // The limits protect production from abusive clients; the generator is one IP with many users.
      SOCKET_MESSAGES_PER_SECOND: '100000',
      IP_MESSAGES_PER_SECOND: '100000000',
      MAX_CONNECTIONS_PER_USER: '100000',
      MAX_ANONYMOUS_CONNECTIONS_PER_IP: '100000',
      MAX_SSE_STREAMS_PER_IP: '100000',
      SSE_REQUESTS_PER_MINUTE: '100000000',
      SOCKET_REPLAYS_PER_MINUTE: '100000000',
      SHUTDOWN_DRAIN_MS: '0',
    };
    stack.auth = auth;
    stack.commerce = commerce;
    const proxy = await startProxy();
    cleanup.push(async () => proxy.stop());
    stack.proxy = proxy;
    stack.commerceProxy = await proxy.front(commerce.url);
    await addReplica(stack);
    stack.tap = await brokerTap(vhost.url);
    cleanup.push(() => stack.tap.close());

    stack.adminToken = (await call(auth.url, 'POST', '/api/v1/auth/login', { body: admin })).body.accessToken;
    stack.users = [];
    const queue = Array.from({ length: users }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const session = (
            await call(auth.url, 'POST', '/api/v1/auth/register', {
              body: { email: `bench-${i}-${tag}@example.test`, password: 'bench-password-1' },
            })
          ).body;
          stack.users[i] = { index: i, id: session.user.id, token: session.accessToken };
        }
      }),
    );
    return stack;
  } catch (error) {
    await stopStack(stack);
    throw error;
  }
}

/** Starts one more realtime replica (same queue, same Redis prefix: one gateway), behind the proxy. */
export async function addReplica(stack) {
  const n = stack.replicas.length;
  const rt = await spawnNode(`realtime-${String.fromCharCode(97 + n)}`, dist('realtime'), stack.realtimeEnv);
  stack.cleanup.push(() => rt.stop());
  rt.proxied = stack.proxy ? await stack.proxy.front(rt.url) : undefined;
  stack.replicas.push(rt);
  return rt;
}

/**
 * Starts one more commerce replica on the same database (migrations already ran), optionally with
 * another DATABASE_URL (the delay proxy). Returns the process; the caller stops it.
 */
export async function addCommerce(stack, name, env = {}) {
  const rep = await spawnNode(name, dist('commerce'), { ...stack.commerceEnv, MIGRATIONS_RUN: 'false', ...env });
  stack.cleanup.push(() => rep.stop());
  return rep;
}

export async function stopStack(stack) {
  for (const fn of stack.cleanup.reverse()) {
    try {
      await fn();
    } catch (error) {
      console.warn(`bench: cleanup: ${error.message}`);
    }
  }
}
