import { DataSource } from 'typeorm';
import { ConfigError, IsDatabaseUrl, loadConfig } from './config.js';
import { postgresOptions, runMigrations } from './database.js';
import type { DatabaseOptions } from './database.js';

/**
 * `node …/migrate.js`: applies an app's pending migrations and exits (the Kubernetes Job and Helm
 * hook run this). Only DATABASE_URL is read.
 */
class MigrateConfig {
  @IsDatabaseUrl()
  DATABASE_URL!: string;
}

export async function migrateCommand(app: string, options: Omit<DatabaseOptions, 'url'>): Promise<void> {
  try {
    const config = loadConfig(app, MigrateConfig);
    const dataSource = new DataSource(postgresOptions({ ...options, url: config.DATABASE_URL, poolSize: 1 }));
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    await dataSource.destroy();
    process.stdout.write(`${app}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
  } catch (error) {
    process.stderr.write(
      error instanceof ConfigError ? `${error.message}\n` : `${app}: migration failed: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
}
