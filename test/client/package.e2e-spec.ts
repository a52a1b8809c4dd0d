import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startStandaloneServer } from '../support/standalone.js';
import type { StandaloneServer } from '../support/standalone.js';
import { uniqueEmail } from '../support/http.js';

/**
 * The SDK as a storefront team gets it (docs/client-sdk.md, "Build and install"): `npm run
 * build:client`, `npm pack` of libs/client, the tarball installed into a scratch project outside
 * the repository, then used from Node against the standalone server and type-checked against the
 * bundled declarations.
 */
const CLIENT_DIR = join(ROOT, 'libs/client');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Child processes run without the test runner's NODE_OPTIONS (--experimental-vm-modules). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['NODE_OPTIONS'];
  return env;
}

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  return spawnSync(command, args, { cwd, env: childEnv(extra), encoding: 'utf8', timeout: 180_000 });
}

/**
 * `npm install <tarball>` (socket.io-client from the npm cache, or the registry). On a machine with
 * neither, the tarball is unpacked by hand and its one dependency linked from the repository's own
 * install: the package's files, `exports` and declarations are still what is tested.
 */
function installTarball(project: string, tarball: string): string {
  const npm = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  if (npm.status === 0) return 'npm install';
  const target = join(project, 'node_modules/@tandem/client');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  symlinkSync(join(ROOT, 'node_modules/socket.io-client'), join(project, 'node_modules/socket.io-client'), 'dir');
  return `unpacked (npm install failed: ${npm.stderr.trim().split('\n').pop()})`;
}

const USE_FROM_NODE = `
import { TandemApiError, TandemClient, channels } from '@tandem/client';

const client = new TandemClient({ baseUrl: process.env.API_URL });
const session = await client.auth.register(process.env.EMAIL, 'password-1234', 'Package Test');
const page = await client.products.list({ limit: 3 });
let refused;
try {
  await client.orders.place({ items: [] });
} catch (error) {
  refused = { isApiError: error instanceof TandemApiError, status: error.status, type: error.type };
}
const sub = client.live.subscribe(channels.catalog, () => undefined);
await sub.ready;
console.log(JSON.stringify({
  email: session.user.email,
  sessionId: client.sessionId,
  items: page.data.items.length,
  offset: page.offset,
  refused,
  transport: client.live.transportKind,
  state: client.live.state,
}));
client.close();
`;

const TYPED_USE = `
import { TandemClient } from '@tandem/client';
import type { LiveEvent, Product, ProblemType, Read } from '@tandem/client';

const client = new TandemClient({ baseUrl: 'http://localhost:3000' });

function stockOf(event: LiveEvent): number | undefined {
  switch (event.type) {
    case 'inventory.changed':
      return event.data.stock;
    case 'product.updated':
      // @ts-expect-error a product carries no delta: data is narrowed by type
      return event.data.delta;
    default:
      return undefined;
  }
}

async function main(): Promise<void> {
  const read: Read<Product> = await client.products.get('0b7e3f5c-9a55-4d1e-8d57-3f0a3c2f6a11');
  const slug: ProblemType = 'insufficient-stock';
  client.live.subscribe<Product>(\`product:\${read.data.id}\`, (event) => void stockOf(event), {
    onSnapshot: (product) => product.price.amount + slug.length,
  });
  // @ts-expect-error not a channel of the contract
  client.live.subscribe('products', () => undefined);
  // @ts-expect-error an admin sets only shipped or delivered
  await client.orders.setStatus(read.data.id, 'paid');
}
void main;
`;

describe('@tandem/client as an installed package', () => {
  let server: StandaloneServer;
  let scratch: string;
  let tarball: string;
  let installedBy: string;

  beforeAll(async () => {
    const build = run('npm', ['run', 'build:client'], ROOT);
    if (build.status !== 0) throw new Error(`npm run build:client failed:\n${build.stdout}\n${build.stderr}`);
    scratch = mkdtempSync(join(tmpdir(), 'tandem-client-package-'));
    const pack = run('npm', ['pack', '--json', '--pack-destination', scratch], CLIENT_DIR);
    if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(scratch, packed!.filename);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'storefront', private: true, type: 'module' }));
    installedBy = installTarball(scratch, tarball);
    server = await startStandaloneServer();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs only the built ESM, its bundled declarations and the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules/@tandem/client/package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@tandem/client',
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      dependencies: { 'socket.io-client': expect.any(String) },
    });
    const files = readdirSync(join(scratch, 'node_modules/@tandem/client/dist')).sort();
    expect(files).toEqual(['index.d.ts', 'index.js', 'index.js.map']);
    const declarations = readFileSync(join(scratch, 'node_modules/@tandem/client/dist/index.d.ts'), 'utf8');
    // The contract's types are bundled in, not imported from a package the storefront does not have.
    expect(declarations).not.toMatch(/from ['"]@tandem\/contracts['"]/);
    expect(declarations).toContain('export type EventEnvelope');
    const code = readFileSync(join(scratch, 'node_modules/@tandem/client/dist/index.js'), 'utf8');
    // Everything else is bundled: its only import is its one dependency.
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    expect(imports).toEqual(['socket.io-client']);
    expect(code).not.toMatch(/class-validator|@nestjs\//);
  });

  it('is imported and used from Node: REST, a problem slug, a live subscription', () => {
    writeFileSync(join(scratch, 'use.mjs'), USE_FROM_NODE);
    const email = uniqueEmail('package');
    const result = run(process.execPath, ['use.mjs'], scratch, { API_URL: server.url, EMAIL: email });
    if (result.status !== 0) throw new Error(`use.mjs failed (${installedBy}):\n${result.stdout}\n${result.stderr}`);
    const output = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(output).toMatchObject({
      email,
      items: 3,
      refused: { isApiError: true, status: 400, type: 'validation-failed' },
      transport: 'websocket',
      state: 'live',
    });
    expect(output.sessionId).toEqual(expect.any(String));
    expect(output.offset).toBeGreaterThan(0);
  });

  it('type-checks a storefront file against the bundled declarations alone', () => {
    writeFileSync(join(scratch, 'typed.ts'), TYPED_USE);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2022', 'dom', 'dom.iterable'],
          types: [],
          skipLibCheck: false,
        },
        files: ['typed.ts'],
      }),
    );
    const ok = run(process.execPath, [TSC, '-p', 'tsconfig.json'], scratch);
    expect(`${ok.stdout}${ok.stderr}`).toBe('');
    expect(ok.status).toBe(0);

    // The same file with a wrong payload access fails: the types are real, not `any`.
    writeFileSync(join(scratch, 'typed.ts'), TYPED_USE.replace('return event.data.stock;', 'return event.data.price;'));
    const broken = run(process.execPath, [TSC, '-p', 'tsconfig.json'], scratch);
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/Property 'price' does not exist/);
  });
});
