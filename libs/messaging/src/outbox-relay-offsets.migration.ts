import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stream offsets assigned by the relay, not by the writers (docs/events.md, "Offsets and
 * `X-Stream-Offset`"). Writers get a private insertion sequence `seq` (the new primary key);
 * `offset` becomes nullable, without a default, and is filled by the relay from the same sequence
 * as before (`outbox_offset_seq`), so the stream keeps increasing across the change. Existing rows
 * keep their offsets (sent or not: the relay publishes unsent ones with the offset they have) and get
 * `seq` = `offset`, so they stay first in line.
 *
 * Shared by auth and commerce like CreateOutbox: the table lock and the column check make the
 * second run (same database, standalone mode, or two apps migrating at once) a no-op.
 */
export class OutboxRelayOffsets1796169600000 implements MigrationInterface {
  name = 'OutboxRelayOffsets1796169600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      DO $$
      BEGIN
        LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE;
        IF EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'outbox' AND column_name = 'seq') THEN
          RETURN;
        END IF;
        ALTER TABLE outbox ADD COLUMN seq bigint;
        UPDATE outbox SET seq = "offset";
        CREATE SEQUENCE outbox_seq_seq OWNED BY outbox.seq;
        PERFORM setval('outbox_seq_seq', coalesce((SELECT max("offset") FROM outbox), 0) + 1, false);
        ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT nextval('outbox_seq_seq'), ALTER COLUMN seq SET NOT NULL;
        ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
        ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (seq);
        ALTER TABLE outbox ALTER COLUMN "offset" DROP DEFAULT, ALTER COLUMN "offset" DROP NOT NULL;
        CREATE UNIQUE INDEX outbox_offset ON outbox ("offset");
        DROP INDEX IF EXISTS outbox_pending;
        CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
      END
      $$`);
  }

  async down(): Promise<void> {
    // Shared with the other producer, like CreateOutbox: restoring writer-assigned offsets would
    // need the global lock back; nothing is undone here.
  }
}
