import 'reflect-metadata';
import { DataSource } from 'typeorm';
import {
  ConfigError,
  IsDatabaseUrl,
  loadConfig,
  migrationsTable,
  postgresOptions,
  runMigrations,
} from '@tandem/platform';
import { commerceEntities, commerceMigrations } from './commerce.module.js';
import { seedDemoCatalog } from './demo-catalog.js';

class SeedConfig {
  @IsDatabaseUrl()
  DATABASE_URL!: string;
}

/** `npm run seed`: migrates, then loads the demo catalog (idempotent: existing SKUs are kept). */
try {
  const config = loadConfig('seed', SeedConfig);
  const dataSource = new DataSource(
    postgresOptions({
      url: config.DATABASE_URL,
      entities: commerceEntities,
      migrations: commerceMigrations,
      migrationsTableName: migrationsTable('commerce'),
      poolSize: 1,
    }),
  );
  await dataSource.initialize();
  await runMigrations(dataSource);
  const count = await seedDemoCatalog(dataSource);
  await dataSource.destroy();
  process.stdout.write(`seed: ${count} products added\n`);
} catch (error) {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `seed failed: ${(error as Error).message}\n`,
  );
  process.exit(1);
}
