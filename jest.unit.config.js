/**
 * `npm run test:unit`: the tests that need no platform (no Temporal, no database server, no
 * browser): everything outside test/. `npm test` (jest.config.js) still runs these and the rest.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  globalTeardown: undefined,
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '<rootDir>/test/'],
};
