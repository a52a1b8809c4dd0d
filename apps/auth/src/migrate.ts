import 'reflect-metadata';
import { migrateCommand } from '@tandem/platform';
import { authEntities, authMigrations } from './auth.module.js';

await migrateCommand('auth', {
  entities: authEntities,
  migrations: authMigrations,
  migrationsTableName: 'auth_migrations',
});
