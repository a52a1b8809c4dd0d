import type { Channel } from '@tandem/contracts';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { EventPublisher } from './broker.js';
import { DEFAULT_RELAY_OPTIONS, nextBackoffMs, OutboxRelay, toEnvelope } from './outbox.relay.js';

const row = (type: string) => ({
  offset: '42',
  id: '0c6c2a4e-0000-4000-8000-000000000042',
  type,
  channels: ['user:u1'] as Channel[],
  data: { any: 'thing' },
  occurred_at: new Date('2026-12-01T08:00:00.000Z'),
});

describe('toEnvelope (outbox row → published envelope)', () => {
  it('gives stream events their offset as a number', () => {
    expect(toEnvelope(row('order.created'))).toEqual({
      id: '0c6c2a4e-0000-4000-8000-000000000042',
      type: 'order.created',
      channels: ['user:u1'],
      occurredAt: '2026-12-01T08:00:00.000Z',
      offset: 42,
      data: { any: 'thing' },
    });
  });

  it('gives control messages no offset: they are not part of the resumable stream', () => {
    const envelope = toEnvelope(row('session.revoked'));
    expect(envelope).not.toHaveProperty('offset');
    expect(envelope.type).toBe('session.revoked');
  });
});

describe('relay backoff', () => {
  it('starts at 100 ms and doubles per failure, up to the cap', () => {
    const delays: number[] = [];
    let backoff: number | undefined;
    for (let i = 0; i < 9; i += 1) delays.push((backoff = nextBackoffMs(backoff, 10_000)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    expect(nextBackoffMs(undefined, 50)).toBe(50);
  });
});

describe('OutboxRelay', () => {
  // Its warnings about the simulated outage are expected here.
  beforeAll(() => Logger.overrideLogger(false));

  /** A DataSource that answers the relay's statements from two pending rows, recording what was marked. */
  function fakeOutbox() {
    const pending = [1, 2].map((offset) => ({
      ...row('inventory.changed'),
      offset: String(offset),
      id: `id-${offset}`,
    }));
    const marked: string[][] = [];
    const manager = {
      query: async (sql: string, params: unknown[]) => {
        if (sql.includes('pg_try_advisory_xact_lock')) return [{ locked: true }];
        if (sql.includes('FROM outbox')) return pending.filter((r) => !marked.flat().includes(r.offset));
        if (sql.startsWith('UPDATE outbox')) marked.push(params[0] as string[]);
        return [];
      },
    };
    const dataSource = {
      options: {},
      transaction: (work: (m: typeof manager) => Promise<unknown>) => work(manager),
      query: async () => [[], 0],
    } as unknown as DataSource;
    return { dataSource, marked };
  }

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  it('keeps rows unsent while the broker fails, retries, and marks them once after every publish was confirmed', async () => {
    const { dataSource, marked } = fakeOutbox();
    const published: number[] = [];
    let failingBatches = 3;
    const publisher: EventPublisher = {
      publish: async (envelope) => {
        const { offset } = envelope as { offset: number };
        if (failingBatches > 0) {
          if (offset === 2) failingBatches -= 1;
          throw new Error('broker unreachable');
        }
        published.push(offset);
      },
      isConnected: () => true,
      close: async () => undefined,
    };
    const relay = new OutboxRelay(dataSource, publisher, { ...DEFAULT_RELAY_OPTIONS, maxBackoffMs: 1 });
    relay.start();
    await until(() => marked.length > 0);
    await relay.stop();
    expect(failingBatches).toBe(0);
    expect(published).toEqual([1, 2]);
    expect(marked).toEqual([['1', '2']]);
  });

  it('relays nothing when another replica holds the relay lock', async () => {
    let published = 0;
    const publish = async () => {
      published += 1;
    };
    const dataSource = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work({ query: async () => [{ locked: false }] }),
    } as unknown as DataSource;
    const relay = new OutboxRelay(
      dataSource,
      { publish, isConnected: () => true, close: async () => undefined },
      DEFAULT_RELAY_OPTIONS,
    );
    expect(await relay.relayOnce()).toBe(0);
    expect(published).toBe(0);
  });
});
