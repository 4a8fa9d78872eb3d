/**
 * `npm run test:faults`: the fault-injection suite under load (test/faults), about 2 minutes.
 * Same transform as jest.config.js; the main config skips test/faults (the FAULTS_SUITE global is unset there).
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 180000,
  maxWorkers: 1,
  globals: { ...(base.globals || {}), FAULTS_SUITE: true },
};
