import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own emulators on free ports, so files run in parallel processes.
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // One pipeline for the whole suite: the local runtime (default) or a deployed target.
          globalSetup: ['test/e2e/support/global-setup.ts'],
          // Files share one pipeline and some read or redrive the same dead-letter queues.
          fileParallelism: false,
          testTimeout: 90_000,
        },
      },
    ],
  },
});
