// Builds the app once per e2e run into a temporary folder and serves it; tests read the URL with
// inject('baseURL'). Building outside dist/ keeps `npm start` and the e2e run from overwriting each other.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: plain ESM script without type declarations
import { serveDir } from '../../scripts/serve.mjs';

declare module 'vitest' {
  export interface ProvidedContext { baseURL: string }
}

export default async function setup(project: TestProject) {
  const out = mkdtempSync(join(tmpdir(), 'kinmerge-e2e-'));
  const r = spawnSync('node_modules/.bin/vite', ['build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], {
    stdio: 'inherit',
    // vitest sets NODE_ENV=test, which would make this a non-production build (no service worker).
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status}); the e2e tests need a build.`);
  const server = await serveDir(out, { port: 0 });
  project.provide('baseURL', server.url as string);
  return async () => {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  };
}
