// Nest 12 packages are ESM-only and the project is ESM ("type": "module"), so Jest runs in native
// ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by the npm scripts) and ts-jest emits ESM.
// Path aliases mirror tsconfig.json "paths".
//
// Three tiers (README "Tests"):
//   unit   co-located *.spec.ts next to pure modules: no service, no network, seconds;
//   medium test/medium/**: each app's module booted with in-process fakes of its boundaries
//          (embedded PGlite database, in-process broker, memory stores), still no service;
//   e2e    test/**/*.e2e-spec.ts against real PostgreSQL, Redis, RabbitMQ, sockets and Chromium.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^@tandem/contracts/server$': '<rootDir>/libs/contracts/src/server/index.ts',
    '^@tandem/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // See the file: light-my-request requires an ESM-only package, which Jest cannot load.
    '^cookie$': '<rootDir>/test/support/cookie.cjs',
  },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
