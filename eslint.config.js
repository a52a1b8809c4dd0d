import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
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
);
