/**
 * The seizure suite (`npm run test:seizure`, and `npm run attack:metadata` for the figures
 * alone): test/seizure/*.seizure-spec.ts, which the main config's testMatch does not pick up.
 * One file at a time: a run seeds tens of thousands of contacts through the real application
 * and loads both cores. Issue 11 moves it into `npm test` once the schema passes it.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: base.transform,
  moduleNameMapper: base.moduleNameMapper,
  roots: ['<rootDir>/test/seizure'],
  testMatch: ['**/*.seizure-spec.ts'],
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  maxWorkers: 1,
  testTimeout: 1_800_000,
  verbose: true,
};
