import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createTestDatabase } from '../support/database.js';
import { generateSigningKeys } from '../support/keys.js';
import { waitFor } from '../support/realtime.js';
import { TcpProxy } from '../support/tcp-proxy.js';

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

  it('exits non-zero naming JWT_PUBLIC_KEY when it holds no key', () => {
    const result = start({
      DATABASE_URL: 'postgres://127.0.0.1:5432/x',
      JWT_PRIVATE_KEY: generateSigningKeys().privateKey,
      JWT_PUBLIC_KEY: 'not a key',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('JWT_PUBLIC_KEY');
  });

  it('starts with retired keys in JWT_PUBLIC_KEY (one line, \\n escapes) and publishes them in the JWKS', async () => {
    const db = await createTestDatabase('auth');
    const port = await TcpProxy.freePort();
    const retired = [generateSigningKeys('rsa').publicKey, generateSigningKeys().publicKey].join('');
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        JWT_PRIVATE_KEY: generateSigningKeys().privateKey,
        JWT_PUBLIC_KEY: retired.replace(/\n/g, '\\n'),
      },
      stdio: 'ignore',
    });
    try {
      let keys: { alg: string }[] = [];
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`auth exited with ${child.exitCode}`);
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/jwks`).catch(() => undefined);
          if (res?.status !== 200) return false;
          keys = ((await res.json()) as { keys: { alg: string }[] }).keys;
          return true;
        },
        20_000,
        'auth to serve its JWKS',
      );
      expect(keys.map((key) => key.alg)).toEqual(['ES256', 'RS256', 'ES256']);
    } finally {
      child.kill();
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
      await db.drop();
    }
  }, 30_000);

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
