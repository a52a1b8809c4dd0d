import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The storefront demo page (issue 5 §3), bundled locally (no CDN) into dist/web, which standalone
 * serves at `/`. `@tandem/client` resolves to the SDK's sources; the SDK imports only types from
 * @tandem/contracts, so no class-validator reaches the bundle.
 */
export default defineConfig({
  root,
  base: '/',
  resolve: {
    alias: { '@tandem/client': fileURLToPath(new URL('../libs/client/src/index.ts', import.meta.url)) },
  },
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
