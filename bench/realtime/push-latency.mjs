#!/usr/bin/env node
// Push benchmark of the realtime gateway: N sockets across two replicas sharing Redis,
// events published to RabbitMQ, latency from broker publish to client receipt.
//
//   npx nest build realtime
//   node bench/realtime/push-latency.mjs --sockets 1000 --events 200 --rate 50
//
// Needs RabbitMQ (BENCH_BROKER_URL, default amqp://guest:guest@127.0.0.1:5672) and Redis
// (BENCH_REDIS_URL, default redis://127.0.0.1:6379). Not part of npm test.
import { spawn } from 'node:child_process';
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import amqplib from 'amqplib';
import { io } from 'socket.io-client';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split('--')
    .filter(Boolean)
    .map((part) => part.trim().split(/\s+/)),
);
const SOCKETS = Number(args.sockets ?? 1000);
const EVENTS = Number(args.events ?? 200);
const RATE = Number(args.rate ?? 50); // events per second
const BROKER_URL = process.env.BENCH_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN = 'dist/apps/realtime/apps/realtime/src/main.js';
const tag = randomBytes(4).toString('hex');
const ports = [3103 + Math.floor(Math.random() * 500), 3703 + Math.floor(Math.random() * 500)];

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

async function startReplica(port) {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      BROKER_URL,
      REDIS_URL,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks', // anonymous sockets only: never fetched
      REALTIME_QUEUE: `bench.realtime.${tag}`,
      REALTIME_REDIS_PREFIX: `bench:rt:${tag}:`,
      // every bench socket comes from 127.0.0.1
      IP_MESSAGES_PER_SECOND: '100000',
      MAX_ANONYMOUS_CONNECTIONS_PER_IP: '100000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`replica on ${port} did not become ready`);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const replicas = await Promise.all(ports.map(startReplica));
// Never leave replicas behind when the bench fails.
process.on('unhandledRejection', (error) => {
  console.error('bench failed:', error);
  for (const child of replicas) child.kill('SIGTERM');
  process.exit(1);
});
const baseline = replicas.map((child) => rssKb(child.pid));
const channel = `product:${randomUUID()}`;
const latencies = [];
let received = 0;
let lastReceipt = 0;
const sockets = [];

console.log(`opening ${SOCKETS} sockets across ${ports.join(', ')} …`);
const connectStart = Date.now();
for (let i = 0; i < SOCKETS; i += 1) {
  const socket = io(`http://127.0.0.1:${ports[i % 2]}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.on('product.updated', (event) => {
    const now = performance.timeOrigin + performance.now();
    latencies.push(now - event.data.sentAt);
    received += 1;
    lastReceipt = now;
  });
  sockets.push(
    new Promise((resolve, reject) => {
      socket.once('connect', () =>
        socket
          .timeout(10_000)
          .emit('subscribe', { channel }, (err, ack) => (err || !ack.ok ? reject(err ?? ack) : resolve(socket))),
      );
      socket.once('connect_error', reject);
    }),
  );
  if (i % 200 === 199) await sleep(50); // do not open everything in one burst
}
const clients = await Promise.all(sockets);
console.log(`connected and subscribed in ${Date.now() - connectStart} ms`);
await sleep(1000);
const loaded = replicas.map((child) => rssKb(child.pid));

const connection = await amqplib.connect(BROKER_URL);
const amqp = await connection.createConfirmChannel();
const firstPublish = performance.timeOrigin + performance.now();
for (let i = 1; i <= EVENTS; i += 1) {
  const sentAt = performance.timeOrigin + performance.now();
  const envelope = {
    id: randomUUID(),
    type: 'product.updated',
    channels: [channel, 'catalog'],
    offset: Date.now() * 100 + i,
    occurredAt: new Date(sentAt).toISOString(),
    data: {
      id: channel.slice(8),
      sentAt,
      sku: 'BENCH',
      name: 'Bench product',
      price: { amount: 100, currency: 'EUR' },
    },
  };
  amqp.publish('tandem.events', envelope.type, Buffer.from(JSON.stringify(envelope)), { persistent: true });
  await sleep(1000 / RATE);
}
await amqp.waitForConfirms();
const expected = EVENTS * SOCKETS;
const deadline = Date.now() + 30_000;
while (received < expected && Date.now() < deadline) await sleep(100);

latencies.sort((a, b) => a - b);
const seconds = (lastReceipt - firstPublish) / 1000;
const result = {
  sockets: SOCKETS,
  events: EVENTS,
  publishRatePerSecond: RATE,
  delivered: received,
  expected,
  lost: expected - received,
  latencyMs: {
    p50: Number(percentile(latencies, 50).toFixed(1)),
    p99: Number(percentile(latencies, 99).toFixed(1)),
    max: Number(latencies.at(-1).toFixed(1)),
  },
  deliveredPerSecond: Math.round(received / seconds),
  rssPerConnectionKb: Number(((loaded[0] - baseline[0] + loaded[1] - baseline[1]) / SOCKETS).toFixed(1)),
  replicaRssMb: loaded.map((kb) => Math.round(kb / 1024)),
};
console.log(JSON.stringify(result, null, 2));

for (const socket of clients) socket.close();
await connection.close();
for (const child of replicas) child.kill('SIGTERM');
await Promise.all(replicas.map((child) => new Promise((resolve) => child.once('exit', resolve))));
// The bench queue is its own; remove it.
const cleanup = await amqplib.connect(BROKER_URL);
const channelCleanup = await cleanup.createChannel();
await channelCleanup.deleteQueue(`bench.realtime.${tag}`);
await channelCleanup.deleteQueue(`bench.realtime.${tag}.dead`);
await cleanup.close();
