import { defineConfig } from 'vitest/config';

/** Unit and integration tests: colocated *.test.ts under electron/ and shared/, run under plain Node. */
export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'e2e/lab/**/*.test.ts', 'renderer/src/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
