import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { privateSocketDirectory, socketFile } from './socket-directory.js';

describe("the embedded database's socket directory (never reachable by another local user)", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tandem-sock-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const dataDir = (name: string, mode: number) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    return dir;
  };
  const isPrivate = (dir: string) => (statSync(dir).mode & 0o077) === 0;

  it('uses a short private data directory itself, clearing a socket a killed process left', () => {
    const dir = dataDir('data', 0o700);
    writeFileSync(socketFile(dir), '');
    const socket = privateSocketDirectory(dir, root);
    expect(socket.dir).toBe(dir);
    expect(existsSync(socketFile(dir))).toBe(false);
    socket.remove();
    expect(existsSync(dir)).toBe(true);
  });

  it('a data directory path too long for a socket: a fresh 0700 directory in the temp root, not TCP', () => {
    const dir = dataDir(`${'deep/'.repeat(20)}data`, 0o700);
    expect(socketFile(dir).length).toBeGreaterThan(107);
    const socket = privateSocketDirectory(dir, root);
    expect(dirname(socket.dir)).toBe(root);
    expect(isPrivate(socket.dir)).toBe(true);
    socket.remove();
    expect(existsSync(socket.dir)).toBe(false);
  });

  it('a data directory others may enter: a fresh 0700 directory, never a socket in the shared one', () => {
    const dir = dataDir('shared', 0o755);
    const socket = privateSocketDirectory(dir, root);
    expect(socket.dir).not.toBe(dir);
    expect(isPrivate(socket.dir)).toBe(true);
    socket.remove();
  });

  it('refuses to start when even the temp directory is too long, and on Windows (no Unix sockets)', () => {
    const longTemp = dataDir('t'.repeat(120), 0o700);
    expect(() => privateSocketDirectory(dataDir('shared', 0o755), longTemp)).toThrow(/too long.*TMPDIR/);
    expect(() => privateSocketDirectory(dataDir('data', 0o700), root, 'win32')).toThrow(/DATABASE_URL/);
  });
});
