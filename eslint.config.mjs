// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

/** The library's import rules for a file `depth` folders below src/notifications. */
function libraryImports(depth, { statuses }) {
  return {
    patterns: [
      {
        regex: `^(\\.\\./){${depth + 1}}`,
        message: 'The library imports nothing of the app: keep it inside src/notifications.',
      },
    ],
    paths: statuses
      ? []
      : [
          {
            name: '@nestjs/common',
            importNames: [
              'HttpException',
              'BadRequestException',
              'UnauthorizedException',
              'ForbiddenException',
              'NotFoundException',
              'ConflictException',
              'UnprocessableEntityException',
              'PayloadTooLargeException',
              'GoneException',
              'InternalServerErrorException',
            ],
            message:
              "Throw a NotificationsError with a code; the module's http/ folder maps codes to statuses.",
          },
        ],
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-output/**',
      '*.config.js',
      '*.config.mjs',
      // Compiled by the package test against the installed tarball, in folders of their own.
      'test/package/hosts/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The library boundary: the importable module never reads the environment.
    files: ['src/notifications/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'The module takes options; only src/config reads process.env.',
        },
      ],
    },
  },
  // The library imports nothing of the app (no import climbs out of src/notifications), and only
  // its http/ folder speaks HTTP statuses: the rest throws NotificationsError with a code.
  ...[0, 1, 2, 3, 4, 5].map((depth) => ({
    files: [`src/notifications/${'*/'.repeat(depth)}*.ts`],
    ignores: ['src/notifications/http/**'],
    rules: { 'no-restricted-imports': ['error', libraryImports(depth, { statuses: false })] },
  })),
  {
    files: ['src/notifications/http/*.ts'],
    rules: { 'no-restricted-imports': ['error', libraryImports(1, { statuses: true })] },
  },
  // Webhook subscriptions and deliveries import nothing of each other: what both need lives in a
  // shared webhooks/ folder (destinations/, secrets/). The library's rules above still apply.
  ...[2, 3, 4].flatMap((depth) =>
    [
      ['subscriptions', 'delivery'],
      ['delivery', 'subscriptions'],
    ].map(([folder, other]) => {
      const rules = libraryImports(depth, { statuses: false });
      return {
        files: [`src/notifications/webhooks/${folder}/${'*/'.repeat(depth - 2)}*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              ...rules,
              patterns: [
                ...rules.patterns,
                {
                  regex: `^(\\.\\./)+(webhooks/)?${other}(/|$)`,
                  message: `webhooks/${folder} does not import webhooks/${other}: share through a webhooks/ folder of both.`,
                },
              ],
            },
          ],
        },
      };
    }),
  ),
  {
    // The app reaches the library through its public entry only.
    files: ['src/**/*.ts'],
    ignores: ['src/notifications/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)notifications/',
              message:
                "Import the library from its public entry ('./notifications'); export what the app needs there.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads process.env.' },
      ],
    },
  },
  {
    // The portal's browser code is plain JavaScript served as is, outside the TypeScript project:
    // linted with the rules that need no types, against the browser globals it uses.
    files: ['src/portal/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/portal/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'AbortController',
          'Element',
          'HTMLElement',
          'TextDecoderStream',
          'URLSearchParams',
          'clearTimeout',
          'document',
          'fetch',
          'sessionStorage',
          'setTimeout',
          'window',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // A focused or skipped test committed by mistake would silently shrink the suite.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
