import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS and ESM copies. Node loads the CommonJS one for everybody
    // (@apollo/subgraph included); Vite would hand our sources the ESM one, and graphql then
    // refuses a schema "from another module or realm". Give the tests what Node gives.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e files each boot their own sandbox and gateway on free ports; two cores, so keep it small.
    maxWorkers: 2,
  },
});
