/** jest 30 on native ESM (`node --experimental-vm-modules`), TypeScript through @swc/jest. */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  sourceMaps: 'inline',
};

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Workspace packages straight from source, so a test never runs against a stale build.
    '^@kometpay/(money|email-templates)$': '<rootDir>/packages/$1/src/index.ts',
    '^@kometpay/schema/(checkout|merchant)$': '<rootDir>/packages/schema/src/$1.generated.ts',
  },
  testMatch: [
    '<rootDir>/apps/*/src/**/__tests__/**/*.test.ts',
    '<rootDir>/packages/*/src/**/__tests__/**/*.test.ts',
    '<rootDir>/tests/**/*.test.ts',
  ],
  // The soak (reliability battery item 14) measures the API's event loop under a set load: `npm test` runs it
  // alone, after the rest, so that no other test file shares the two cores with it.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '/build/',
    ...(process.env.KOMETPAY_TEST_SKIP_SOAK === '1' ? ['/tests/reliability/soak\\.test\\.ts$'] : []),
  ],
  globalSetup: '<rootDir>/tests/support/global-setup.mjs',
  globalTeardown: '<rootDir>/tests/support/global-teardown.mjs',
  testTimeout: 30_000,
  maxWorkers: 2,
};
