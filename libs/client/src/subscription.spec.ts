import type { Channel } from '@tandem/contracts';
import type { Read } from './http.js';
import {
  DEFAULT_CATALOG_CONFLATE_MS,
  LiveSubscription,
  conflateWindow,
  isLiveEvent,
  isStreamEvent,
} from './subscription.js';
import type { LiveEvent, StreamEvent } from './subscription.js';

const P = '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b';
const PRODUCT: Channel = `product:${P}`;

function stock(id: string, offset: number, channels: Channel[] = [PRODUCT, 'catalog']): StreamEvent {
  return {
    id,
    type: 'inventory.changed',
    channels,
    offset,
    occurredAt: '2026-12-01T00:00:00.000Z',
    data: { productId: P, stock: offset, delta: -1, version: offset },
  };
}

function subscription(snapshotOffsets: number[] = [10]) {
  const delivered: LiveEvent[] = [];
  const snapshots: [unknown, string][] = [];
  const errors: Error[] = [];
  const reads = [...snapshotOffsets];
  const sub = new LiveSubscription<{ stock: number }>(
    PRODUCT,
    (event) => delivered.push(event),
    {
      onSnapshot: (data, reason) => snapshots.push([data, reason]),
      onError: (error) => errors.push(error),
    },
    async (): Promise<Read<{ stock: number }>> => {
      const offset = reads.shift() ?? 0;
      return { data: { stock: offset }, offset };
    },
  );
  const ids = () => delivered.map((event) => event.id);
  return { sub, delivered, snapshots, errors, ids };
}

describe('LiveSubscription: snapshot + live stream merge', () => {
  it('holds events while joining, then delivers those after the snapshot in offset order, once', async () => {
    const { sub, ids, snapshots } = subscription([10]);
    sub.hold(true);
    await sub.loadSnapshot('initial');
    expect(snapshots).toEqual([[{ stock: 10 }, 'initial']]);
    // Arrivals while the subscribe ack is pending: out of order, a duplicate, one the snapshot has.
    sub.receive(stock('e13', 13));
    sub.receive(stock('e11', 11));
    sub.receive(stock('e09', 9));
    sub.receive(stock('e11', 11));
    expect(ids()).toEqual([]);
    sub.catchUp([stock('e12', 12), stock('e13', 13)]);
    expect(ids()).toEqual(['e11', 'e12', 'e13']);
    expect(sub.offset).toBe(13);
    await expect(sub.ready).resolves.toBeUndefined();
  });

  it('after joining, delivers live events at once and drops repeats and older offsets', async () => {
    const { sub, ids } = subscription([10]);
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    sub.receive(stock('e11', 11));
    sub.receive(stock('e11', 11)); // relay redelivery
    sub.receive(stock('e10', 10)); // already in the snapshot
    sub.receive(stock('e12', 12));
    sub.receive(stock('e12b', 12)); // another id, same offset: not newer
    expect(ids()).toEqual(['e11', 'e12']);
  });

  it('ignores events of other channels', async () => {
    const { sub, ids } = subscription([0]);
    await sub.loadSnapshot('initial');
    sub.catchUp([stock('other', 5, ['catalog'])]);
    sub.receive(stock('other2', 6, [`product:${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`]));
    expect(ids()).toEqual([]);
  });

  it('a resync snapshot never moves the offset back, and later events still flow', async () => {
    const { sub, ids, snapshots } = subscription([10, 8, 30]);
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    sub.receive(stock('e15', 15));
    sub.hold();
    await sub.loadSnapshot('resync'); // an older read (a lagging replica) keeps offset 15
    expect(sub.offset).toBe(15);
    sub.catchUp([]);
    sub.hold();
    await sub.loadSnapshot('resync'); // a newer read jumps ahead: the events it covers are skipped
    sub.catchUp([stock('e20', 20), stock('e31', 31)]);
    expect(ids()).toEqual(['e15', 'e31']);
    expect(snapshots.map(([, reason]) => reason)).toEqual(['initial', 'resync', 'resync']);
  });

  it('a fresh hold drops what waited before the snapshot was read', async () => {
    const { sub, ids } = subscription([10]);
    sub.receive(stock('early', 12));
    sub.hold(true);
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    expect(ids()).toEqual([]);
  });

  it('delivers a control message once per id, only on its channel', () => {
    const { sub, ids } = subscription();
    const revoked = {
      id: 'c1',
      type: 'session.revoked' as const,
      channels: [PRODUCT],
      occurredAt: '2026-12-01T00:00:00.000Z',
      data: { userId: 'u1', sid: 's1' },
    };
    sub.receiveControl(revoked);
    sub.receiveControl(revoked);
    sub.receiveControl({ ...revoked, id: 'c2', channels: ['catalog'] });
    expect(ids()).toEqual(['c1']);
  });

  it('stops delivering once unsubscribed, and tells its owner', async () => {
    const removed: unknown[] = [];
    const sub = new LiveSubscription(
      PRODUCT,
      () => {
        throw new Error('delivered after unsubscribe');
      },
      {},
      async () => ({ data: null, offset: 0 }),
      (s) => removed.push(s),
    );
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    sub.unsubscribe();
    sub.receive(stock('e1', 1));
    expect(removed).toEqual([sub]);
    await expect(sub.loadSnapshot('resync')).resolves.toBe(false);
  });

  it('reports a throwing handler through onError and keeps delivering', async () => {
    const errors: Error[] = [];
    const seen: string[] = [];
    const sub = new LiveSubscription(
      PRODUCT,
      (event) => {
        seen.push(event.id);
        if (event.id === 'bad') throw new Error('render failed');
      },
      { onError: (error) => errors.push(error) },
      async () => ({ data: null, offset: 0 }),
    );
    await sub.loadSnapshot('initial');
    sub.catchUp([stock('bad', 1), stock('good', 2)]);
    expect(seen).toEqual(['bad', 'good']);
    expect(errors.map((error) => error.message)).toEqual(['render failed']);
  });

  it('a failure before ready rejects ready and reaches onError once; after ready, onError only', async () => {
    const { sub, errors } = subscription();
    sub.fail(new Error('forbidden'));
    await expect(sub.ready).rejects.toThrow('forbidden');
    expect(errors.map((error) => error.message)).toEqual(['forbidden']);

    const late = subscription();
    await late.sub.loadSnapshot('initial');
    late.sub.catchUp([]);
    late.sub.fail(new Error('later'));
    await expect(late.sub.ready).resolves.toBeUndefined();
    expect(late.errors.map((error) => error.message)).toEqual(['later']);
  });

  it('forgets the oldest ids past its memory, still dropping them by offset', async () => {
    const { sub, ids } = subscription([0]);
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    for (let offset = 1; offset <= 2500; offset += 1) sub.receive(stock(`e${offset}`, offset));
    expect(ids()).toHaveLength(2500);
    sub.receive(stock('e1', 1));
    expect(ids()).toHaveLength(2500);
  });
});

