import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // PostgreSQL and radosgw for the server-backend tests: started once per run when not up.
    globalSetup: ['test/helpers/engines-setup.ts'],
  },
});
