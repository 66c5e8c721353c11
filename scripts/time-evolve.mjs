#!/usr/bin/env node
// Wall time of one full kinship-guided evolution on the demo zoo in headless Chromium (issue 6:
// "under a minute"): builds the app, serves it with COOP/COEP, opens a fresh profile on the Evolve
// view, runs with every expert and the default settings (max 8 generations, seed 0, CPU compute),
// and prints the time from the Run click to the finished record, with the machine's load.
// Usage: node scripts/time-evolve.mjs [--seed N] [--dist DIR] [--patience N] [--no-stop] [--max-gen N]
//          [--experts a,b,c] [--screenshots DIR]   (--dist skips the build)
// --screenshots DIR first runs the greedy strategy with the same settings (not timed), then the timed
// kinship run, and writes the README's showcase pictures there: the dashboard with both runs
// overlaid, and the kinship run's family tree.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serveDir } from './serve.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const seed = Number(arg('--seed', '0'));
const patience = arg('--patience', null);
const maxGen = arg('--max-gen', null);
const noStop = process.argv.includes('--no-stop');
const shots = arg('--screenshots', null);
const only = arg('--experts', null)?.split(',');
let dist = arg('--dist', null);
const built = !dist;
if (built) {
  dist = mkdtempSync(join(tmpdir(), 'kinmerge-time-'));
  const r = spawnSync('node_modules/.bin/vite', ['build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (r.status !== 0) { console.error(`vite build failed (exit ${r.status})`); process.exit(1); }
}
const server = await serveDir(dist, { port: 0 });
const profile = mkdtempSync(join(tmpdir(), 'kinmerge-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking'],
});
const errors = [];
let out = null;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}#/evolve`);
  await page.waitForSelector('[data-testid="evolve-foundation"]', { timeout: 300_000 });
  await page.selectOption('select[data-control="evolve.strategy"]', 'kinship');
  await page.fill('input[data-control="evolve.seed"]', String(seed));
  if (noStop) await page.uncheck('input[data-control="evolve.threshold"]');
  if (patience !== null) await page.fill('[data-testid="evolve-stop-patience"]', patience);
  if (maxGen !== null) await page.fill('input[data-control="evolve.maxgen"]', maxGen);
  if (only) {
    for (const box of await page.$$('[data-testid="evolve-foundation"] input[type="checkbox"]')) {
      if (only.includes(await box.getAttribute('value'))) await box.check(); else await box.uncheck();
    }
  }
  const experts = await page.$$eval('[data-testid="evolve-foundation"] input:checked', (xs) => xs.map((x) => x.value));
  const finished = (strategy) => page.waitForFunction(
    (st) => document.querySelector('[data-testid="evolve-record"]')?.getAttribute('data-record')?.includes(`"strategy":"${st}"`),
    strategy, { timeout: 3_600_000 });
  if (shots) {
    // Greedy first, untimed: the chart overlays this session's runs and the tree shows the last one.
    await page.selectOption('select[data-control="evolve.strategy"]', 'greedy');
    await page.click('[data-testid="evolve-run"]');
    await finished('greedy');
    await page.selectOption('select[data-control="evolve.strategy"]', 'kinship');
  }
  const load0 = loadavg();
  const t0 = performance.now();
  await page.click('[data-testid="evolve-run"]');
  const a = page.locator('[data-testid="evolve-record"]');
  await finished('kinship');
  const seconds = (performance.now() - t0) / 1000;
  const load1 = loadavg();
  const rec = JSON.parse(await a.getAttribute('data-record'));
  const merges = rec.generations.reduce((n, g) => n + g.merges.length, 0);
  out = {
    seconds: Number(seconds.toFixed(1)), experts, seed, generations: rec.generations.length, models: rec.models.length, merges,
    stopped: rec.stopped, best: rec.best, cpus: cpus().length,
    loadavg_before: load0.map((x) => Number(x.toFixed(2))), loadavg_after: load1.map((x) => Number(x.toFixed(2))),
    console_errors: errors, at: new Date().toISOString(),
    settings: { patience: patience === null ? 0 : Number(patience), stop: !noStop, maxGen: maxGen === null ? 8 : Number(maxGen) },
  };
  if (shots) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, 'evolve-showcase.png'), fullPage: true });
    await page.locator('.tree').first().screenshot({ path: join(shots, 'family-tree-showcase.png') });
  }
} finally {
  await context.close();
  if (out) console.log(JSON.stringify(out, null, 2));
  rmSync(profile, { recursive: true, force: true });
  await server.close();
  if (built) rmSync(dist, { recursive: true, force: true });
}
