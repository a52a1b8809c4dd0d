import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startStandaloneServer } from '../support/standalone.js';
import type { StandaloneServer } from '../support/standalone.js';

/** Socket inodes of the TCP sockets in LISTEN state on this machine (Linux /proc/net). */
function listeningTcpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') inodes.add(cols[9]!); // st 0A = LISTEN; column 10 = inode
    }
  }
  return inodes;
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      } catch {
        return undefined;
      }
    })
    .filter((inode): inode is string => inode !== undefined);
}

const children = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/**
 * docs/standalone.md, "The embedded database": its socket server has no authentication, so it must
 * never listen on TCP, where any local user could connect as `postgres` without a password. A data
 * directory whose path is too long for a Unix socket used to make it fall back to loopback TCP.
 */
describe('standalone: the embedded database never listens without authentication', () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-long-'));
  const dataDir = join(root, 'a-data-directory-whose-path-is-too-long-for-a-unix-socket'.repeat(2));
  let server: StandaloneServer;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    expect(join(dataDir, '.s.PGSQL.5432').length).toBeGreaterThan(107);
    server = await startStandaloneServer({ dataDir });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('embedded database: a data directory path too long for a socket still gets no TCP listener', async () => {
    expect((await request(server.url).get('/api/v1/products?limit=1')).status).toBe(200);
    const [database] = children(server.process.pid!);
    expect(database).toBeDefined();
    const listening = listeningTcpInodes();
    expect(socketInodes(database!).filter((inode) => listening.has(inode))).toEqual([]);
  });
});
