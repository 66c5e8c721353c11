import { defineConfig } from 'vitest/config';

// Node layer: pure TS, the CLI, and WGSL kernels through Dawn (the `webgpu` package).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', 'test/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
