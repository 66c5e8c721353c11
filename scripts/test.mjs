#!/usr/bin/env node
// `npm test`: installs what is missing, then runs every layer of the suite
// (Node: core, CLI and Dawn kernels; Chromium: workers, WebGPU, IndexedDB, ORT; end-to-end journeys)
// and ends with one plain line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemDeps } from './env-setup.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

if (!existsSync('node_modules/.bin/vitest')) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
ensureSystemDeps();

const only = process.argv.slice(2); // e.g. `npm test -- node` runs one layer
const layers = [
  { name: 'node', config: 'vitest.config.ts' },
  { name: 'browser', config: 'vitest.browser.config.ts' },
  { name: 'e2e', config: 'vitest.e2e.config.ts' },
].filter((l) => only.length === 0 || only.includes(l.name));

const outDir = join(root, '.test-results');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

let passed = 0, failed = 0, skipped = 0;
const problems = [];
for (const layer of layers) {
  if (!existsSync(layer.config)) continue;
  const json = join(outDir, `${layer.name}.json`);
  console.log(`\n== ${layer.name} tests (${layer.config}) ==`);
  const r = spawnSync('npx', ['vitest', 'run', '--config', layer.config,
    '--reporter=default', '--reporter=json', `--outputFile.json=${json}`],
    { stdio: 'inherit', env: process.env });
  if (existsSync(json)) {
    const res = JSON.parse(readFileSync(json, 'utf8'));
    passed += res.numPassedTests ?? 0;
    failed += res.numFailedTests ?? 0;
    skipped += (res.numPendingTests ?? 0) + (res.numTodoTests ?? 0);
    // A suite that fails to load counts as a failure even when no test inside it ran.
    const brokenSuites = (res.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'));
    if (brokenSuites.length) { failed += brokenSuites.length; problems.push(...brokenSuites.map((f) => `${layer.name}: ${f.name}: ${f.message ?? 'failed to load'}`)); }
  } else if (r.status !== 0) {
    failed += 1; problems.push(`${layer.name}: vitest exited ${r.status} without results`);
  }
}
for (const p of problems) console.log(`problem: ${p}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
