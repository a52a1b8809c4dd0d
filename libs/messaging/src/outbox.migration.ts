import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox table, shared by every producing app. `IF NOT EXISTS` because auth and commerce may
 * share one database (standalone mode does): both ship this migration, the first one creates it.
 */
export class CreateOutbox1732300000000 implements MigrationInterface {
  name = 'CreateOutbox1732300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE IF NOT EXISTS outbox (
        "offset"     bigserial PRIMARY KEY,
        id           uuid NOT NULL UNIQUE,
        type         text NOT NULL,
        channels     text[] NOT NULL,
        data         jsonb NOT NULL,
        occurred_at  timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await runner.query(`CREATE INDEX IF NOT EXISTS outbox_pending ON outbox ("offset") WHERE published_at IS NULL`);
    await runner.query(
      `CREATE INDEX IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL`,
    );
  }

  async down(): Promise<void> {
    // Shared with the other producer: dropping it here could lose the other app's unsent events.
  }
}
