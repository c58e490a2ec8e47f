import { defineConfig } from 'vitest/config';

// Integration and interop tests start real processes: keep file parallelism low on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
