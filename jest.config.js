/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // The stacks (test/stacks) are apps of their own, run by scripts/test-stacks.js with their own runners.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/stacks/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^nestjs-agent-logging$': '<rootDir>/src/index.ts',
    // The sources import each other with the `.js` extension the ESM build needs.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
