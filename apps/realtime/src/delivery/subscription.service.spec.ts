import { randomUUID } from 'node:crypto';
import type { Channel, EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { MetricsRegistry } from '@tandem/platform';
import { MemoryEventHistory } from '../history/memory-event-history.js';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { RealtimeSettings } from '../realtime.config.js';
import { ClientRegistry } from './client-registry.service.js';
import { Subscriber } from './subscriber.js';
import { SubscriptionService } from './subscription.service.js';

class StreamClient extends Subscriber {
  readonly transport = 'sse';
  written: number[] = [];
  notices: { event: string; notice: unknown }[] = [];
  protected write(envelope: EventEnvelope): void {
    this.written.push(envelope.offset);
  }
  notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void {
    this.notices.push({ event, notice });
  }
  close(): void {}
}

function event(channels: Channel[], offset: number): EventEnvelope {
  const data = { productId: randomUUID(), stock: 1, delta: -1, version: offset };
  return { id: randomUUID(), type: 'inventory.changed', channels, offset, occurredAt: new Date().toISOString(), data };
}

describe('SubscriptionService (join, replay from history, release)', () => {
  let registry: ClientRegistry;
  let history: MemoryEventHistory;
  let subscriptions: SubscriptionService;

  const setup = (replayMax = 500) => {
    const metrics = new RealtimeMetrics(new MetricsRegistry());
    registry = new ClientRegistry(metrics);
    history = new MemoryEventHistory({ maxEvents: 100, maxAgeMs: 3_600_000 });
    const settings = Object.assign(new RealtimeSettings(), { REPLAY_MAX_EVENTS: replayMax });
    subscriptions = new SubscriptionService(settings, history, registry, metrics);
  };
  const client = () => {
    const c = new StreamClient(randomUUID(), '127.0.0.1', { seenIds: 64, maxBuffered: 64 });
    registry.add(c);
    return c;
  };

  beforeEach(() => setup());

  it('joins the channel and replays what came after `since`, oldest first', async () => {
    for (const offset of [1, 2, 3]) await history.record(event(['catalog'], offset));
    const c = client();
    expect(await subscriptions.subscribe(c, 'catalog', 1)).toBe(true);
    expect(c.written).toEqual([2, 3]);
    expect(registry.inChannels(['catalog'])).toContain(c);
  });

  it('without `since` joins and replays nothing', async () => {
    await history.record(event(['catalog'], 1));
    const c = client();
    expect(await subscriptions.subscribe(c, 'catalog', undefined)).toBe(true);
    expect(c.written).toEqual([]);
  });

  it('merges the replays of several channels in offset order, each event once', async () => {
    await history.record(event(['catalog', 'product:a'], 1));
    await history.record(event(['product:b'], 2));
    await history.record(event(['catalog'], 3));
    const c = client();
    let ready = false;
    const lost = await subscriptions.subscribeMany(c, ['catalog', 'product:a', 'product:b'], 0, () => (ready = true));
    expect(ready).toBe(true);
    expect(lost).toEqual([]);
    expect(c.written).toEqual([1, 2, 3]);
  });

  it('reports a channel whose replay is longer than REPLAY_MAX_EVENTS as lost and sends none of it', async () => {
    setup(2);
    for (const offset of [1, 2, 3, 4]) await history.record(event(['catalog'], offset));
    await history.record(event(['product:a'], 5));
    const c = client();
    expect(await subscriptions.subscribeMany(c, ['catalog', 'product:a'], 0)).toEqual(['catalog']);
    expect(c.written).toEqual([5]);
  });

  it('resync replays every client from `since` and names the channels it cannot recover', async () => {
    setup(1);
    const c = client();
    await subscriptions.subscribe(c, 'catalog', undefined);
    await subscriptions.subscribe(c, 'product:a', undefined);
    for (const offset of [1, 2]) await history.record(event(['catalog'], offset));
    await history.record(event(['product:a'], 3));
    expect(await subscriptions.resync(0)).toBe(1);
    expect(c.written).toEqual([3]);
    expect(c.notices).toEqual([{ event: 'resync', notice: { channels: ['catalog'] } }]);
  });
});
