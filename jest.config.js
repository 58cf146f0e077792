/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  preset: 'ts-jest',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // One Temporal dev server for the whole run (started from the project's Temporal CLI), shared by every file.
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFiles: ['<rootDir>/test/helpers/quiet-temporal.ts'],
  testTimeout: 60_000,
  // Two cores: integration files each hold a database and Temporal workers; two at a time keeps the box responsive.
  maxWorkers: 2,
  // The longest files first, also on a fresh clone (test/helpers/sequencer.js).
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
};
