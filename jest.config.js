// Two projects: `unit` never touches Docker; `integration` uses a real Docker Engine,
// real Compose v2 and real PostgreSQL (see README "Tests").
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
};
const shared = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  // `gyre-ci` is the package's own entry (src/index.ts), so tests can import it by name as users do.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^gyre-ci$': '<rootDir>/src/index.ts' },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      slowTestThreshold: 120,
    },
  ],
};
