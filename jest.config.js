/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The faults suite runs on its own (npm run test:faults, jest.faults.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  setupFiles: ['reflect-metadata'],
  // Turns the PostgreSQL leg on when a server answers (TEST_DATABASE_URL, else the local default), or says it is skipped.
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 30000,
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
};
