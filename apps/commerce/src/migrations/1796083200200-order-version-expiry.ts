import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders carry `version` and `cancelReason` (docs/contract.md, "Orders"). The partial indexes serve
 * the two questions pending orders raise: how many a customer holds (MAX_PENDING_ORDERS_PER_USER)
 * and which are past PENDING_ORDER_TTL_SECONDS.
 */
export class OrderVersionExpiry1796083200200 implements MigrationInterface {
  name = 'OrderVersionExpiry1796083200200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE orders
        ADD COLUMN version integer NOT NULL DEFAULT 1,
        ADD COLUMN cancel_reason text CHECK (cancel_reason IN ('customer','admin','expired'))`);
    await runner.query(`CREATE INDEX orders_pending_by_user ON orders (user_id) WHERE status = 'pending'`);
    await runner.query(`CREATE INDEX orders_pending_age ON orders (created_at) WHERE status = 'pending'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX orders_pending_age, orders_pending_by_user`);
    await runner.query(`ALTER TABLE orders DROP COLUMN cancel_reason, DROP COLUMN version`);
  }
}
