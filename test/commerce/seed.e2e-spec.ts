import pg from 'pg';
import { migrateCommand, migrationsTable } from '@tandem/platform';
import { commerceEntities, commerceMigrations, seedDemoCatalog } from '../../apps/commerce/src/index.js';
import { createTestDatabase } from '../support/database.js';
import type { TestDatabase } from '../support/database.js';

/**
 * `npm run seed` and the migration command (the Kubernetes Job and Helm hook): they run
 * runMigrations, which holds its advisory lock on one connection while migrating on another.
 */
describe('migrate and seed commands', () => {
  let db: TestDatabase;
  const output: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const exit = process.exit.bind(process);
  const schema = {
    entities: commerceEntities,
    migrations: commerceMigrations,
    migrationsTableName: migrationsTable('commerce'),
  };
  const seed = () =>
    migrateCommand('seed', schema, async (dataSource) => `seed: ${await seedDemoCatalog(dataSource)} products added`);

  beforeAll(async () => {
    db = await createTestDatabase('seed');
    process.env['DATABASE_URL'] = db.url;
    process.stdout.write = ((chunk: string) => output.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.exit = ((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as typeof process.exit;
  });

  afterAll(async () => {
    process.stdout.write = write;
    process.exit = exit;
    delete process.env['DATABASE_URL'];
    await db?.drop();
  });

  it('migrates a fresh database and loads the demo catalog once', async () => {
    await seed();
    expect(output.join('')).toMatch(/^seed: applied .*CommerceSchema/m);
    expect(output.join('')).toMatch(/^seed: [1-9]\d* products added$/m);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const [{ products, events }] = (
      await client.query(
        `SELECT (SELECT count(*)::int FROM products) AS products,
                (SELECT count(*)::int FROM outbox WHERE type = 'product.created') AS events`,
      )
    ).rows;
    await client.end();
    expect(products).toBeGreaterThan(250);
    expect(events).toBe(products);
  });

  it('is idempotent: the schema is up to date and no product is added twice', async () => {
    output.splice(0);
    await seed();
    expect(output).toEqual(['seed: schema up to date\n', 'seed: 0 products added\n']);
    output.splice(0);
    await migrateCommand('commerce', schema);
    expect(output).toEqual(['commerce: schema up to date\n']);
  });
});
