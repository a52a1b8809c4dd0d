import type { AnyEnvelope } from '@tandem/contracts';
import { InProcessBroker } from './in-process.broker.js';

const envelope = (offset: number): AnyEnvelope =>
  ({
    id: `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`,
    type: 'inventory.changed',
    channels: ['catalog'],
    occurredAt: '2026-12-01T00:00:00.000Z',
    offset,
    data: { productId: 'p', stock: offset, delta: -1 },
  }) as AnyEnvelope;

const options = { queue: 'q', bindings: ['#'], prefetch: 10 };

describe('InProcessBroker', () => {
  it('delivers what is published to every consumer, in order, as JSON bodies', async () => {
    const broker = new InProcessBroker();
    const a: number[] = [];
    const b: number[] = [];
    await broker.consume(options, async (delivery) => {
      a.push((JSON.parse(delivery.body.toString()) as { offset: number }).offset);
      delivery.ack();
    });
    await broker.consume(options, async (delivery) => {
      b.push((JSON.parse(delivery.body.toString()) as { offset: number }).offset);
    });
    for (const offset of [1, 2, 3]) await broker.publish(envelope(offset));
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2, 3]);
    expect(broker.isConnected()).toBe(true);
    await broker.close();
  });

  it('stops delivering after cancel, and after close', async () => {
    const broker = new InProcessBroker();
    const seen: string[] = [];
    await broker.consume(options, async (delivery) => {
      seen.push(delivery.body.toString());
    });
    await broker.publish(envelope(1));
    await broker.cancel();
    await broker.publish(envelope(2));
    await broker.close();
    await broker.publish(envelope(3));
    expect(seen).toHaveLength(1);
  });
});
