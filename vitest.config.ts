import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/register-platforms.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: more forks only add contention against Redis and the fakes.
    maxWorkers: 2,
    pool: 'forks',
  },
});
