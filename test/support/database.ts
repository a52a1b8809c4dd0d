import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { databaseOptions, migrateStandalone } from '../../apps/standalone/src/database.js';

/** The server the tests create their throwaway databases on (CI: the machine's PostgreSQL). */
export const ADMIN_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file: no test sees another's rows. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `tandem_${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface EmbeddedTestDatabase {
  /** TypeORM options for it: auth's and commerce's tables, migrated; a pool of one connection. */
  options: DataSourceOptions;
  stop(): Promise<void>;
}

/**
 * The medium tier's database: PGlite (PostgreSQL in WASM) in this process, in memory, served on a
 * random loopback port by pglite-socket, with auth's and commerce's migrations applied exactly as
 * standalone applies them (apps/standalone/src/database.ts). No PostgreSQL server is involved.
 */
export async function createEmbeddedTestDatabase(): Promise<EmbeddedTestDatabase> {
  const db = await PGlite.create({ extensions: { pgcrypto } });
  // A few connections, one at a time in practice: the migrations' DataSources, then the app's pool of one.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const stop = async () => {
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
  };
  try {
    const port = Number(server.getServerConn().split(':').pop());
    const options = databaseOptions(undefined, { host: '127.0.0.1', port, created: true, ms: 0, stop });
    await migrateStandalone(options, true);
    return { options, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
