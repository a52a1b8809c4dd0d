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

  /**
   * A DataSource that answers the relay's claim from pending rows, with commit semantics: what a
   * batch claimed is recorded as marked only if the batch's work succeeds (commits).
   */
  function fakeOutbox() {
    const pending = [2, 1].map((offset) => ({
      ...row('inventory.changed'),
      offset: String(offset),
      id: `id-${offset}`,
    }));
    const marked: string[][] = [];
    const claims: { sql: string; params: unknown[] }[] = [];
    const dataSource = {
      options: {},
      transaction: async (work: (m: unknown) => Promise<unknown>) => {
        let claimed: string[] = [];
        const manager = {
          query: async (sql: string, params: unknown[]) => {
            claims.push({ sql, params });
            const rows = pending.filter((r) => !marked.flat().includes(r.offset));
            claimed = rows.map((r) => r.offset);
            return [rows, rows.length];
          },
        };
        const result = await work(manager);
        if (claimed.length > 0) marked.push(claimed);
        return result;
      },
      query: async () => [[], 0],
    } as unknown as DataSource;
    return { dataSource, marked, claims };
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
    // In offset order, whatever order the claim returned them in.
    expect(published).toEqual([1, 2]);
    expect(marked).toEqual([['2', '1']]);
  });

  it('claims, numbers and marks a batch in one statement that also takes the relay lock', async () => {
    const { dataSource, claims } = fakeOutbox();
    const publisher: EventPublisher = {
      publish: async () => undefined,
      isConnected: () => true,
      close: async () => undefined,
    };
    const relay = new OutboxRelay(dataSource, publisher, { ...DEFAULT_RELAY_OPTIONS, batchSize: 50 });
    expect(await relay.relayOnce()).toBe(2);
    expect(claims).toHaveLength(1);
    const [{ sql, params }] = claims as [{ sql: string; params: unknown[] }];
    expect(sql).toContain('pg_try_advisory_xact_lock($1)');
    expect(sql).toContain('FOR UPDATE SKIP LOCKED');
    expect(sql).toContain("nextval('outbox_offset_seq')");
    expect(sql).toContain('published_at = now()');
    expect(params).toEqual([7_466_002, 50]);
  });

  it('relays nothing when the claim returns nothing (another replica holds the relay lock)', async () => {
    let published = 0;
    const publish = async () => {
      published += 1;
    };
    const dataSource = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work({ query: async () => [[], 0] }),
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