describe('isLiveEvent (envelopes from the network)', () => {
  it('accepts stream events with an offset and control messages without one', () => {
    expect(isLiveEvent(stock('e1', 1))).toBe(true);
    expect(
      isLiveEvent({ id: 'c', type: 'session.revoked', channels: [], occurredAt: '', data: { userId: 'u', sid: 's' } }),
    ).toBe(true);
  });

  it.each([
    ['a stream event without offset', { ...stock('e', 1), offset: undefined }],
    ['an unknown type', { ...stock('e', 1), type: 'presence.changed' }],
    ['channels that are not a list', { ...stock('e', 1), channels: 'catalog' }],
    ['no id', { ...stock('e', 1), id: 3 }],
    ['no data', { ...stock('e', 1), data: null }],
    ['a string', 'inventory.changed'],
    ['null', null],
  ])('refuses %s', (_what, value) => {
    expect(isLiveEvent(value)).toBe(false);
  });

  it('isStreamEvent tells the two apart', () => {
    expect(isStreamEvent(stock('e', 1))).toBe(true);
    expect(
      isStreamEvent({
        id: 'c',
        type: 'session.revoked',
        channels: [],
        occurredAt: '',
        data: { userId: 'u', sid: 's' },
      }),
    ).toBe(false);
  });
});

describe('LiveSubscription: entity versions (docs/contract.md, "Events")', () => {
  const product = (version: number, stockLeft = 5) => ({ id: P, version, stock: stockLeft });

  function versioned(snapshot: unknown) {
    const delivered: LiveEvent[] = [];
    const sub = new LiveSubscription<unknown>(
      'catalog',
      (event) => delivered.push(event),
      {},
      async () => ({ data: snapshot, offset: 10 }),
    );
    return { sub, delivered };
  }

  function inventory(id: string, offset: number, version: number): StreamEvent {
    return { ...stock(id, offset), data: { productId: P, stock: 1, delta: -1, version } } as StreamEvent;
  }

  it('drops an event whose version the snapshot already shows, delivers newer ones', async () => {
    const { sub, delivered } = versioned(product(7));
    await sub.loadSnapshot('initial');
    sub.catchUp([inventory('old', 11, 6), inventory('same', 12, 7), inventory('new', 13, 8)]);
    expect(delivered.map((event) => event.id)).toEqual(['new']);
    expect(sub.offset).toBe(13);
  });

  it('reads the versions of a page snapshot (items) and keeps the newest per entity across events', async () => {
    const { sub, delivered } = versioned({ items: [product(3)], nextCursor: null });
    await sub.loadSnapshot('initial');
    sub.catchUp([]);
    sub.receive(inventory('v5', 11, 5));
    sub.receive(inventory('v4', 12, 4)); // a higher offset, an older version: its effect is already shown
    sub.receive({ ...stock('p6', 13), type: 'product.updated', data: { ...product(6), sku: 's' } } as StreamEvent);
    expect(delivered.map((event) => event.id)).toEqual(['v5', 'p6']);
  });

  it('delivers events of entities it holds no version for, and events without one', async () => {
    const { sub, delivered } = versioned({ stock: 1 });
    await sub.loadSnapshot('initial');
    sub.catchUp([inventory('first', 11, 1), { ...stock('opaque', 12), data: {} } as unknown as StreamEvent]);
    expect(delivered.map((event) => event.id)).toEqual(['first', 'opaque']);
  });
});

describe('conflateWindow', () => {
  it('defaults to DEFAULT_CATALOG_CONFLATE_MS on catalog, off elsewhere; the option wins, false turns it off', () => {
    expect(conflateWindow('catalog', undefined)).toBe(DEFAULT_CATALOG_CONFLATE_MS);
    expect(conflateWindow(PRODUCT, undefined)).toBeUndefined();
    expect(conflateWindow('user:u1' as Channel, undefined)).toBeUndefined();
    expect(conflateWindow('catalog', false)).toBeUndefined();
    expect(conflateWindow(PRODUCT, 100)).toBe(100);
  });
});
