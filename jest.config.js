/**
 * Jest runs the TypeScript sources through SWC, the same compiler as the build. Everything
 * in node_modules must be CommonJS: Jest cannot load ES-module-only packages on Node 20
 * (which is why @fastify/cookie and @fastify/static are pinned to versions whose
 * dependencies are still CommonJS; see the README's stack notes).
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { swcrc: true }] },
  moduleNameMapper: {
    '^@mayak/platform/(.*)$': '<rootDir>/libs/platform/src/$1',
    '^@mayak/(.*)$': '<rootDir>/libs/$1/src',
  },
  roots: [
    '<rootDir>/apps/api',
    '<rootDir>/apps/worker',
    '<rootDir>/apps/cli',
    '<rootDir>/libs',
    '<rootDir>/test',
  ],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/harness/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/harness/global-teardown.ts',
  testTimeout: 60_000,
  // Two cores: two test files at a time, each with its own database and queue prefix.
  maxWorkers: 2,
};
