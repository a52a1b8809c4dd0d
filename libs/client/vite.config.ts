import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The SDK as an installable package (docs/client-sdk.md, "Build and install"): one ESM file in
 * libs/client/dist, with the contract's few runtime values (from @tandem/contracts, resolved
 * through tsconfig.json `paths`) and the small libraries it uses bundled in. socket.io-client
 * stays a dependency of the package, so an app shares one copy with its own code.
 * The declarations are bundled separately by dts-bundle-generator (npm run build:client).
 */
export default defineConfig({
  resolve: { tsconfigPaths: true },
  logLevel: 'warn',
  build: {
    lib: {
      entry: fileURLToPath(new URL('src/index.ts', import.meta.url)),
      formats: ['es'],
      fileName: 'index',
    },
    outDir: fileURLToPath(new URL('dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    rolldownOptions: { external: [/^socket\.io-client(\/|$)/] },
  },
});
