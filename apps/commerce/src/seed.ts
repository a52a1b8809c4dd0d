import 'reflect-metadata';
import { migrateCommand, migrationsTable } from '@tandem/platform';
import { commerceEntities, commerceMigrations } from './commerce.module.js';
import { seedDemoCatalog } from './demo-catalog.js';

/** `npm run seed`: migrates, then loads the demo catalog (idempotent: existing SKUs are kept). */
await migrateCommand(
  'seed',
  { entities: commerceEntities, migrations: commerceMigrations, migrationsTableName: migrationsTable('commerce') },
  async (dataSource) => `seed: ${await seedDemoCatalog(dataSource)} products added`,
);
