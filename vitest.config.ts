import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The addon and OpenMP runtimes live in the test process: one fork per file keeps a crash
    // (which the corrupt-model tests guard against) from taking other files down with it.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
