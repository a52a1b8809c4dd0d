import { migrationsTable } from './app-infrastructure.js';
import { postgresOptions, shouldMigrateAtStart } from './database.js';

describe('database options', () => {
  it('never synchronizes nor migrates on DataSource start (runMigrations does, under a lock)', () => {
    const options = postgresOptions({
      url: 'postgres://u@db/x',
      entities: [],
      migrations: [],
      migrationsTableName: migrationsTable('commerce'),
    });
    expect(options).toEqual(
      expect.objectContaining({
        type: 'postgres',
        synchronize: false,
        migrationsRun: false,
        migrationsTableName: 'commerce_migrations',
        poolSize: 10,
      }),
    );
    expect(
      postgresOptions({ url: 'postgres://u@db/x', entities: [], migrations: [], migrationsTableName: 't', poolSize: 1 })
        .poolSize,
    ).toBe(1);
  });

  it('migrates at start by default except in production; MIGRATIONS_RUN decides when set', () => {
    expect(shouldMigrateAtStart({ NODE_ENV: 'development' })).toBe(true);
    expect(shouldMigrateAtStart({ NODE_ENV: 'production' })).toBe(false);
    expect(shouldMigrateAtStart({ NODE_ENV: 'production', MIGRATIONS_RUN: true })).toBe(true);
    expect(shouldMigrateAtStart({ NODE_ENV: 'development', MIGRATIONS_RUN: false })).toBe(false);
  });
});
