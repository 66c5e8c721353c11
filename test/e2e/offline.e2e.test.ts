// Offline and the merge bench in one page (issue 7 "Done when": "with the network off after the first
// visit, the playground loads and runs a merge"; journey "merge two experts, evaluate, export"):
// one visit installs the service worker's precache; then the server is really gone (the page is
// served through a loopback proxy that this test closes, and the context is set offline), the page
// reloads from the cache, and the Merge bench merges two zoo experts, scores the child against both
// parents with the gain, and exports a .safetensors equal to a CPU merge of the same recipe in Node.
// One engine start-up after the reload serves both journeys (it is the slow part).
import { describe, it, expect, inject, afterEach } from 'vitest';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openProfile, screenshotDir, closeChecked, type Session } from './browser.ts';
import { memorySink, memorySource } from '../helpers/fixtures.ts';
import { openSafetensors } from '../../src/core/checkpoint.ts';
import { executeMerge } from '../../src/core/merge/execute.ts';
import { parseRecipe } from '../../src/core/merge/recipe.ts';

const base = inject('baseURL');
let s: Session | null = null;
afterEach(async () => {
  const done = s;
  s = null;
  await closeChecked(done);
});

/** A loopback proxy in front of the e2e server, so the test can take the network away for real. */
async function startProxy(target: string) {
  const t = new URL(target);
  const server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const zooFile = (name: string) => readFileSync(`public/zoo/${name}/model.safetensors`);
/** The scores table: per row the skill and the three numbers (A, B, merged). */
async function scoreTable(page: Session['page']) {
  return page.$$eval('[data-testid="merge-scores"] tbody tr', (rows) => rows.map((r) => {
    const cells = [...r.querySelectorAll('td')].map((td) => td.textContent ?? '');
    return { skill: cells[0], values: cells.slice(1).map(Number) };
  }));
}

describe('offline playground', () => {
  it('after one visit, loads with the network gone and merges two experts, evaluates and exports', async () => {
    const proxy = await startProxy(base);
    try {
      s = await openProfile();
      const { page, context } = s;
      // First visit: the service worker installs (precaches the app, the ORT wasm, zoo and eval sets).
      await page.goto(proxy.url, { waitUntil: 'domcontentloaded', timeout: 90_000 });
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      // clients.claim() on activation: this page is controlled without a reload.
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);

      // The network goes away: nothing listens on the page's origin any more.
      await proxy.close();
      await context.setOffline(true);
      await page.goto(`${proxy.url}#/merge`, { waitUntil: 'domcontentloaded' });
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('main[data-view="merge"]');
      expect(await page.textContent('h1')).toBe('kinmerge');

      // Merge bench: the default pair of experts, SLERP with the paper's gradients.
      const run = page.locator('[data-testid="merge-run"]');
      await expect.poll(() => run.isEnabled(), { timeout: 180_000 }).toBe(true);
      const a = await page.inputValue('[data-testid="parent-a"]');
      const b = await page.inputValue('[data-testid="parent-b"]');
      expect(a).toMatch(/^expert-/);
      expect(b).toMatch(/^expert-/);
      expect(a).not.toBe(b);
      await run.click();
      await page.waitForSelector('[data-testid="merge-scores"]', { timeout: 180_000 });
      const rows = await scoreTable(page);
      const skills = (JSON.parse(readFileSync('public/zoo/index.json', 'utf8')) as { skills: string[] }).skills;
      expect(rows.map((r) => r.skill)).toEqual([...skills, 'average']);
      for (const r of rows) {
        expect(r.values).toHaveLength(3);
        for (const v of r.values) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      }
      // The gain shown is the merged average minus the parents' mean (to the 3 digits on screen).
      const [avgA, avgB, avgC] = rows.at(-1)!.values;
      const gain = Number((await page.textContent('[data-testid="merge-scores"] caption strong'))!);
      expect(Math.abs(gain - (avgC - (avgA + avgB) / 2))).toBeLessThan(2e-3);
      expect(gain).toBeGreaterThan(0); // every expert pair of the demo zoo gains under this SLERP (docs/ZOO.md)
      // Each parent is best on its own skill (the zoo's experts are trained for it).
      const own = (name: string, col: number) => rows.find((r) => r.skill === name.replace(/^expert-/, ''))!.values[col];
      expect(own(a, 0)).toBeGreaterThan(own(a, 1));
      expect(own(b, 1)).toBeGreaterThan(own(b, 0));
      await page.screenshot({ path: join(screenshotDir(), 'merge-bench.png'), fullPage: true });

      // Export, still offline: a strict-reader-valid .safetensors equal to the same recipe merged on the CPU in Node.
      const [d] = await Promise.all([page.waitForEvent('download'), page.click('[data-control="merge.export"]')]);
      expect(d.suggestedFilename()).toMatch(/^merge-\d+\.safetensors$/);
      const got = await openSafetensors(memorySource(new Uint8Array(await readFile((await d.path())!))), 'exported');
      const recipe = parseRecipe(got.metadata().kinmerge_recipe);
      expect(recipe.merge_method).toBe('slerp');
      expect(recipe.models?.map((m) => m.model)).toEqual([a, b]);
      const sink = memorySink();
      await executeMerge({ recipe, resolve: async (ref) => openSafetensors(memorySource(new Uint8Array(zooFile(ref))), ref), sink, seed: 0 });
      const want = await openSafetensors(memorySource(sink.bytes()), 'node');
      expect(got.tensors().map((t) => [t.name, t.dtype, t.shape])).toEqual(want.tensors().map((t) => [t.name, t.dtype, t.shape]));
      // WebGPU (SwiftShader) vs the CPU reference: equal within one unit in the last place of the output dtype.
      let off = 0, total = 0;
      for (const t of want.tensors()) {
        const x = await got.readF32(t.name, 0, t.numel), y = await want.readF32(t.name, 0, t.numel);
        const mant = t.dtype === 'F32' ? 23 : t.dtype === 'F16' ? 10 : 7;
        for (let i = 0; i < t.numel; i++) {
          total++;
          if (x[i] === y[i]) continue;
          off++;
          const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x[i]), Math.abs(y[i])))) - mant);
          if (Math.abs(x[i] - y[i]) > ulp) expect.fail(`${t.name}[${i}]: browser ${x[i]} vs Node ${y[i]} (${t.dtype}) differ by more than one ulp`);
        }
      }
      console.log(`export: ${off} of ${total} values one ulp off the Node CPU merge`);
      expect(off / total).toBeLessThan(1e-3);
      await context.setOffline(false);
    } finally {
      await proxy.close().catch(() => undefined);
    }
  }, 420_000);
});
