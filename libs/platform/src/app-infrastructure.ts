import type { DynamicModule, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import type { DatabaseConfig } from './config.js';
import { MigrationsOnStart, postgresOptions, shouldMigrateAtStart } from './database.js';
import { loggingModule } from './logging.js';
import { MetricsModule } from './metrics.js';
import { RedisModule } from './redis.js';

export interface Schema {
  entities: MixedList<Function>;
  migrations: MixedList<Function>;
}

/** Each app keeps its own migration history, so two apps may share one database. */
export function migrationsTable(app: string): string {
  return `${app}_migrations`;
}

/**
 * What an app that owns a PostgreSQL database runs on when deployed alone: JSON logs, the database
 * with its migrations, Redis (or none) and metrics. The feature modules come on top.
 */
export function databaseAppInfrastructure(
  app: string,
  config: DatabaseConfig,
  schema: Schema,
): (DynamicModule | Type)[] {
  return [
    loggingModule(app, config.LOG_LEVEL),
    TypeOrmModule.forRoot(
      postgresOptions({
        url: config.DATABASE_URL,
        ...schema,
        migrationsTableName: migrationsTable(app),
        poolSize: config.DATABASE_POOL_SIZE,
      }),
    ),
    MigrationsOnStart.forRoot(shouldMigrateAtStart(config)),
    RedisModule.forRoot(config.REDIS_URL, app),
    MetricsModule,
  ];
}
