/**
 * The fault suite (`npm run test:faults`): test/faults/*.faults-spec.ts, which the main
 * config's testMatch does not pick up. One file at a time, in band: the scenarios stop,
 * restart and flush their own PostgreSQL and Redis, and load the machine's two cores.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: base.transform,
  moduleNameMapper: base.moduleNameMapper,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults-spec.ts'],
  maxWorkers: 1,
  testTimeout: 240_000,
  verbose: true,
};
