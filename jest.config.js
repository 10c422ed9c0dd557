/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // The stacks (test/stacks) are apps of their own, run by scripts/test-stacks.js with their own runners.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/stacks/'],
  modulePathIgnorePatterns: ['<rootDir>/sample-app/dist', '<rootDir>/.tmp'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^nestjs-agent-logging$': '<rootDir>/src/index.ts',
    '^nestjs-agent-logging/([a-z-]+)$': '<rootDir>/src/$1/index.ts',
    // The sources import each other with the `.js` extension the ESM build needs.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The sample app's own node_modules (NestJS 12 ESM, installed by the demo) are not the suite's: its sources
    // are loaded here on the repository's NestJS 11, the CommonJS path.
    '^(@nestjs/[a-z-]+|nestjs-pino|pino|pino-http|rxjs|reflect-metadata)$': '<rootDir>/node_modules/$1',
  },
  testTimeout: 30000,
};
