import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { CONTROL_EVENT_TYPES } from '@tandem/contracts';
import type { AnyEnvelope, Channel } from '@tandem/contracts';
import { EVENT_PUBLISHER } from './broker.js';
import type { EventPublisher } from './broker.js';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.writer.js';

export interface RelayOptions {
  batchSize: number;
  /** Fallback poll when no NOTIFY arrives (the LISTEN connection may be down). */
  pollIntervalMs: number;
  /** How long relayed rows are kept (a redelivery window for audits and debugging). */
  retentionMs: number;
  pruneIntervalMs: number;
  maxBackoffMs: number;
}

export const RELAY_OPTIONS = Symbol('RELAY_OPTIONS');
export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  batchSize: 200,
  pollIntervalMs: 1000,
  retentionMs: 24 * 3600_000,
  pruneIntervalMs: 60_000,
  maxBackoffMs: 10_000,
};

/** Only one relay, in any replica, publishes at a time: that is what keeps the stream in offset order. */
const RELAY_LOCK = 7_466_002;

/**
 * One round trip takes the relay lock (transaction-scoped: held until this batch commits or rolls
 * back), claims the oldest unsent committed rows, gives them stream offsets from the stream's
 * sequence and marks them sent, returning what to publish. Nothing of it is visible until the
 * batch commits, which happens only after the broker confirmed every event; a failure rolls it all
 * back (offsets included) and the next batch takes the rows again. Rows that already have an
 * offset (written before offsets moved to the relay) keep it. Within a batch, offsets follow the
 * insertion order. Why the offsets this assigns keep
 * `X-Stream-Offset` exact: docs/events.md, "Offsets and `X-Stream-Offset`".
 */
const CLAIM_SQL = `
  WITH relay AS (SELECT pg_try_advisory_xact_lock($1) AS leader),
  claimed AS (
    SELECT seq FROM outbox
     WHERE published_at IS NULL AND (SELECT leader FROM relay)
     ORDER BY seq LIMIT $2
       FOR UPDATE SKIP LOCKED),
  numbered AS (SELECT seq, nextval('outbox_offset_seq') AS "offset" FROM claimed ORDER BY seq)
  UPDATE outbox o
     SET "offset" = coalesce(o."offset", numbered."offset"), published_at = now()
    FROM numbered
   WHERE o.seq = numbered.seq
  RETURNING o."offset", o.id, o.type, o.channels, o.data, o.occurred_at`;

interface OutboxRow {
  offset: string;
  id: string;
  type: string;
  channels: Channel[];
  data: unknown;
  occurred_at: Date;
}

/** The first retry after a failure waits this long; each further failure doubles it, up to the cap. */
const FIRST_BACKOFF_MS = 100;

export function nextBackoffMs(previousMs: number | undefined, maxMs: number): number {
  return Math.min(previousMs === undefined ? FIRST_BACKOFF_MS : previousMs * 2, maxMs);
}

export function toEnvelope(row: OutboxRow): AnyEnvelope {
  const base = { id: row.id, type: row.type, channels: row.channels, occurredAt: row.occurred_at.toISOString() };
  // Control messages (session.revoked) carry no offset: they are not part of the resumable stream.
  if ((CONTROL_EVENT_TYPES as readonly string[]).includes(row.type)) return { ...base, data: row.data } as AnyEnvelope;
  return { ...base, offset: Number(row.offset), data: row.data } as AnyEnvelope;
}

/**
 * Moves committed outbox rows to the broker, giving them their stream offsets in the order it
 * observes them, and marks them sent. At-least-once: a crash between publish and commit
 * re-publishes the batch (same ids; offsets are assigned again, since the first assignment rolled
 * back with the batch), and consumers de-duplicate by `id`.
 * Survives broker outages (retries with capped exponential backoff while the API keeps writing)
 * and restarts (state is the table). Replicas coordinate with a transaction-scoped advisory lock,
 * and rows are additionally taken `FOR UPDATE SKIP LOCKED`. Writers never wait for it.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  /** A wake-up that arrived while a batch was running: the next sleep returns at once. */
  private wakePending = false;
  private listener?: pg.Client;
  private lastPrune = 0;
  private failing = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(RELAY_OPTIONS) private readonly options: RelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before the publisher closes: the batch in flight finishes (or rolls back) first. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Runs the next batch now instead of at the next poll. */
  wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  /**
   * Publishes one batch; returns how many rows it relayed (0 when another replica holds the lock).
   * Three round trips to the database (begin, claim, commit) whatever the batch size.
   */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // TypeORM answers an UPDATE with [rows, count].
      const [rows]: [OutboxRow[], number] = await manager.query(CLAIM_SQL, [RELAY_LOCK, this.options.batchSize]);
      if (rows.length === 0) return 0;
      // RETURNING has no order; the stream's is the offsets'.
      rows.sort((a, b) => Number(a.offset) - Number(b.offset));
      // One confirm channel keeps publish order; every confirm is awaited before the commit marks them sent.
      await Promise.all(rows.map((row) => this.publisher.publish(toEnvelope(row))));
      return rows.length;
    });
  }

  /** Deletes relayed rows past retention, always keeping the newest offset (it anchors the stream head). */
  async prune(): Promise<number> {
    const [, count] = await this.dataSource.query(
      `DELETE FROM outbox WHERE published_at < now() - $1::interval
         AND "offset" < (SELECT max("offset") FROM outbox)`,
      [`${Math.floor(this.options.retentionMs / 1000)} seconds`],
    );
    return Number(count ?? 0);
  }

  private async run(): Promise<void> {
    let backoff: number | undefined;
    while (this.running) {
      try {
        await this.ensureListening();
        this.wakePending = false; // this batch sees every commit notified so far
        const relayed = await this.relayOnce();
        if (this.failing) this.logger.log('outbox relay recovered');
        this.failing = false;
        backoff = undefined;
        if (Date.now() - this.lastPrune > this.options.pruneIntervalMs) {
          this.lastPrune = Date.now();
          await this.prune();
        }
        if (relayed < this.options.batchSize) await this.sleep(this.options.pollIntervalMs);
      } catch (error) {
        if (!this.failing) this.logger.warn(`outbox relay failing, retrying with backoff: ${(error as Error).message}`);
        this.failing = true;
        backoff = nextBackoffMs(backoff, this.options.maxBackoffMs);
        await this.sleep(backoff);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** LISTEN on a dedicated connection so a commit wakes the relay at once (polling is the fallback). */
  private async ensureListening(): Promise<void> {
    if (this.listener) return;
    const url = (this.dataSource.options as { url?: string }).url;
    if (!url) return;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    client.on('error', () => {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
    });
    client.on('notification', () => this.wake());
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch (error) {
      this.listener = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
  }
}
