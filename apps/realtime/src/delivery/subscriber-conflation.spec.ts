import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Channel, EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { Subscriber } from './subscriber.js';

class RecordingClient extends Subscriber {
  readonly transport = 'sse';
  written: EventEnvelope[] = [];
  protected write(envelope: EventEnvelope): void {
    this.written.push(envelope);
  }
  notify<N extends keyof GatewayNoticeMap>(_event: N, _notice: GatewayNoticeMap[N]): void {}
  close(): void {}
  get offsets(): number[] {
    return this.written.map((envelope) => envelope.offset);
  }
}

let offset = 0;
function stock(productId: string, channels: Channel[] = [`product:${productId}`, 'catalog']): EventEnvelope {
  offset += 1;
  const data = { productId, stock: 100 - offset, delta: -1, version: offset };
  return { id: randomUUID(), type: 'inventory.changed', channels, offset, occurredAt: '2026-12-01T00:00:00Z', data };
}

function orderEvent(orderId: string, userId: string): EventEnvelope {
  offset += 1;
  const order = { id: orderId, version: offset } as unknown as EventEnvelope<'order.created'>['data'];
  const channels: Channel[] = [`user:${userId}`, `order:${orderId}`];
  return { id: randomUUID(), type: 'order.created', channels, offset, occurredAt: '2026-12-01T00:00:00Z', data: order };
}

function client(channels: Record<string, number | undefined>): RecordingClient {
  const c = new RecordingClient(randomUUID(), '127.0.0.1', { seenIds: 1000, maxBuffered: 100 });
  for (const [channel, ms] of Object.entries(channels)) {
    c.channels.add(channel);
    c.conflateChannel(channel, ms);
  }
  return c;
}

/** What a broadcast does with `accept`: writes what it may send now. */
function deliver(c: RecordingClient, envelope: EventEnvelope): void {
  c.offer(envelope);
}

