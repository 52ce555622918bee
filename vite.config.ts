import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// One config for the browser pages (test/browser, bench; served by scripts/browser-harness.ts)
// and for the Node test suite (Vitest). The `webgrad-source` condition makes `import 'webgrad'`
// resolve to src/index.ts (package.json "exports"), so pages and tests never need a build.
export default defineConfig({
  resolve: {
    conditions: ['webgrad-source', ...defaultClientConditions],
  },
  ssr: {
    resolve: { conditions: ['webgrad-source', ...defaultServerConditions] },
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
