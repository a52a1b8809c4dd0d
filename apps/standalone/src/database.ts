import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { migrationsTable, postgresOptions, runMigrations } from '@tandem/platform';
import { authEntities, authMigrations } from '../../auth/src/index.js';
import { commerceEntities, commerceMigrations } from '../../commerce/src/index.js';
import type { EmbeddedDatabase } from './embedded/embedded-database.js';

/** Stands for the embedded database where a URL is expected; never connected to. */
export const EMBEDDED_DATABASE_URL = 'postgres://embedded';

const standaloneEntities = [...new Set([...authEntities, ...commerceEntities])];

/**
 * Each app keeps its own migration history (auth_migrations, commerce_migrations), exactly as when
 * they are deployed apart, so a database first used by standalone can later serve the separate apps
 * and the other way round.
 */
const MIGRATION_SETS = [
  { entities: authEntities, migrations: authMigrations, migrationsTableName: migrationsTable('auth') },
  { entities: commerceEntities, migrations: commerceMigrations, migrationsTableName: migrationsTable('commerce') },
];

/**
 * TypeORM options for the real DATABASE_URL or for the embedded database. Embedded: a pool of ONE
 * connection, because PGlite has a single backend session (a second connection's statements would
 * run inside the first one's transaction, or wait on it forever), and host/port instead of a URL,
 * which also keeps the outbox relay from opening its LISTEN connection (NOTIFY does not cross
 * PGlite socket connections anyway; RelayWaker wakes the relay in-process instead).
 */
export function databaseOptions(
  databaseUrl: string | undefined,
  embedded: EmbeddedDatabase | undefined,
): DataSourceOptions {
  const base = postgresOptions({
    url: databaseUrl ?? EMBEDDED_DATABASE_URL,
    entities: standaloneEntities,
    migrations: [],
    migrationsTableName: 'standalone_migrations',
  });
  if (!embedded) return base;
  return {
    ...base,
    url: undefined,
    host: embedded.host,
    port: embedded.port,
    username: 'postgres',
    database: 'postgres',
    poolSize: 1,
    extra: { ...(base.extra as object), connectionTimeoutMillis: 30_000 },
  } as DataSourceOptions;
}

/** Applies auth's then commerce's pending migrations; returns the names applied. */
export async function migrateStandalone(options: DataSourceOptions, embedded: boolean): Promise<string[]> {
  const applied: string[] = [];
  for (const set of MIGRATION_SETS) {
    const dataSource = new DataSource({ ...options, ...set } as DataSourceOptions);
    await dataSource.initialize();
    try {
      // runMigrations() holds an advisory lock on a second connection against concurrent
      // replicas; the embedded database has one connection and one process (its lock file).
      applied.push(
        ...(embedded
          ? (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name)
          : await runMigrations(dataSource)),
      );
    } finally {
      await dataSource.destroy();
    }
  }
  return applied;
}
