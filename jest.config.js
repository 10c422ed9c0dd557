/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // The stacks (test/stacks) are apps of their own, run by scripts/test-stacks.js with their own runners.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/stacks/'],
  modulePathIgnorePatterns: ['<rootDir>/sample-app/dist', '<rootDir>/.tmp'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
    // The AI SDK ships ES modules only, which Jest's CommonJS runtime cannot
    // load without --experimental-vm-modules: its files are transpiled to
    // CommonJS on the way in (test/frameworks run the real package's code).
    '/node_modules/(ai|@ai-sdk/[^/]+|@workflow/serde|zod)/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', esModuleInterop: true }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(ai|@ai-sdk|@workflow/serde|zod)/)'],
  moduleNameMapper: {
    '^nestjs-agent-logging$': '<rootDir>/src/index.ts',
    '^nestjs-agent-logging/([a-z-]+)$': '<rootDir>/src/$1/index.ts',
    // The sources import each other with the `.js` extension the ESM build needs.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The sample app's own node_modules (NestJS 12 ESM, installed by the demo) are not the suite's: its sources
    // are loaded here on the repository's NestJS 11, the CommonJS path.
    // prom-client too: one registry for the sample app's PrometheusModule and the package's prometheusMetrics().
    '^(@nestjs/[a-z-]+|nestjs-pino|pino|pino-http|rxjs|reflect-metadata|prom-client|@willsoto/nestjs-prometheus)$': '<rootDir>/node_modules/$1',
  },
  testTimeout: 30000,
};
