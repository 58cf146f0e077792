// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
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

// Node built-ins: they cannot run in the workflow sandbox, and the pure rules do no I/O.
const nodeBuiltins = [
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
];

/*
 * Imports only run down (README, "Project layout"): bin → service → api and worker → workflows →
 * activities → extraction → db → domain, infra. For each folder, the project folders it may import; anything else
 * of the project is an error, so a new folder must find its place here. `types` may be imported for their types
 * only (erased before bundling, so a workflow may name its activities). migrations/ import nothing (below).
 */
// documents/ renders the PDFs the API serves (data in, bytes out): a presentation layer beside api/.
const app = ['service', 'api', 'worker', 'workflows', 'activities', 'extraction', 'db', 'domain', 'infra', 'documents'];
// What api/ may take from workflows/: the contract, never the workflow's code (it runs in the sandbox).
const workflowContract = ['workflows/pro-forma.messages', 'workflows/search-attributes'];
const layers = {
  bin: { imports: app },
  service: { imports: app.slice(1) },
  api: { imports: [...workflowContract, 'documents', 'activities', 'extraction', 'db', 'domain', 'infra'] },
  // Pure rendering: the data it prints is typed by db/, never read from it.
  documents: { imports: ['domain', 'infra'], types: ['db'] },
  worker: { imports: ['workflows', 'activities', 'extraction', 'db', 'domain', 'infra'] },
  workflows: { imports: ['domain'], types: ['activities', 'extraction', 'db', 'infra'], pure: true },
  // The payment runs' activities write the SEPA file (documents/) and tell the pro formas' workflows (their contract).
  activities: { imports: [...workflowContract, 'documents', 'extraction', 'db', 'domain', 'infra'] },
  // The contracts workbook parser produces the db's import rows: the one arrow between the two, types only.
  extraction: { imports: ['domain', 'infra'], types: ['db'] },
  db: { imports: ['domain', 'infra'] },
  domain: { imports: [], pure: true },
  infra: { imports: [] },
  // Measurement code that bench/ and test/ share, so that neither imports the other.
  support: { imports: app },
  bench: { imports: ['support', ...app] },
  test: { imports: ['support', ...app] },
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// `../x` or `../x/…` from a file one folder deep (`../../x` two deep): an import of the project's folder or file x.
const target = (depth, names) =>
  `^(?:\\.\\./){${depth}}(?:${names.map((n) => `${escape(n)}${n.includes('/') ? '' : '(?:/.*)?'}`).join('|')})$`;
const anyOtherThan = (depth, names) => {
  const allowed = names.map((n) => `${escape(n)}${n.includes('/') ? '$' : '(?:/|$)'}`);
  return `^(?:\\.\\./){${depth}}${allowed.length > 0 ? `(?!${allowed.join('|')})` : ''}[^./]`;
};
const order = 'bin → service → api, worker → workflows → activities → extraction → db → domain, infra';

// One block per folder depth (test/api/x.ts reaches the root by `../../`): a file's imports are read from its depth.
const layerRules = Object.entries(layers).flatMap(([folder, { imports, types = [], pure = false }]) =>
  [1, 2, 3, 4].map((depth) => ({
    files: [`${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: pure
            ? ioModules.map((name) => ({
                name,
                message: `${folder}/ stays free of I/O.`,
                allowTypeImports: true,
              }))
            : [],
          patterns: [
            ...(pure
              ? [
                  {
                    group: nodeBuiltins,
                    message: 'Node built-ins cannot run in the workflow sandbox or in pure rules.',
                  },
                ]
              : []),
            {
              regex: anyOtherThan(depth, [...imports, ...types]),
              message: `${folder}/ may import ${imports.length > 0 ? `only ${imports.join(', ')}` : 'no project folder'}${
                types.length > 0 ? ` (and types from ${types.join(', ')})` : ''
              }: imports run down (${order}).`,
            },
            ...(types.length > 0
              ? [
                  {
                    regex: target(depth, types),
                    message: `${folder}/ may take only types from ${types.join(', ')}.`,
                    allowTypeImports: true,
                  },
                ]
              : []),
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**', 'web/dist/**', 'screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Type-aware rules, on the TypeScript files (tsconfig.json lists every folder): a promise nobody awaits loses
    // its rejection, and a promise where a void callback is expected (an Express handler, an event listener) is
    // never awaited by its caller. A deliberate fire-and-forget says so with `void` and a comment.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  ...layerRules,
  {
    // The web pages (web/, bundled for the browser): React's rules of hooks; from the project, only the pure
    // business rules (domain/) and the API's schemas, for their types (the pages read what the API declares).
    files: ['web/**/*.ts', 'web/**/*.tsx', 'web/**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?:\\.\\./)+(?:activities|bin|db|documents|extraction|infra|migrations|service|support|test|worker|workflows)(?:/|$)|^(?:\\.\\./)+api/(?!schemas/)',
              message: 'web/ may import only domain/ and, for their types, api/schemas/.',
            },
            {
              regex: '^(?:\\.\\./)+api/schemas/',
              message: 'web/ takes only types from api/schemas/ (import type): the server is not bundled.',
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
