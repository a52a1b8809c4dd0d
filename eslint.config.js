import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What the browser-facing libraries may import (docs/client-sdk.md): `libs/contracts` (outside its
 * `server/` entry) and `libs/client` run in browsers, so no server framework, no Node built-in and
 * no server-side library; the SDK takes values only from the contracts' root entry.
 */
const SERVER_CODE = {
  paths: builtinModules.map((name) => ({ name, message: 'Browser code: no Node built-ins.' })),
  patterns: [
    { group: ['node:*'], message: 'Browser code: no Node built-ins.' },
    {
      group: ['@nestjs/*', 'class-validator', 'class-transformer', 'typeorm', 'pg', 'ioredis', 'amqplib', 'express'],
      message: 'Browser code: no server libraries.',
    },
    {
      group: ['@tandem/platform', '@tandem/security', '@tandem/messaging', '@tandem/contracts/server'],
      message: 'Browser code: no server code of this repository.',
    },
    {
      group: ['**/apps/**', '**/libs/platform/**', '**/libs/security/**', '**/libs/messaging/**'],
      message: 'Browser code: no server code.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/client/dist/**',
      'node_modules/**',
      'coverage/**',
      '.tools/**',
      'test/deploy/k8s-schemas/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through loadConfig, not process.env.',
        },
      ],
    },
  },
  // Apps are composed through their public entries (docs/standalone.md, "Composition"): an app never
  // imports another app, standalone imports the others only through `apps/<app>/src/index.ts`, and
  // libraries never import an app. Import paths are relative and textual here, so a pattern on the
  // path is exact: reaching another app means climbing to `apps/` and naming `<app>/src`.
  {
    files: ['apps/{auth,commerce,realtime}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(apps/)?(auth|commerce|realtime|standalone)/src(/|$)',
              message: 'An app does not import another app; share code through a library in libs/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/standalone/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(apps/)?(auth|commerce|realtime)/src/(?!index\\.js$)',
              message: "Standalone uses another app only through its public entry, '<app>/src/index.js'.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+apps(/|$)',
              message: 'A library never imports an app: apps depend on libraries, not the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'libs/platform/src/config.ts'],
    rules: {
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['libs/contracts/src/**/*.ts'],
    ignores: ['libs/contracts/src/server/**', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', SERVER_CODE] },
  },
  {
    files: ['libs/client/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: SERVER_CODE.paths,
          patterns: [
            ...SERVER_CODE.patterns,
            {
              group: ['@tandem/contracts/*', '**/libs/contracts/**', '../../contracts/**'],
              allowTypeImports: true,
              message: 'The SDK takes values from the @tandem/contracts root entry only.',
            },
          ],
        },
      ],
    },
  },
);
