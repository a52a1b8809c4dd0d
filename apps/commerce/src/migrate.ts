import 'reflect-metadata';
import { migrateCommand, migrationsTable } from '@tandem/platform';
import { commerceEntities, commerceMigrations } from './commerce.module.js';

await migrateCommand('commerce', {
  entities: commerceEntities,
  migrations: commerceMigrations,
  migrationsTableName: migrationsTable('commerce'),
});
