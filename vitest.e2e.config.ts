import { defineConfig } from 'vitest/config';

// End-to-end layer: one `vite build` per run (globalSetup), served with COOP/COEP on a free port,
// driven by playwright-core on Debian's chromium with a fresh profile per test.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    environment: 'node',
    // Generous: each test starts Chromium, the engine worker and the offline precache; at load 25 on
    // 2 cores one test took 170 s (about 15 s on an idle machine).
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Chromium instances are heavy on a 2-core machine: run files one after another.
    fileParallelism: false,
  },
});
