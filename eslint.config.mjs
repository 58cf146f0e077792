// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Packages that do I/O. The pure business rules (domain/) and the deterministic workflow code
// (workflows/, bundled into Temporal's sandbox) must never import them.
const ioModules = [
  'pg',
  'kysely',
  'kysely-pglite-dialect',
  '@electric-sql/pglite',
  'express',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'tesseract.js',
  'pdfjs-dist',
  'exceljs',
  'pino',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['domain/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      // Type-only imports are erased before bundling, so a workflow may name the activities' types.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'domain/ and workflows/ stay free of I/O.',
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'crypto',
                'child_process',
                'os',
                'http',
                'https',
                'net',
                'worker_threads',
              ],
              message: 'Node built-ins cannot run in the workflow sandbox or in pure rules.',
            },
            {
              group: ['../activities', '../activities/*', '../db/*', '../infra/*', '../api/*', '../extraction/*'],
              message: 'Only types may come from the I/O layers.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'Migrations are frozen in time: no imports from app code.' }] },
      ],
    },
  },
);
