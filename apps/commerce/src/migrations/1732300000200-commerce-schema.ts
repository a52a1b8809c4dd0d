import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CommerceSchema1732300000200 implements MigrationInterface {
  name = 'CommerceSchema1732300000200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await runner.query(`
      CREATE TABLE products (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku            text NOT NULL UNIQUE,
        name           text NOT NULL,
        description    text NOT NULL DEFAULT '',
        price_amount   bigint NOT NULL CHECK (price_amount >= 0),
        price_currency char(3) NOT NULL,
        stock          integer NOT NULL CHECK (stock >= 0),
        version        integer NOT NULL DEFAULT 1,
        created_at     timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        search         tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', sku || ' ' || name || ' ' || description)) STORED
      )`);
    // Keyset pagination walks (created_at, id); created_at has millisecond precision so that a cursor
    // (a JS Date) round-trips exactly. Text search uses the GIN index.
    await runner.query(`CREATE INDEX products_page ON products (created_at, id)`);
    await runner.query(`CREATE INDEX products_search ON products USING gin (search)`);
    await runner.query(`
      CREATE TABLE orders (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id      uuid NOT NULL,
        status       text NOT NULL CHECK (status IN ('pending','paid','shipped','delivered','cancelled')),
        total_amount bigint NOT NULL,
        currency     char(3) NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await runner.query(`CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC)`);
    await runner.query(`CREATE INDEX orders_page ON orders (created_at DESC, id DESC)`);
    await runner.query(`
      CREATE TABLE order_items (
        order_id    uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        line        integer NOT NULL,
        product_id  uuid NOT NULL REFERENCES products(id),
        quantity    integer NOT NULL CHECK (quantity > 0),
        unit_amount bigint NOT NULL,
        currency    char(3) NOT NULL,
        PRIMARY KEY (order_id, line)
      )`);
    await runner.query(`
      CREATE TABLE idempotency_keys (
        user_id         uuid NOT NULL,
        key             text NOT NULL,
        fingerprint     bytea NOT NULL,
        response_status integer NOT NULL,
        response_body   jsonb NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await runner.query(`CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE idempotency_keys, order_items, orders, products`);
  }
}
