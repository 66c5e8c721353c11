#!/usr/bin/env node
// `npm test`: installs what is missing, then runs every layer of the suite
// (Node: core, CLI and Dawn kernels; Chromium: workers, WebGPU, IndexedDB, ORT; end-to-end journeys)
// and ends with one plain line `N passed, N failed` (`, N skipped` when some were skipped).
// Every layer runs even when an earlier one fails; the exit status is 1 when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
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

// A hung layer (a browser that never answers) must still end in a result line well inside CI's limit.
const layerMinutes = Number(process.env.KINMERGE_LAYER_TIMEOUT_MIN ?? 25);

const outDir = join(root, '.test-results');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

/** Counts one layer's JSON report. Tests that never finished (left "pending" when a worker or the
 * browser died) are failures, not skips; a file that failed without a failed test (it did not load,
 * or a hook threw) is one failure. */
function countReport(res, layer) {
  const c = { passed: 0, failed: 0, skipped: 0, problems: [], files: [] };
  for (const f of res.testResults ?? []) {
    const name = relative(root, f.name);
    let fileFailed = 0;
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'passed') c.passed++;
      else if (a.status === 'skipped' || a.status === 'todo') c.skipped++;
      else {
        fileFailed++;
        if (a.status !== 'failed') c.problems.push(`${layer}: ${name}: "${a.fullName}" did not finish (${a.status})`);
      }
    }
    if (f.status === 'failed' && fileFailed === 0) {
      fileFailed = 1;
      c.problems.push(`${layer}: ${name}: ${f.message || 'failed to load'}`);
    }
    c.failed += fileFailed;
    c.files.push({ name, ms: (f.endTime ?? 0) - (f.startTime ?? 0), tests: (f.assertionResults ?? []).length });
  }
  return c;
}

let passed = 0, failed = 0, skipped = 0;
const problems = [], times = [], files = [];
for (const layer of layers) {
  if (!existsSync(layer.config)) { problems.push(`${layer.name}: ${layer.config} is missing`); failed++; continue; }
  const json = join(outDir, `${layer.name}.json`);
  console.log(`\n== ${layer.name} tests (${layer.config}) ==`);
  const t0 = Date.now();
  const r = spawnSync('node_modules/.bin/vitest', ['run', '--config', layer.config,
    '--reporter=default', '--reporter=json', `--outputFile.json=${json}`],
    { stdio: 'inherit', env: process.env, timeout: layerMinutes * 60_000, killSignal: 'SIGTERM' });
  const timedOut = r.error?.code === 'ETIMEDOUT';
  times.push(`${layer.name} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  let layerFailed = 0;
  let report = null;
  try { report = JSON.parse(readFileSync(json, 'utf8')); } catch { /* missing or cut short: counted below */ }
  if (report) {
    const c = countReport(report, layer.name);
    passed += c.passed; skipped += c.skipped; layerFailed = c.failed;
    problems.push(...c.problems);
    files.push(...c.files.map((f) => ({ ...f, layer: layer.name })));
  }
  // vitest also fails a run for errors outside any test (unhandled rejections, a global setup that
  // threw, a crash before the report): count that once when the report shows no failure.
  if (timedOut) {
    layerFailed++;
    problems.push(`${layer.name}: stopped after ${layerMinutes} min (KINMERGE_LAYER_TIMEOUT_MIN); its results are incomplete`);
  } else if (r.status !== 0 && layerFailed === 0) {
    layerFailed = 1;
    problems.push(`${layer.name}: vitest exited ${r.status ?? r.signal} ${report ? 'with errors outside any test (see above)' : 'without a readable report'}`);
  }
  failed += layerFailed;
}

const slowest = files.sort((a, b) => b.ms - a.ms).slice(0, 8);
console.log(`\nlayer wall times: ${times.join(', ')}`);
if (slowest.length) {
  console.log('slowest files:');
  for (const f of slowest) console.log(`  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.layer}  ${f.name} (${f.tests} tests)`);
}
for (const p of problems) console.log(`problem: ${p}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
