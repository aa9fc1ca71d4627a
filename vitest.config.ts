import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e files each boot their own sandbox and gateway on free ports; two cores, so keep it small.
    maxWorkers: 2,
  },
});
