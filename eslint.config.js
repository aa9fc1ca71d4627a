import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The one-way flow (STYLE.md): what each folder may not import. Types of the request context pass. */
const layer = (files, groups) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: groups.map(([group, message, allowTypeImports = false]) => ({
          group,
          message,
          allowTypeImports,
        })),
      },
    ],
  },
});
const EDGES = ['**/sandbox/*', '**/subscriptions/*', '**/resolvers/*', '**/resolvers/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'schema/__generated__/', 'server/graphiql/assets/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration once, in server/config.ts.',
        },
      ],
    },
  },
  layer(
    ['connectors/**'],
    [
      [
        ['graphql', '@apollo/*', '**/schema/**', '**/workflows/*', '**/flows/**', '**/jobs/**'],
        'Connectors know nothing of GraphQL, workflows, flows or jobs.',
      ],
      [['**/server/*', ...EDGES], 'Connectors are an edge: they import no other layer.'],
    ],
  ),
  layer(
    ['workflows/**'],
    [
      [
        ['**/flows/**', '**/jobs/**', ...EDGES, '!**/flows/events.js'],
        'Workflows raise events through services; flows, jobs and the edges depend on them.',
      ],
      [
        ['**/server/*', '**/schema/**'],
        'Workflows take only types from server/ and schema/.',
        true,
      ],
    ],
  ),
  layer(
    ['flows/**'],
    [
      [
        ['**/jobs/**', '**/server/*', ...EDGES],
        'Flows run on workflows and connectors; the queue and the wiring depend on them.',
      ],
    ],
  ),
  layer(
    ['jobs/order-queue.ts', 'jobs/order-worker.ts'],
    [[['**/server/*', ...EDGES], 'The queue and its dispatch know no wiring or edges.']],
  ),
  {
    // Vitest's asymmetric matchers (expect.any, expect.stringContaining) are typed `any`.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: [
      'server/config.ts',
      'test/**',
      'bench/**',
      'sandbox/main.ts',
      'sandbox/token-cli.ts',
      'sandbox/pay-cli.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
