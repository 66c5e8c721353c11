import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Browser layer: Debian's chromium (never a downloaded browser), with WebGPU on SwiftShader.
const chromiumArgs = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--enable-unsafe-webgpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export default defineConfig({
  plugins: [svelte()],
  worker: { format: 'es' },
  // Pre-bundled up front: discovering them mid-run makes Vite reload the page under the tests.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['@noble/hashes/sha2.js', 'idb-keyval', 'yaml', 'comlink', 'fast-check'] },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
  test: {
    include: ['test/**/*.browser.test.ts'],
    testTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
