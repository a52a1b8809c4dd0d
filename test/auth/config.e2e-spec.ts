import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { generateSigningKeys } from '../support/keys.js';

const MAIN = 'dist/apps/auth/apps/auth/src/main.js';

/** The real process, as `nest start auth` runs it: a bad variable must stop it with a clear message. */
describe('auth start-up configuration check', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) execFileSync('npx', ['nest', 'build', 'auth'], { stdio: 'ignore' });
  }, 120_000);

  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('exits non-zero naming DATABASE_URL when it is malformed', () => {
    const result = start({ DATABASE_URL: 'not a url', JWT_PRIVATE_KEY: generateSigningKeys().privateKey });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain('JWT_PRIVATE_KEY');
  });

  it('exits non-zero naming every missing variable', () => {
    const result = start({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('JWT_PRIVATE_KEY');
  });

  it('never echoes a secret value in the message', () => {
    const result = start({
      DATABASE_URL: 'postgres://user:s3cret-pass@127.0.0.1:5432/x',
      JWT_PRIVATE_KEY: 'not-a-key-s3cret',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('JWT_PRIVATE_KEY');
    expect(result.stderr).not.toContain('s3cret');
  });
});
