import { defineConfig } from 'vitest/config';

// The timeouts are safety nets against a hung test, not performance checks (benchmarks measure
// speed): they are generous because CI runs the tests while the Node 22 and 24 runs install,
// compile and test alongside on the same machine, and many tests spawn processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
