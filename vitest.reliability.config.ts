import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the proof suites of test/reliability (crash durability,
 * real-process concurrency, fuzz, tenancy attacks, perimeter, stored-content injection)
 * against the built server on every backend in test/reliability/backends.ts. Minutes,
 * not seconds: kept out of `npm test`, run by .ci/run after it.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time on this 2-core machine: each drives server processes of its own.
    maxWorkers: 2,
  },
});
