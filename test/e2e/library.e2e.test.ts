// Library journeys over the built app in Chromium: import a file (preflight, progress bar, reload),
// shards with their index, a URL served by a loopback Range server, export back to a .safetensors the
// strict reader accepts, and a malformed file that is a named error leaving the library as it was.
import { describe, it, expect, inject, afterEach, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openProfile, screenshotDir, closeChecked, type Session } from './browser.ts';
import { makeTinyLlama, toSafetensors, writeTinyFolder, makeTempDir, tinyLlamaLayout, memorySource } from '../helpers/fixtures.ts';
import { openSafetensors } from '../../src/core/checkpoint.ts';
import { parseRecipe } from '../../src/core/merge/recipe.ts';

const base = inject('baseURL');
let s: Session | null = null;
let tmp: { path: string; cleanup: () => Promise<void> };
afterEach(async () => {
  const done = s;
  s = null;
  await closeChecked(done);
});
beforeAll(async () => { tmp = await makeTempDir('kinmerge-e2e-lib-'); });
afterAll(async () => { await tmp.cleanup(); });

// hidden 64 / 2 layers: ~0.2 MB, big enough to stream in several pieces, small enough to be quick.
const OPTS = { hidden: 64, vocab: 96, layers: 2, seed: 5 };
const TENSORS = tinyLlamaLayout(OPTS).length;
const PARAMS = tinyLlamaLayout(OPTS).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);

/** Records whether an import <progress> bar was ever on the page (an import of 0.2 MB is quick). */
const watchProgress = () => {
  (window as unknown as { __sawProgress: boolean }).__sawProgress = false;
  new MutationObserver(() => {
    if (document.querySelector('[data-testid="import-progress"] progress')) (window as unknown as { __sawProgress: boolean }).__sawProgress = true;
  }).observe(document, { childList: true, subtree: true });
};
const sawProgress = () => s!.page.evaluate(() => (window as unknown as { __sawProgress: boolean }).__sawProgress);
const names = () => s!.page.locator('[data-testid="library-table"] [data-testid="model-name"]').allTextContents();

async function open(): Promise<void> {
  s = await openProfile();
  await s.page.addInitScript(watchProgress);
  // The page's 'load' waits on the engine worker's start-up, slow on a busy machine: the Library's
  // inputs are usable as soon as the DOM is.
  await s.page.goto(base, { waitUntil: 'domcontentloaded', timeout: 90_000 });
  await s.page.waitForSelector('[data-testid="import-files"]:not([disabled])', { timeout: 90_000 });
}

async function importChecked(name: string): Promise<void> {
  const { page } = s!;
  await page.fill('[data-testid="import-name"]', name);
  await page.click('[data-testid="import-go"]');
  await expect.poll(names, { timeout: 60_000 }).toContain(name);
  expect(await sawProgress()).toBe(true);
  expect(await page.textContent('[data-testid="library-notice"]')).toContain(`Imported "${name}" (${PARAMS.toLocaleString('en')} parameters)`);
}

