import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Test files that run in a process of their own. */
const OWN_PROCESS = ['test/unit/server/request-lifetime.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS and ESM copies. Node loads the CommonJS one for everybody
    // (@apollo/subgraph included); Vite would hand our sources the ESM one, and graphql then
    // refuses a schema "from another module or realm". Give the tests what Node gives.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e files each boot their own sandbox and gateway on free ports; two cores, so keep it small.
    maxWorkers: 2,
    // Each worker imports the gateway's modules once, not once per file: importing Apollo,
    // BullMQ, OpenTelemetry and the rest took 1-2.5 s of CPU per file, half of the suite's time.
    // Files can share a module cache because nothing here is a module-level singleton: every
    // gateway, sandbox, registry and connection is made by the test that uses it, on its own
    // ports and Redis key prefix, and no test stubs a global or a module.
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...OWN_PROCESS],
        },
      },
      {
        // Measures how much of what a request allocates V8 promotes: in a worker that earlier
        // files shared (their gateways, sockets and timers), their work counted too.
        extends: true,
        test: { name: 'own-process', include: OWN_PROCESS, isolate: true, pool: 'forks' },
      },
    ],
  },
});
