import { randomUUID } from 'node:crypto';
import type { Channel, EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { RecentIds } from './recent-ids.js';
import { Subscriber } from './subscriber.js';

class RecordingClient extends Subscriber {
  readonly transport = 'sse';
  written: number[] = [];
  notices: Array<[string, unknown]> = [];
  closed = 0;
  protected write(envelope: EventEnvelope): void {
    this.written.push(envelope.offset);
  }
  notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void {
    this.notices.push([event, notice]);
  }
  close(): void {
    this.closed += 1;
  }
}

function event(offset: number, channels: Channel[] = ['catalog'], id = randomUUID()): EventEnvelope {
  const data = { productId: randomUUID(), stock: 1, delta: -1, version: 2 };
  return { id, type: 'inventory.changed', channels, offset, occurredAt: new Date().toISOString(), data };
}

const client = (seenIds = 100, maxBuffered = 100) => new RecordingClient('c1', '127.0.0.1', { seenIds, maxBuffered });

describe('RecentIds', () => {
  it('refuses an id it holds and forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('c')).toBe(true); // 'a' leaves
    expect(ids.add('b')).toBe(false);
    expect(ids.add('a')).toBe(true);
  });
});

describe('Subscriber', () => {
  it('writes a live event once, however often it is offered', () => {
    const c = client();
    const e = event(1, ['catalog', 'product:x']);
    expect(c.offer(e)).toBe(true);
    expect(c.offer(e)).toBe(false);
    expect(c.accept(e)).toBe('skip');
    expect(c.written).toEqual([1]);
  });

  it('does not replay what it already received live', () => {
    const c = client();
    const e = event(5);
    c.offer(e);
    expect(c.replay(e)).toBe(false);
    expect(c.replay(event(6))).toBe(true);
    expect(c.written).toEqual([5, 6]);
  });

  it('holds live events of a replaying channel and flushes them after the replay in offset order', () => {
    const c = client();
    c.beginReplay('catalog');
    expect(c.accept(event(9))).toBe('held');
    expect(c.accept(event(8))).toBe('held');
    expect(c.offer(event(20, ['product:other']))).toBe(true); // other channels flow
    c.replay(event(7));
    expect(c.endReplay('catalog')).toBe(2);
    expect(c.written).toEqual([20, 7, 8, 9]);
  });

  it('keeps holding while a second replay of the same channel runs', () => {
    const c = client();
    c.beginReplay('catalog');
    c.beginReplay('catalog');
    c.accept(event(3));
    expect(c.endReplay('catalog')).toBe(0);
    expect(c.written).toEqual([]);
    expect(c.endReplay('catalog')).toBe(1);
    expect(c.written).toEqual([3]);
  });

  it('drops a held event that the replay already delivered', () => {
    const c = client();
    const e = event(4);
    c.beginReplay('catalog');
    c.accept(e);
    c.replay(e);
    c.endReplay('catalog');
    expect(c.written).toEqual([4]);
  });

  it('closes a client that falls more than maxBuffered events behind a replay', () => {
    const c = client(100, 2);
    c.beginReplay('catalog');
    c.accept(event(1));
    c.accept(event(2));
    expect(c.accept(event(3))).toBe('skip');
    expect(c.closed).toBe(1);
  });

  it('forgets ids beyond its window (CLIENT_SEEN_IDS)', () => {
    const c = client(16);
    const first = event(1);
    c.offer(first);
    for (let offset = 2; offset <= 17; offset += 1) c.offer(event(offset));
    expect(c.replay(first)).toBe(true);
  });

  it('drop() closes by default', () => {
    const c = client();
    c.drop();
    expect(c.closed).toBe(1);
  });
});