/** A loopback server with Range, CORS (the app is cross-origin isolated) and a request log. */
async function startCorsRangeServer(files: Map<string, Uint8Array>) {
  const log: { path: string; range?: string; method: string }[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    log.push({ path, range: req.headers.range, method: req.method ?? '' });
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, ETag, Accept-Ranges');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Headers': 'Range, If-Range', 'Access-Control-Allow-Methods': 'GET' }).end();
      return;
    }
    const bytes = files.get(path);
    if (!bytes) { res.writeHead(404).end('not found'); return; }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = { 'Accept-Ranges': 'bytes', ETag: `"${bytes.length}"`, 'Content-Type': 'application/octet-stream' };
    if (m) {
      const start = Number(m[1]);
      const end = m[2] === '' ? bytes.length - 1 : Math.min(bytes.length - 1, Number(m[2]));
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': String(end - start + 1) });
      res.end(bytes.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(bytes.length) });
    if (!path.includes('slow')) { res.end(bytes); return; }
    // A slow download (4 KiB every 50 ms) so the test can press Cancel mid-way.
    let o = 0;
    const tick = setInterval(() => {
      if (res.destroyed || o >= bytes.length) { clearInterval(tick); if (!res.destroyed) res.end(); return; }
      res.write(bytes.subarray(o, o + 4096));
      o += 4096;
    }, 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, log, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('library journeys', () => {
  it('imports a file with preflight and progress, keeps it across a reload, exports it, and names a malformed file', async () => {
    const model = makeTinyLlama(OPTS);
    const file = join(tmp.path, 'tiny-llama.safetensors');
    await writeFile(file, toSafetensors(model));
    await open();
    const { page } = s!;
    expect(await page.locator('[data-testid="library-empty"]').count()).toBe(1);

    await page.setInputFiles('[data-testid="import-files"]', file);
    await page.waitForSelector('[data-testid="preflight"]');
    expect(await page.textContent('[data-testid="preflight-tensors"]')).toBe(String(TENSORS));
    expect(await page.textContent('[data-testid="preflight-params"]')).toBe(PARAMS.toLocaleString('en'));
    // The tiny model has other shapes than the zoo base: the preflight says so before any import.
    await expect.poll(() => page.textContent('[data-testid="preflight-compat"]')).toMatch(/Not compatible with zoo base/);
    await importChecked('tiny-llama');
    await page.screenshot({ path: join(screenshotDir(), 'library.png') });

    await page.reload();
    await expect.poll(names, { timeout: 30_000 }).toEqual(['tiny-llama']);

    // Export: force the Blob download path (headless Chromium has no Save dialog to answer).
    await page.evaluate(() => { delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-safetensors"]')]);
    expect(download.suggestedFilename()).toBe('tiny-llama.safetensors');
    const bytes = new Uint8Array(await readFile((await download.path())!));
    const re = await openSafetensors(memorySource(bytes), 'exported');
    expect(re.tensors().map((t) => t.name)).toEqual(model.tensors.map((t) => t.name));
    for (const t of model.tensors) expect(await re.readF32(t.name, 0, t.values.length)).toEqual(t.values);
    expect(re.metadata().kinmerge_name).toBe('tiny-llama');

    // A malformed file: a named error, and the list is what it was.
    const bad = join(tmp.path, 'broken.safetensors');
    const junk = new Uint8Array(64);
    new DataView(junk.buffer).setBigUint64(0, 40n, true);
    junk.set(new TextEncoder().encode('{"a": {"dtype": "F32", "shape": [4'), 8);
    await writeFile(bad, junk);
    await page.setInputFiles('[data-testid="import-files"]', bad);
    await expect.poll(() => page.textContent('[data-testid="library-error"]')).toMatch(/Safetensors error/);
    expect(await page.locator('[data-testid="import-go"]').count()).toBe(0);
    expect(await names()).toEqual(['tiny-llama']);

    // Rename, then delete with a confirm.
    await page.click('[data-testid="rename"]');
    await page.fill('input[aria-label="New name"]', 'renamed');
    await page.keyboard.press('Enter');
    await expect.poll(names).toEqual(['renamed']);
    await page.click('[data-testid="delete"]');
    await page.click('[data-testid="confirm-delete"]');
    await page.waitForSelector('[data-testid="library-empty"]');
  });

  it('imports shards with their model.safetensors.index.json and config.json', async () => {
    const model = makeTinyLlama(OPTS);
    const dir = await writeTinyFolder(join(tmp.path, 'sharded'), model, { shards: 3 });
    const files = (await readdir(dir)).map((f) => join(dir, f));
    expect(files.length).toBe(5);
    await open();
    const { page } = s!;
    await page.setInputFiles('[data-testid="import-files"]', files);
    await page.waitForSelector('[data-testid="preflight"]');
    expect(await page.textContent('[data-testid="preflight-tensors"]')).toBe(String(TENSORS));
    expect(await page.locator('[data-testid="preflight"] tbody tr').count()).toBe(3);
    await importChecked('sharded-llama');
    const row = page.locator('[data-testid="library-table"] tbody tr');
    expect(await row.textContent()).toMatch(/files \(5\)/);

    // The same model as a whole folder through the folder picker (webkitdirectory): named after it.
    await page.setInputFiles('[data-testid="import-folder"]', dir);
    await page.waitForSelector('[data-testid="preflight"]');
    expect(await page.textContent('[data-testid="preflight-tensors"]')).toBe(String(TENSORS));
    await page.click('[data-testid="import-go"]');
    await expect.poll(names, { timeout: 60_000 }).toEqual(['sharded-llama', 'sharded']);
  });

  it('imports from a locally served URL after a header-only preflight', async () => {
    const bytes = toSafetensors(makeTinyLlama(OPTS));
    const server = await startCorsRangeServer(new Map([['/models/tiny.safetensors', bytes], ['/models/slow.safetensors', bytes]]));
    try {
      await open();
      const { page } = s!;
      const url = `${server.url}/models/tiny.safetensors`;
      await page.fill('[data-testid="import-url"]', url);
      await page.click('form:has([data-testid="import-url"]) button[type="submit"]');
      await page.waitForSelector('[data-testid="preflight"]');
      expect(await page.textContent('[data-testid="preflight-tensors"]')).toBe(String(TENSORS));
      // Only Range requests so far: no weights were downloaded for the preflight.
      const gets = server.log.filter((r) => r.method === 'GET');
      expect(gets.length).toBeGreaterThan(0);
      expect(gets.every((r) => r.range !== undefined)).toBe(true);
      await importChecked('from-url');
      expect(await page.locator('[data-testid="library-table"] tbody tr').textContent()).toContain(url);
      expect(server.log.some((r) => r.method === 'GET' && r.range === undefined)).toBe(true);

      // Cancel mid-download: a notice, no partial model, the list as it was.
      await page.fill('[data-testid="import-url"]', `${server.url}/models/slow.safetensors`);
      await page.click('form:has([data-testid="import-url"]) button[type="submit"]');
      await page.waitForSelector('[data-testid="preflight"]');
      await page.click('[data-testid="import-go"]');
      const cancel = page.locator('[data-testid="import-progress"] button', { hasText: 'Cancel' });
      await expect.poll(() => page.locator('[data-testid="import-progress"] progress').getAttribute('value').catch(() => null), { timeout: 30_000 }).toMatch(/^[1-9]/);
      await cancel.click();
      await expect.poll(() => page.textContent('[data-testid="library-notice"]')).toMatch(/^Cancelled importing .*nothing was kept/);
      expect(await names()).toEqual(['from-url']);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await expect.poll(names, { timeout: 30_000 }).toEqual(['from-url']);
    } finally {
      await server.close();
    }
  });
  it('merges two zoo experts into the library and exports weights, mergekit_config.yml and the model card', async () => {
    await open();
    const { page } = s!;
    await page.waitForSelector('[data-testid="m2l-go"]:not([disabled])', { timeout: 150_000 });
    const a = await page.inputValue('[data-testid="m2l-a"]');
    const b = await page.inputValue('[data-testid="m2l-b"]');
    expect(a).not.toBe(b);
    await page.fill('[data-testid="m2l-name"]', 'zoo-slerp');
    await page.click('[data-testid="m2l-go"]');
    await expect.poll(names, { timeout: 150_000 }).toEqual(['zoo-slerp']);
    await page.evaluate(() => { delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
    const get = async (testid: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testid}"]`)]);
      return { name: d.suggestedFilename(), bytes: new Uint8Array(await readFile((await d.path())!)) };
    };
    const yml = await get('export-mergekit');
    expect(yml.name).toBe('mergekit_config.yml');
    const recipe = parseRecipe(new TextDecoder().decode(yml.bytes));
    expect(recipe.merge_method).toBe('slerp');
    expect(recipe.base_model).toBe(a);
    expect(recipe.models?.map((m) => m.model)).toEqual([a, b]);
    expect(recipe.parameters).toEqual({ t: 0.5 });
    const card = await get('export-card');
    expect(card.name).toBe('README.md');
    const text = new TextDecoder().decode(card.bytes);
    expect(text).toMatch(/^---\n/);
    expect(text).toContain('base_model_relation: merge');
    expect(text).toContain(a);
    const st = await get('export-safetensors');
    const re = await openSafetensors(memorySource(st.bytes), 'merged');
    expect(re.tensors().length).toBeGreaterThan(0);
    expect(JSON.parse(re.metadata().kinmerge_recipe).merge_method).toBe('slerp');
    expect(re.metadata().kinmerge_seed).toBe('0');
    // The engine worker's start-up (zoo, evaluator) dominates: ~3.5 min measured at load average 22.
  }, 400_000);
});
