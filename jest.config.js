/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^nestjs-agent-logging$': '<rootDir>/src/index.ts',
    '^nestjs-agent-logging/([a-z-]+)$': '<rootDir>/src/$1/index.ts',
    // The sources import each other with the `.js` extension the ESM build needs.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
