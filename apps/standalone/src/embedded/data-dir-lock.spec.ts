import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, DataDirLockedError } from './data-dir-lock.js';

describe('data directory lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds our pid until released', () => {
    const path = join(dir, 'embedded-db.lock');
    const release = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses while a live process holds it, naming that process', () => {
    const path = join(dir, 'embedded-db.lock');
    const release = acquireLock(path);
    expect(() => acquireLock(path)).toThrow(DataDirLockedError);
    expect(() => acquireLock(path)).toThrow(new RegExp(`held by process ${process.pid}`));
    release();
  });

  it('takes over a lock left by a process that is gone, or one that holds garbage', () => {
    const path = join(dir, 'embedded-db.lock');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path, gone.stdout);
    acquireLock(path)();
    writeFileSync(path, 'not a pid');
    const release = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
  });

  it("never removes someone else's lock on release", () => {
    const path = join(dir, 'embedded-db.lock');
    const release = acquireLock(path);
    writeFileSync(path, '1');
    release();
    expect(readFileSync(path, 'utf8')).toBe('1');
  });
});
