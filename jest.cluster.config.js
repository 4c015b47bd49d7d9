/**
 * `npm run test:cluster`: the cluster suite alone (test/cluster/*.cluster-spec.ts). Kept out of
 * `npm test`: it starts its own three-node MariaDB Galera cluster and an HAProxy (private ports and
 * temp datadirs), takes a few minutes, and needs the built app (the npm script builds first).
 * No globalSetup: it does not use the shared server on 3306.
 */
const base = require('./jest.config');

module.exports = {
  testEnvironment: base.testEnvironment,
  moduleFileExtensions: base.moduleFileExtensions,
  rootDir: '.',
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  transform: base.transform,
  // One scenario: its steps set their own time limits.
  testTimeout: 60_000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
