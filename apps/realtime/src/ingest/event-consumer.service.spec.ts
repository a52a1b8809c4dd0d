import { randomUUID } from 'node:crypto';
import type { Delivery, EventConsumerSource } from '@tandem/messaging';
import { MetricsRegistry } from '@tandem/platform';
import type { FanoutService } from '../delivery/fanout.service.js';
import type { OrderOwners } from '../delivery/order-owners.js';
import type { EventHistory } from '../history/event-history.js';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import type { RealtimeSettings } from '../realtime.config.js';
import { EventConsumerService } from './event-consumer.service.js';
import type { ProcessedEvents } from './processed-events.js';

const envelope = (occurredAt: string) => ({
  id: randomUUID(),
  type: 'inventory.changed',
  channels: [`product:${randomUUID()}`],
  offset: 7,
  occurredAt,
  data: { productId: randomUUID(), stock: 3, delta: -1 },
});

function delivery(value: unknown): Delivery & { acked: number } {
  const d = {
    body: Buffer.from(JSON.stringify(value)),
    deliveryCount: 0,
    acked: 0,
    ack: () => {
      d.acked += 1;
    },
    nack: () => undefined,
  };
  return d;
}

function consumer(claim: boolean) {
  const registry = new MetricsRegistry();
  const metrics = new RealtimeMetrics(registry);
  const published: unknown[] = [];
  const service = new EventConsumerService(
    { BROKER_MAX_MESSAGE_BYTES: 256 * 1024, BROKER_MAX_ATTEMPTS: 3 } as RealtimeSettings,
    {} as EventConsumerSource,
    false,
    { record: async () => undefined } as unknown as EventHistory,
    { claim: async () => claim, release: async () => undefined } as unknown as ProcessedEvents,
    { remember: async () => undefined } as unknown as OrderOwners,
    { publish: (e: unknown) => published.push(e) } as unknown as FanoutService,
    metrics,
  );
  const counts = async () => {
    const metric = await registry.getSingleMetric('realtime_ingest_step_seconds')!.get();
    return Object.fromEntries(
      metric.values
        .filter((v) => (v as { metricName?: string }).metricName === 'realtime_ingest_step_seconds_count')
        .map((v) => [v.labels.step, v.value]),
    );
  };
  return { service, published, counts };
}

describe('EventConsumerService step timing (docs/realtime.md, "Metrics")', () => {
  it('observes every step of the push path once per handled event', async () => {
    const { service, published, counts } = consumer(true);
    const d = delivery(envelope(new Date(Date.now() - 5).toISOString()));
    await service.handle(d, performance.now());
    expect(published).toHaveLength(1);
    expect(d.acked).toBe(1);
    expect(await counts()).toEqual({ broker: 1, queue: 1, claim: 1, record: 1, emit: 1 });
  });

  it('skips the broker step when occurredAt is ahead of this clock, and times nothing for a duplicate', async () => {
    const ahead = consumer(true);
    await ahead.service.handle(delivery(envelope(new Date(Date.now() + 60_000).toISOString())));
    expect(await ahead.counts()).toEqual({ queue: 1, claim: 1, record: 1, emit: 1 });

    const duplicate = consumer(false);
    await duplicate.service.handle(delivery(envelope(new Date().toISOString())));
    expect(duplicate.published).toHaveLength(0);
    expect(await duplicate.counts()).toEqual({});
  });
});
