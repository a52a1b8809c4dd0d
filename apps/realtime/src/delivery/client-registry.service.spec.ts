import { jest } from '@jest/globals';
import type { EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { MetricsRegistry } from '@tandem/platform';
import type { Principal } from '@tandem/security';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { ClientRegistry } from './client-registry.service.js';
import { Subscriber } from './subscriber.js';

class FakeClient extends Subscriber {
  constructor(
    id: string,
    readonly transport: 'socket' | 'sse' = 'socket',
  ) {
    super(id, '127.0.0.1', { seenIds: 16, maxBuffered: 16 });
  }
  protected write(): void {}
  notify<N extends keyof GatewayNoticeMap>(_event: N, _notice: GatewayNoticeMap[N]): void {}
  close(): void {}
}

const alice: Principal = { id: 'alice', sid: 's1', roles: ['customer'], exp: 0 };

async function gauge(metrics: RealtimeMetrics, name: 'connectedSockets' | 'sseStreams' | 'subscriptions') {
  return (await metrics[name].get()).values[0]?.value ?? 0;
}

describe('ClientRegistry', () => {
  let metrics: RealtimeMetrics;
  let registry: ClientRegistry;

  beforeEach(() => {
    metrics = new RealtimeMetrics(new MetricsRegistry());
    registry = new ClientRegistry(metrics);
  });

  it('leaving a conflated channel and removing the client clear the conflation timer', () => {
    jest.useFakeTimers();
    try {
      const envelope = (offset: number): EventEnvelope => ({
        id: `e${offset}`,
        type: 'inventory.changed',
        channels: ['catalog'],
        offset,
        occurredAt: '2026-12-01T00:00:00Z',
        data: { productId: 'p1', stock: 1, delta: -1, version: offset },
      });
      for (const end of ['unsubscribe', 'disconnect'] as const) {
        const client = new FakeClient(end);
        registry.add(client);
        registry.join(client, 'catalog');
        client.conflateChannel('catalog', 100);
        client.offer(envelope(1));
        client.offer(envelope(2));
        expect(jest.getTimerCount()).toBe(1);
        expect(client.heldCount).toBe(1);
        if (end === 'unsubscribe') registry.leave(client, 'catalog');
        else registry.remove(client);
        expect(jest.getTimerCount()).toBe(0);
        expect(client.heldCount).toBe(0);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('indexes clients by id, user, session and channel, and counts them', async () => {
    const socket = new FakeClient('a');
    const stream = new FakeClient('b', 'sse');
    registry.identify(socket, alice, 't1');
    registry.identify(stream, alice, 't1');
    registry.add(socket);
    registry.add(stream);
    registry.join(socket, 'catalog');
    registry.join(stream, 'catalog');
    registry.join(stream, 'product:1');

    expect(registry.get('a')).toBe(socket);
    expect([...registry.inChannels(['catalog', 'product:1'])]).toEqual([socket, stream]);
    expect(registry.ofSession('s1')).toEqual([socket, stream]);
    expect(registry.socketsOfUser('alice')).toBe(1); // SSE streams do not count against the socket cap
    expect(await gauge(metrics, 'connectedSockets')).toBe(1);
    expect(await gauge(metrics, 'sseStreams')).toBe(1);
    expect(await gauge(metrics, 'subscriptions')).toBe(3);
  });

  it('counts a channel once per client', async () => {
    const client = new FakeClient('a');
    registry.add(client);
    expect(registry.join(client, 'catalog')).toBe(true);
    expect(registry.join(client, 'catalog')).toBe(false);
    registry.leave(client, 'catalog');
    registry.leave(client, 'catalog');
    expect(await gauge(metrics, 'subscriptions')).toBe(0);
    expect(registry.inChannels(['catalog']).size).toBe(0);
  });

  it('forgets everything about a removed client and clears its expiry timer', async () => {
    jest.useFakeTimers();
    try {
      const client = new FakeClient('a');
      const fired = jest.fn();
      registry.identify(client, alice, 't1');
      registry.add(client);
      registry.join(client, 'catalog');
      client.expiry = setTimeout(fired, 1000);
      registry.remove(client);
      jest.advanceTimersByTime(2000);

      expect(fired).not.toHaveBeenCalled();
      expect(registry.get('a')).toBeUndefined();
      expect(registry.all()).toEqual([]);
      expect(registry.ofSession('s1')).toEqual([]);
      expect(registry.socketsOfUser('alice')).toBe(0);
      expect(registry.inChannels(['catalog']).size).toBe(0);
      expect(await gauge(metrics, 'connectedSockets')).toBe(0);
      expect(await gauge(metrics, 'subscriptions')).toBe(0);
      registry.remove(client); // twice is harmless
      expect(await gauge(metrics, 'connectedSockets')).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('moves a registered client to its new session when its token is swapped', () => {
    const client = new FakeClient('a');
    registry.identify(client, alice, 't1');
    registry.add(client);
    registry.identify(client, { ...alice, sid: 's2' }, 't2');
    expect(registry.ofSession('s1')).toEqual([]);
    expect(registry.ofSession('s2')).toEqual([client]);
    expect(client.token).toBe('t2');
  });

  it('does not index a channel for a client that is gone (it closed while subscribing)', async () => {
    const client = new FakeClient('a');
    registry.add(client);
    registry.remove(client);
    expect(registry.join(client, 'catalog')).toBe(false);
    expect(registry.inChannels(['catalog']).size).toBe(0);
    expect(await gauge(metrics, 'subscriptions')).toBe(0);
  });

  it('refuses new clients once draining', () => {
    expect(registry.accepting).toBe(true);
    registry.draining = true;
    expect(registry.accepting).toBe(false);
  });
});
