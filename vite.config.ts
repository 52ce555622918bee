import { defineConfig } from 'vitest/config';

// One config for the demo/benchmark pages (Vite) and for the Node test suite (Vitest).
export default defineConfig({
  resolve: {
    conditions: ['development'],
  },
  server: { host: '127.0.0.1' },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Each file gets its own process and its own Dawn device; two at a time on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    setupFiles: ['test/setup.ts'],
  },
});
