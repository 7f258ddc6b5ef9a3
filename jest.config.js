/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// @nestjs/config ships ES modules only. Node requires them as they are; Jest's CommonJS runtime
// cannot, so its files are compiled to CommonJS like ours.
const transform = {
  '^.+\\.ts$': tsJest,
  '/@nestjs/config/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!@nestjs/config/)'];
// The examples import the package by name, exactly as a host app would.
const moduleNameMapper = {
  '^nestjs-herald$': '<rootDir>/src/notifications/index.ts',
  '^nestjs-herald/client$': '<rootDir>/src/notifications/client/herald-client.ts',
};

module.exports = {
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
