import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The storefront demo page (docs/standalone.md), bundled locally (no CDN) into dist/web, which
 * standalone serves at `/`. `@tandem/client` resolves through tsconfig.json `paths` to the SDK's
 * entry, the same one the package build (libs/client/vite.config.ts) bundles; the SDK takes only the
 * types-and-constants root of @tandem/contracts, so no class-validator reaches the bundle.
 */
export default defineConfig({
  root,
  base: '/',
  resolve: { tsconfigPaths: true },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` against a running standalone on :3000.
    proxy: { '/api': 'http://localhost:3000', '/socket.io': { target: 'ws://localhost:3000', ws: true } },
  },
});
