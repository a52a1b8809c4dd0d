/**
 * Child process that owns the embedded database (docs/standalone.md, "The embedded database"): PGlite (PostgreSQL compiled to WASM)
 * behind @electric-sql/pglite-socket, which speaks the wire protocol, so pg and TypeORM run the
 * same migrations and SQL as against a real server.
 *
 * Why a child process and not the app's thread: PGlite executes on the thread that owns it, so a
 * slow query would stall every HTTP request and socket of the app; its first start (initdb) also
 * peaks near 800 MB, which stays out of the app's heap here. The child holds the data directory's
 * lock file: two processes opening one PGlite directory corrupt it.
 *
 * Protocol (IPC): the parent spawns `node pglite-server.js <dataDir>`; the child answers
 * `{ type: 'ready', host, port, created, ms }` or `{ type: 'error', message }`; `{ type: 'stop' }`
 * (or the parent disappearing) closes the database cleanly and exits.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireLock } from './data-dir-lock.js';
import { privateSocketDirectory, SOCKET_PORT, socketFile } from './socket-directory.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: pglite-server <dataDir>');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = acquireLock(join(dataDir, 'embedded-db.lock'));
  const started = Date.now();
  const pgdata = join(dataDir, 'pgdata');
  const created = !existsSync(join(pgdata, 'PG_VERSION'));
  // pgcrypto: the migrations run `CREATE EXTENSION IF NOT EXISTS pgcrypto` (and TypeORM does too,
  // uuidExtension: 'pgcrypto'); PGlite ships it as a loadable extension, not built in.
  const db = await PGlite.create({ dataDir: pgdata, extensions: { pgcrypto } });

  // The socket server has no authentication: only a Unix socket in a directory no one else can
  // enter, never a TCP port any local user could reach (socket-directory.ts).
  const socketDir = privateSocketDirectory(dataDir);
  const socketPath = socketFile(socketDir.dir);
  // PGlite has a single backend session: the app keeps a pool of ONE connection. The server still
  // accepts a few, because a closed connection is released asynchronously and a migration
  // DataSource is followed at once by the app's (with a limit of 1 the next one is refused).
  const limits = { maxConnections: 4 };
  const server = new PGLiteSocketServer({ db, path: socketPath, ...limits });
  await server.start();
  // Connecting needs write permission on the socket: the owner's only, whatever the umask.
  chmodSync(socketPath, 0o600);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.stop().catch(() => undefined);
      await db.close().catch(() => undefined);
      socketDir.remove();
      release();
      process.exit(0);
    })());
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop();
  });
  // The parent went away (even by SIGKILL): close the files properly rather than leave them torn.
  process.on('disconnect', () => void stop());
  // Ctrl-C reaches the whole process group; the parent decides when the database closes.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());

  send({ type: 'ready', host: socketDir.dir, port: SOCKET_PORT, created, ms: Date.now() - started });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
