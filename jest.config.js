/**
 * One test command (`npm test`): unit specs beside the code (src/**\/*.spec.ts) and of the
 * project itself (test/*.spec.ts: its package and lockfile), e2e specs that
 * boot the real app on SQLite and on a real MySQL/MariaDB database (test/**\/*.e2e-spec.ts), and
 * multi-process specs that start several built instances (test/**\/*.mp-spec.ts).
 */
module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.mp-spec.ts'],
  transform: {
    // Type checking happens in `pretest` (tsc); here ts-jest only transpiles.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true }, diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
