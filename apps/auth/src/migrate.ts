import 'reflect-metadata';
import { migrateCommand, migrationsTable } from '@tandem/platform';
import { authEntities, authMigrations } from './auth.module.js';

await migrateCommand('auth', {
  entities: authEntities,
  migrations: authMigrations,
  migrationsTableName: migrationsTable('auth'),
});
