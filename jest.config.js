/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/web/'],
  testTimeout: 120000,
  maxWorkers: 2,
  verbose: true,
  // The console's alias for domain/ (web/vite.config.ts), for tests that import console modules.
  moduleNameMapper: { '^@domain/(.*)$': '<rootDir>/domain/$1' },
  // Shared platforms, one per jest worker, for the files on the common profile (test/harness.ts).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
