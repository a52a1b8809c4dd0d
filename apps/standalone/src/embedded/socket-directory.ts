import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** pg's convention for a Unix socket: `<dir>/.s.PGSQL.<port>`; sun_path holds at most ~107 bytes. */
export const SOCKET_PORT = 5432;
const MAX_SOCKET_PATH = 100;
const TEMP_PREFIX = 'tandem-db-';

export const socketFile = (dir: string): string => join(dir, `.s.PGSQL.${SOCKET_PORT}`);

export interface SocketDirectory {
  /** Where the socket lives: pg's `host`. Only this user can enter it (mode 0700). */
  dir: string;
  /** Removes the socket (and the directory when it was made for it). */
  remove(): void;
}

/**
 * Where the embedded database's Unix socket goes (docs/standalone.md, "The embedded database"). The
 * socket server has no authentication, so it is only ever reachable by this user: never a TCP
 * port (any local user could connect), and never a directory others can enter. The data directory
 * when it is private (0700) and short enough for a socket path; otherwise a fresh private directory
 * from mkdtemp (always 0700) in `tempRoot`; and when even that path is too long, a clear error.
 */
export function privateSocketDirectory(
  dataDir: string,
  tempRoot: string = tmpdir(),
  platform: NodeJS.Platform = process.platform,
): SocketDirectory {
  if (platform === 'win32')
    throw new Error('the embedded database needs Unix sockets: on Windows set DATABASE_URL (or run under WSL)');
  const fits = (dir: string) => socketFile(dir).length <= MAX_SOCKET_PATH;
  if (fits(dataDir) && (statSync(dataDir).mode & 0o077) === 0) {
    rmSync(socketFile(dataDir), { force: true }); // left by a process that was killed
    return { dir: dataDir, remove: () => rmSync(socketFile(dataDir), { force: true }) };
  }
  const prefix = join(tempRoot, TEMP_PREFIX);
  if (!fits(`${prefix}XXXXXX`))
    throw new Error(
      `the embedded database's socket path would be too long under ${tempRoot}: set TMPDIR to a shorter directory`,
    );
  const dir = mkdtempSync(prefix);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
