import { DataSource } from 'typeorm';
import { ConfigError, IsDatabaseUrl, loadConfig } from './config.js';
import { postgresOptions, runMigrations } from './database.js';
import type { DatabaseOptions } from './database.js';

/**
 * `node …/migrate.js`: applies an app's pending migrations and exits (the Kubernetes Job and Helm
 * hook run this). Only DATABASE_URL is read. `then` runs on the migrated database before it closes
 * (`npm run seed` loads the demo catalog) and returns the line to print.
 */
class MigrateConfig {
  @IsDatabaseUrl()
  DATABASE_URL!: string;
}

export async function migrateCommand(
  app: string,
  options: Omit<DatabaseOptions, 'url'>,
  then?: (dataSource: DataSource) => Promise<string>,
): Promise<void> {
  try {
    const config = loadConfig(app, MigrateConfig);
    // Two connections: runMigrations holds its advisory lock on one and migrates on the other (with a
    // pool of one, the second waits for the first until the connect timeout).
    const dataSource = new DataSource(postgresOptions({ ...options, url: config.DATABASE_URL, poolSize: 2 }));
    await dataSource.initialize();
    try {
      const applied = await runMigrations(dataSource);
      process.stdout.write(`${app}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
      if (then) process.stdout.write(`${await then(dataSource)}\n`);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    process.stderr.write(
      error instanceof ConfigError
        ? `${error.message}\n`
        : `${app}: ${then ? 'failed' : 'migration failed'}: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
}
