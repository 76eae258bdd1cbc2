// Shared jest settings for every project. Each project's jest.config.js spreads this and sets
// its own displayName. Workspace imports (@skyroad/x) resolve to the library's TypeScript
// sources, read from tsconfig.base.json, so tests never run against stale builds.
const path = require('node:path');
const { paths } = require('./tsconfig.base.json').compilerOptions;

// Sources that import siblings as './x.ts' (for the ESM build) are emitted as './x.js'.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const [alias, [target]] of Object.entries(paths)) {
  moduleNameMapper[`^${alias.replace('*', '(.*)')}$`] = path.join(__dirname, target.replace('*', '$1'));
}

module.exports = {
  testEnvironment: path.join(__dirname, 'libs/testkit/jest-environment.js'),
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json') }],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  reporters: ['default', path.join(__dirname, 'tools/ci/jest-summary-reporter.js')],
  testTimeout: 30_000,
};