describe('Subscriber conflation', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the first event at once, then one per entity and type per window: the newest', () => {
    const c = client({ catalog: 100 });
    const burst = Array.from({ length: 50 }, () => stock('p1', ['catalog']));
    for (const envelope of burst) deliver(c, envelope);
    expect(c.offsets).toEqual([burst[0]!.offset]);
    expect(c.heldCount).toBe(1);
    jest.advanceTimersByTime(100);
    expect(c.written.map((envelope) => envelope.id)).toEqual([burst[0]!.id, burst[49]!.id]);
    jest.advanceTimersByTime(1000); // nothing held: the window closes, no empty writes
    expect(c.written).toHaveLength(2);
    expect(c.heldCount).toBe(0);
  });

  it('keeps one per product, two products each their newest, written in offset order', () => {
    const c = client({ catalog: 200 });
    deliver(c, stock('p0', ['catalog'])); // opens the window
    const events = [stock('p1', ['catalog']), stock('p2', ['catalog']), stock('p1', ['catalog'])];
    const last = stock('p2', ['catalog']);
    for (const envelope of [...events, last]) deliver(c, envelope);
    jest.advanceTimersByTime(200);
    expect(c.offsets.slice(1)).toEqual([events[2]!.offset, last.offset]);
    expect(c.offsets).toEqual([...c.offsets].sort((a, b) => a - b));
  });

  it('keeps one event per type too: product.updated and inventory.changed of one product both arrive', () => {
    const c = client({ catalog: 100 });
    deliver(c, stock('p0', ['catalog']));
    const inventory = stock('p1', ['catalog']);
    offset += 1;
    const updated: EventEnvelope = {
      ...inventory,
      id: randomUUID(),
      type: 'product.updated',
      offset,
      data: { id: 'p1', version: offset } as unknown as EventEnvelope<'product.updated'>['data'],
    };
    deliver(c, inventory);
    deliver(c, updated);
    jest.advanceTimersByTime(100);
    expect(c.written.map((envelope) => envelope.type)).toEqual([
      'inventory.changed',
      'inventory.changed',
      'product.updated',
    ]);
  });

  it('an event on a channel taken unconflated writes what is held first, so offsets never go back', () => {
    const c = client({ catalog: 500, 'user:u1': undefined });
    deliver(c, stock('p0', ['catalog']));
    const held = stock('p1', ['catalog']);
    deliver(c, held);
    const order = orderEvent('o1', 'u1');
    deliver(c, order);
    expect(c.offsets).toEqual([held.offset - 1, held.offset, order.offset]);
    jest.advanceTimersByTime(500);
    expect(c.written).toHaveLength(3);
  });

  it('an event also on an unconflated channel of the client is sent at once', () => {
    const c = client({ catalog: 500, 'product:p1': undefined });
    deliver(c, stock('p2'));
    deliver(c, stock('p2')); // catalog only for this client: held
    const direct = stock('p1');
    deliver(c, direct);
    expect(c.offsets.at(-1)).toBe(direct.offset);
    expect(c.offsets).toHaveLength(3);
  });

  it('a replay writes what is held first', () => {
    const c = client({ catalog: 500 });
    deliver(c, stock('p0', ['catalog']));
    const held = stock('p1', ['catalog']);
    deliver(c, held);
    const replayed = stock('p9', ['product:p9']);
    c.replay(replayed);
    expect(c.offsets.slice(1)).toEqual([held.offset, replayed.offset]);
  });

  it('never writes an event twice, held or not', () => {
    const c = client({ catalog: 100 });
    const first = stock('p1', ['catalog']);
    deliver(c, first);
    deliver(c, first);
    const second = stock('p1', ['catalog']);
    deliver(c, second);
    jest.advanceTimersByTime(100);
    deliver(c, second);
    jest.advanceTimersByTime(100);
    expect(c.offsets).toEqual([first.offset, second.offset]);
  });

  it('leaving the channel drops what is held for it alone and clears the timer', () => {
    const c = client({ catalog: 100, 'product:p1': 100 });
    deliver(c, stock('p0', ['catalog']));
    deliver(c, stock('p2', ['catalog'])); // catalog only
    const both = stock('p1'); // product:p1 and catalog
    deliver(c, both);
    c.channels.delete('catalog');
    c.stopConflating('catalog');
    expect(c.heldCount).toBe(1); // the p1 event stays: the client still holds product:p1
    c.channels.delete('product:p1');
    c.stopConflating('product:p1');
    expect(c.heldCount).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(c.written).toHaveLength(1);
  });

  it('turning conflation off writes what is held and clears the timer', () => {
    const c = client({ catalog: 100 });
    deliver(c, stock('p0', ['catalog']));
    const held = stock('p1', ['catalog']);
    deliver(c, held);
    c.conflateChannel('catalog', undefined);
    expect(c.offsets.at(-1)).toBe(held.offset);
    expect(jest.getTimerCount()).toBe(0);
    const next = stock('p1', ['catalog']);
    deliver(c, next);
    expect(c.offsets.at(-1)).toBe(next.offset);
  });

  it('dispose (the client went away) clears the timer and what is held', () => {
    const c = client({ catalog: 100 });
    deliver(c, stock('p0', ['catalog']));
    deliver(c, stock('p1', ['catalog']));
    c.dispose();
    expect(jest.getTimerCount()).toBe(0);
    expect(c.heldCount).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(c.written).toHaveLength(1);
  });

  it('a client that conflates nothing sends every event at once and arms no timer', () => {
    const c = client({ catalog: undefined });
    for (let i = 0; i < 5; i += 1) deliver(c, stock('p1', ['catalog']));
    expect(c.written).toHaveLength(5);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('an event without entity and version is never conflated', () => {
    const c = client({ catalog: 100 });
    deliver(c, stock('p0', ['catalog']));
    offset += 1;
    const opaque = { ...stock('p1', ['catalog']), data: { v: 1 } } as unknown as EventEnvelope;
    deliver(c, opaque);
    expect(c.written.at(-1)).toBe(opaque);
  });

  it('counts what a window end wrote', () => {
    const c = client({ catalog: 100 });
    const counts: number[] = [];
    c.onConflatedWrite = (count) => counts.push(count);
    deliver(c, stock('p0', ['catalog']));
    deliver(c, stock('p1', ['catalog']));
    deliver(c, stock('p2', ['catalog']));
    jest.advanceTimersByTime(100);
    expect(counts).toEqual([2]);
  });
});
