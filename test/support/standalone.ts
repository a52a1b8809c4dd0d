import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpProxy } from './tcp-proxy.js';

/**
 * Runs the standalone server the way `npm start` does: the built app (dist) as its own process,
 * with DATABASE_URL, REDIS_URL and BROKER_URL removed from its environment, on a free port and a
 * data directory in a temp folder. Builds it (app and storefront page) first when sources changed.
 */
export const ROOT = process.cwd();
export const STANDALONE_MAIN = join(ROOT, 'dist/apps/standalone/apps/standalone/src/main.js');
const STAMP = join(ROOT, 'dist/.standalone-build-stamp');
const LOCK = join(ROOT, 'dist/.standalone-build-lock');
const SOURCES = ['apps', 'libs', 'web'];

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!existsSync(STAMP) || !existsSync(STANDALONE_MAIN) || !existsSync(join(ROOT, 'dist/web/index.html')))
    return false;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.every((dir) => newestSource(join(ROOT, dir)) <= built);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** `npm run build:web && nest build standalone`, once for all test files of a run (a lock directory). */
export async function ensureStandaloneBuilt(): Promise<void> {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (isFresh()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another test file is building; a lock older than 3 minutes is a leftover.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000)
        rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of standalone');
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (isFresh()) return;
      const started = Date.now();
      run('node', ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error']);
      run('node', ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'standalone']);
      writeFileSync(STAMP, String(Date.now() - started));
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export interface StandaloneServer {
  url: string;
  port: number;
  dataDir: string;
  /** Everything the process printed on stdout so far (the banner with the credentials). */
  output(): string;
  /** The account lines of the banner: role → { email, password? }. */
  credentials(): Record<string, { email: string; password?: string }>;
  process: ChildProcess;
  /** SIGTERM, then waits for the exit (the embedded database closes its files): the code, or the signal. */
  stop(): Promise<number | string | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a data directory (default: a fresh temp one, removed by stop()). */
  dataDir?: string;
  timeoutMs?: number;
}

const SERVICE_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'BROKER_URL',
  'AUTH_JWKS_URL',
  'COMMERCE_URL',
  'JWT_PRIVATE_KEY',
];

export async function startStandaloneServer(options: StartOptions = {}): Promise<StandaloneServer> {
  await ensureStandaloneBuilt();
  const port = await TcpProxy.freePort();
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-standalone-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !SERVICE_VARIABLES.includes(key) && !key.startsWith('NODE_OPTIONS')) env[key] = value;
  }
  Object.assign(env, {
    PORT: String(port),
    TANDEM_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    AUTH_REQUESTS_PER_IP_PER_MINUTE: '1000',
    REQUESTS_PER_IP_PER_MINUTE: '100000',
    ...options.env,
  });
  const child = spawn(process.execPath, [STANDALONE_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`standalone did not start in time.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    const check = () => {
      if (stdout.includes('Tandem standalone is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`standalone exited with ${code}.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    process: child,
    output: () => stdout,
    credentials: () => parseCredentials(stdout),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export function parseCredentials(output: string): Record<string, { email: string; password?: string }> {
  const accounts: Record<string, { email: string; password?: string }> = {};
  for (const match of output.matchAll(/^\s+(admin|customer)\s+(\S+@\S+)\s+(?:password: (\S+))?/gm)) {
    accounts[match[1]!] = { email: match[2]!, password: match[3] };
  }
  return accounts;
}
