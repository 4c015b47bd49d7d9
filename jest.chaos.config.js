/**
 * `npm run test:chaos`: the chaos suite alone (test/chaos/*.chaos-spec.ts). Kept out of
 * `npm test` (jest.config.js matches neither this folder's suffix nor its config): it takes
 * about two minutes, starts its own MariaDB server and needs the built app (the npm script
 * builds first). No globalSetup: it does not use the shared server on 3306.
 */
const base = require('./jest.config');

module.exports = {
  testEnvironment: base.testEnvironment,
  moduleFileExtensions: base.moduleFileExtensions,
  rootDir: '.',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  transform: base.transform,
  // One scenario: its steps set their own time limits.
  testTimeout: 60_000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
