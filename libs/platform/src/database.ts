import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DataSourceOptions, MixedList } from 'typeorm';
import type { ReadinessProbe } from './health.js';

export interface DatabaseOptions {
  url: string;
  entities: MixedList<Function>;
  migrations: MixedList<Function>;
  /** Each app keeps its own migration history, so two apps may share one database. */
  migrationsTableName: string;
  poolSize?: number;
}

/** PostgreSQL options shared by every app: migrations only, never `synchronize`. */
export function postgresOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: options.migrationsTableName,
    // Never at DataSource start: runMigrations() holds an advisory lock so that replicas starting
    // together do not race (TypeORM's own check-then-run is not safe under concurrency).
    migrationsRun: false,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    poolSize: options.poolSize ?? 10,
    extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000, statement_timeout: 15_000 },
  };
}

const MIGRATION_LOCK = 7_466_000;

/** Runs pending migrations under a session advisory lock so concurrent starters do not race. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await dataSource.runMigrations({ transaction: 'each' });
    return done.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Readiness of the app's database. (Terminus's TypeOrmHealthIndicator does the same `SELECT 1`, but
 * it checks its peer packages with `import.meta.resolve`, which Jest's module runtime lacks: every
 * test that boots an app would fail to construct it.)
 */
@Injectable()
export class DatabaseProbe implements ReadinessProbe {
  readonly name = 'database';
  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

const MIGRATE_AT_START = Symbol('MIGRATE_AT_START');

@Injectable()
class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger('Migrations');
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MIGRATE_AT_START) private readonly enabled: boolean,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const applied = await runMigrations(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}

/** Runs pending migrations before the app serves (development default; production uses a Job). */
@Module({})
export class MigrationsOnStart {
  static forRoot(enabled: boolean): DynamicModule {
    return {
      module: MigrationsOnStart,
      providers: [{ provide: MIGRATE_AT_START, useValue: enabled }, MigrationRunner],
    };
  }
}

/** Migrations at start: yes by default, except in production, where a Job or Helm hook runs them. */
export function shouldMigrateAtStart(config: { MIGRATIONS_RUN?: boolean; NODE_ENV: string }): boolean {
  return config.MIGRATIONS_RUN ?? config.NODE_ENV !== 'production';
}
