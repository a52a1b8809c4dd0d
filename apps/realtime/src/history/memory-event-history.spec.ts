import { randomUUID } from 'node:crypto';
import type { Channel, EventEnvelope } from '@tandem/contracts';
import { MemoryEventHistory } from './memory-event-history.js';

function event(offset: number, channels: Channel[] = ['catalog']): EventEnvelope {
  const data = { productId: randomUUID(), stock: 1, delta: -1, version: 2 };
  return { id: randomUUID(), type: 'inventory.changed', channels, offset, occurredAt: new Date().toISOString(), data };
}

const offsets = (events: EventEnvelope[]) => events.map((e) => e.offset);

describe('MemoryEventHistory', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('replays the events of a channel after `since`, oldest first', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 60_000 }, clock);
    await history.record(event(10));
    await history.record(event(12, ['product:a']));
    await history.record(event(11));
    expect(await history.since('catalog', 9, 100)).toEqual({ recovered: true, events: expect.any(Array) });
    expect(offsets((await history.since('catalog', 9, 100)).events)).toEqual([10, 11]);
    expect(offsets((await history.since('catalog', 10, 100)).events)).toEqual([11]);
    expect(offsets((await history.since('product:a', 9, 100)).events)).toEqual([12]);
  });

  it('vouches for a channel without events since then', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 60_000 }, clock);
    await history.record(event(10));
    expect(await history.since('product:quiet', 10, 100)).toEqual({ recovered: true, events: [] });
  });

  it('never vouches for what happened before it started', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 60_000 }, clock);
    await history.record(event(10));
    expect(await history.since('catalog', 5, 100)).toEqual({ recovered: false, events: [] });
    expect((await history.since('catalog', 9, 100)).recovered).toBe(true);
  });

  it('is not recovered below what it trimmed for size', async () => {
    const history = new MemoryEventHistory({ maxEvents: 2, maxAgeMs: 60_000 }, clock);
    for (const offset of [1, 2, 3, 4]) await history.record(event(offset));
    expect((await history.since('catalog', 1, 100)).recovered).toBe(false);
    expect(offsets((await history.since('catalog', 2, 100)).events)).toEqual([3, 4]);
  });

  it('lets events age out and then no longer vouches for them', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 1000 }, clock);
    await history.record(event(1));
    now += 2000;
    await history.record(event(2));
    expect((await history.since('catalog', 0, 100)).recovered).toBe(false);
    expect(offsets((await history.since('catalog', 1, 100)).events)).toEqual([2]);
  });

  it('keeps one copy of an event recorded twice', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 60_000 }, clock);
    const e = event(1);
    await history.record(e);
    await history.record(e);
    expect(offsets((await history.since('catalog', 0, 100)).events)).toEqual([1]);
  });

  it('forgets idle channels and raises its floor over what they held', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 1000 }, clock);
    await history.record(event(5, ['product:idle']));
    now += 120_000; // past the age limit and the sweep interval
    await history.record(event(6));
    expect((await history.since('product:idle', 4, 100)).recovered).toBe(false);
    expect((await history.since('product:idle', 5, 100)).recovered).toBe(true);
  });

  it('answers `recovered: false` with nothing to replay when more than `max` events follow `since`', async () => {
    const history = new MemoryEventHistory({ maxEvents: 10, maxAgeMs: 60_000 }, clock);
    for (const at of [1, 2, 3, 4]) await history.record(event(at));
    expect(offsets((await history.since('catalog', 1, 3)).events)).toEqual([2, 3, 4]);
    expect(await history.since('catalog', 0, 3)).toEqual({ recovered: false, events: [] });
  });
});
