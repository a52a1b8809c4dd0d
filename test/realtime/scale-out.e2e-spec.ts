import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket as TcpSocket } from 'node:net';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import type { EventEnvelope, SubscribeAck } from '@tandem/contracts';
import type { RabbitMqBroker } from '@tandem/messaging';
import { ConnectionSlots } from '../../apps/realtime/src/delivery/connection-slots.js';
import type { RealtimeSettings } from '../../apps/realtime/src/realtime.config.js';
import { SocketScaleOutService } from '../../apps/realtime/src/transports/socket/socket-scale-out.service.js';
import {
  connect,
  emitAck,
  envelope,
  isolation,
  publisher,
  record,
  REDIS_URL,
  sleep,
  startRealtime,
  TestIssuer,
  waitFor,
  deleteQueues,
} from '../support/realtime.js';
import type { Client, RealtimeFixture } from '../support/realtime.js';

/** A load balancer stand-in: forwards TCP to whichever replica is the current target. */
class TcpProxy {
  target = 0;
  url = '';
  private readonly server: Server;
  private readonly open = new Set<TcpSocket>();

  constructor() {
    this.server = createServer((client) => {
      const upstream = new (client.constructor as typeof TcpSocket)();
      upstream.connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.open.add(socket);
        socket.on('close', () => this.open.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const portOf = (url: string) => Number(new URL(url).port);

/** Two (then three) replicas sharing Redis and one queue: they behave as one gateway. */
describe('realtime gateway scale-out (replicas sharing Redis)', () => {
  const names = isolation();
  let issuer: TestIssuer;
  let broker: RabbitMqBroker;
  let a: RealtimeFixture;
  let b: RealtimeFixture;
  let proxy: TcpProxy;
  const sockets: Client[] = [];
  const env = () => ({ ...names, AUTH_JWKS_URL: issuer.url, REDIS_URL, SHUTDOWN_DRAIN_MS: '1000' });
  const open = async (url: string) => {
    const socket = await connect(url);
    sockets.push(socket);
    return socket;
  };
  const product = () => `product:${randomUUID()}` as const;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = publisher();
    [a, b] = await Promise.all([startRealtime(env()), startRealtime(env())]);
    proxy = new TcpProxy();
    await proxy.start();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await proxy?.close();
    await Promise.all([a?.close().catch(() => undefined), b?.close()]);
    await broker?.close();
    await issuer?.close();
    await deleteQueues(names.REALTIME_QUEUE);
  });

  async function consumedBy(app: RealtimeFixture): Promise<number> {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    return Number(/realtime_events_consumed_total\{result="handled"\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  it('delivers every event exactly once to a client on each replica, whichever replica consumed it', async () => {
    const channel = product();
    const onA = await open(a.url);
    const onB = await open(b.url);
    const seenA = record(onA);
    const seenB = record(onB);
    for (const socket of [onA, onB]) await emitAck(socket, 'subscribe', { channel });
    const before = [await consumedBy(a), await consumedBy(b)];
    const events = Array.from({ length: 20 }, (_, v) => envelope('product.updated', [channel, 'catalog'], { v }));
    for (const event of events) await broker.publish(event);
    await waitFor(() => seenA.length >= 20 && seenB.length >= 20, 5000, 'all events on both replicas');
    await sleep(200);
    const ids = events.map((e) => e.id).sort();
    expect(seenA.map((e) => e.id).sort()).toEqual(ids);
    expect(seenB.map((e) => e.id).sort()).toEqual(ids);
    // One active consumer handled every event once; the other replica only delivered.
    const after = [await consumedBy(a), await consumedBy(b)];
    expect([after[0]! - before[0]!, after[1]! - before[1]!].sort()).toEqual([0, 20]);
    // …in offset order on both replicas, so one offset is enough to resume.
    const offsets = events.map((e) => e.offset);
    expect(seenA.map((e) => e.offset)).toEqual(offsets);
    expect(seenB.map((e) => e.offset)).toEqual(offsets);
  });

  it('replays what a replica missed while its Redis subscription was down', async () => {
    const channel = product();
    // Only events consumed by the other replica travel through Redis: find which one is standing by.
    const before = [await consumedBy(a), await consumedBy(b)];
    const warmup = envelope('product.updated', [channel], { v: -1 });
    await broker.publish(warmup);
    const total = async () => (await consumedBy(a)) + (await consumedBy(b));
    await waitFor(async () => (await total()) > before[0]! + before[1]!, 3000, 'warm-up consumed');
    const passive = (await consumedBy(a)) > before[0]! ? b : a;
    const onPassive = await open(passive.url);
    const seen = record(onPassive);
    await emitAck(onPassive, 'subscribe', { channel, since: warmup.offset - 1 });
    await waitFor(() => seen.length === 1, 3000, 'warm-up event');
    const scaleOut = passive.app.get(SocketScaleOutService);
    const redis = new Redis(REDIS_URL);
    const clients = (await redis.client('LIST')) as string;
    const id = new RegExp(`id=(\\d+) .*name=${scaleOut.subscriberName} `).exec(clients)?.[1];
    expect(id).toBeDefined();
    await redis.client('KILL', 'ID', id!);
    await redis.quit();
    const events = Array.from({ length: 10 }, (_, v) => envelope('product.updated', [channel], { v }));
    for (const event of events) await broker.publish(event);
    await waitFor(() => seen.length >= 11, 8000, `all events after resync (got ${seen.length})`);
    // The subscription really dropped and came back: the clients of this replica were replayed.
    expect(await scaleOut.resyncing).toBeGreaterThanOrEqual(1);
    await sleep(200);
    expect(seen.map((e) => e.id).sort()).toEqual([warmup, ...events].map((e) => e.id).sort());
  });

  it('drains a closing replica gradually; its clients reconnect to the other and miss nothing with since', async () => {
    const channel = product();
    proxy.target = portOf(a.url);
    const received: EventEnvelope[][] = [];
    const disconnects: number[] = [];
    const clients = await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        const seen: EventEnvelope[] = [];
        received[index] = seen;
        let last: number | undefined;
        const socket = io(proxy.url, {
          transports: ['websocket'],
          forceNew: true,
          reconnectionDelay: 100,
          reconnectionDelayMax: 200,
          randomizationFactor: 0,
        });
        sockets.push(socket);
        socket.on('product.updated', (event: EventEnvelope) => {
          seen.push(event);
          last = event.offset;
        });
        socket.on('disconnect', () => disconnects.push(Date.now()));
        socket.on('connect', () => {
          void emitAck<SubscribeAck>(socket, 'subscribe', last === undefined ? { channel } : { channel, since: last });
        });
        await waitFor(() => socket.connected, 3000, 'client connected');
        await sleep(100); // subscribed
        return socket;
      }),
    );
    const first = envelope('product.updated', [channel], { v: 0 });
    await broker.publish(first);
    await waitFor(() => received.every((seen) => seen.length === 1), 3000, 'first event everywhere');
    proxy.target = portOf(b.url); // the load balancer now routes to b
    const closing = a.close();
    const during = Array.from({ length: 5 }, (_, v) => envelope('product.updated', [channel], { v: v + 1 }));
    for (const event of during) {
      await broker.publish(event);
      await sleep(100);
    }
    await closing;
    const last = envelope('product.updated', [channel], { v: 99 });
    await broker.publish(last);
    const expected = [first, ...during, last].map((e) => e.id);
    await waitFor(() => received.every((seen) => seen.length >= expected.length), 8000, 'every event on every client');
    await sleep(200);
    for (const seen of received) expect(seen.map((e) => e.id)).toEqual(expected);
    expect(disconnects).toHaveLength(8);
    expect(Math.max(...disconnects) - Math.min(...disconnects)).toBeGreaterThanOrEqual(500); // spread, not a storm
    expect(clients.every((socket) => socket.connected)).toBe(true);
  });
});

/** The connection caps' leases in a real Redis (docs/realtime.md, "Limits"). */
describe('ConnectionSlots in Redis', () => {
  const names = isolation();
  const settings = { REALTIME_REDIS_PREFIX: names.REALTIME_REDIS_PREFIX, SLOT_LEASE_SECONDS: 60 } as RealtimeSettings;
  let redis: Redis;
  let slots: ConnectionSlots;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    slots = new ConnectionSlots(settings, redis);
  });

  afterAll(() => {
    slots.onModuleDestroy();
    redis.disconnect();
  });

  it('renews the leases of live holders (re-adding any Redis lost), never those released', async () => {
    const key = `${names.REALTIME_REDIS_PREFIX}slots:user:u1`;
    const kept = (await slots.acquire('user:u1', 'kept', 5))!;
    const gone = (await slots.acquire('user:u1', 'gone', 5))!;
    expect(kept).toBeDefined();
    await redis.zadd(key, 1, 'kept'); // a lease about to lapse
    slots.release(gone);
    await slots.renew();
    expect(Number(await redis.zscore(key, 'kept'))).toBeGreaterThan(Date.now());
    expect(await redis.zscore(key, 'gone')).toBeNull();
    await redis.del(key); // Redis flushed: the live holder counts again after the next renewal
    await slots.renew();
    expect(await redis.zcard(key)).toBe(1);
    slots.release(kept);
    await waitFor(async () => (await redis.zcard(key)) === 0, 2000, 'released in Redis');
  });
});
