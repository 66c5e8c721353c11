// Smoke journey over the built app: shell without console errors, keyboard view switching, the zoo's
// kinship heatmap and its per-layer drill-down computed by the engine, the heatmap and family tree fed
// from JSON fixtures through the file inputs, and share links (round trip in a fresh profile, hidden
// controls, a damaged link). The offline journey is in offline.e2e.test.ts.
import { describe, it, expect, inject, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openProfile, screenshotDir, scratchShotDir, fixture, closeChecked, expectNoProblems, type Session } from './browser.ts';
import { encodeShare } from '../../src/ui/share/codec.ts';
import { KIND_LABEL, pairGrid } from '../../src/ui/lib/kinship-drill.ts';
import { REPO_ROOT, runMain } from '../helpers/cli.ts';

const base = inject('baseURL');
let s: Session | null = null;
afterEach(async () => {
  const done = s;
  s = null;
  await closeChecked(done);
});
/** Real engine results (README pictures when SCREENSHOT_DIR is set) vs views drawn from fixtures (scratch only). */
const shot = (name: string) => s!.page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: false });
const scratchShot = (name: string) => s!.page.screenshot({ path: join(scratchShotDir(), `${name}.png`), fullPage: false });
const ZOO_LAYERS = (JSON.parse(readFileSync('public/zoo/base/config.json', 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;

describe('playground smoke', () => {
  it('renders the shell and switches views with the keyboard', async () => {
    s = await openProfile();
    const { page } = s;
    await page.goto(base);
    await page.waitForSelector('main[data-view="library"]');
    await expect.poll(() => page.textContent('[data-testid="capability"]')).toMatch(/WebGPU|CPU fallback/);
    await page.focus('nav a[data-view="library"]');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-view'))).toBe('kinship');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-view="kinship"]');
    expect(new URL(page.url()).hash).toBe('#/kinship');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-view="teach"]');
    await page.click('text=Next');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toMatch(/^2\. What kinship measures/);
  });

  it('first visit: the demo zoo is listed and its kinship heatmap computed by the engine', async () => {
    s = await openProfile();
    const { page } = s;
    await page.goto(base);
    await page.waitForSelector('[data-testid="zoo-table"]', { timeout: 150_000 });
    const rows = await page.locator('[data-testid="zoo-table"] tbody tr').count();
    expect(rows).toBeGreaterThanOrEqual(3); // base + at least two experts
    await page.click('nav a[data-view="kinship"]');
    await page.click('[data-testid="kinship-compute"]');
    // Every model but the base has a task vector: (rows - 1)^2 cells.
    await expect.poll(() => page.locator('rect[role="gridcell"]').count(), { timeout: 150_000 }).toBe((rows - 1) ** 2);
    await expect.poll(() => page.textContent('[data-testid="heatmap-readout"]')).toMatch(/: pcc 1$/);
    await shot('kinship-zoo');

    // Drill-down by keyboard: the pair (0, 1) per layer and tensor group.
    await page.focus('figure.heatmap rect[role="gridcell"][tabindex="0"]');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const grid = page.locator('[data-testid="drill-grid"]');
    await grid.waitFor();
    expect(await grid.locator('g[role="row"]').count()).toBe(ZOO_LAYERS + 1); // the layers + the tensors outside them
    const cells = grid.locator('rect[role="gridcell"]');
    await page.focus('[data-testid="drill-grid"] rect[tabindex="0"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.textContent('[data-testid="drill-readout"]')).toMatch(/^layer 0 × embeddings: no tensors in this group$/);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^layer 0 × attention: pcc (-?\d|undefined)/);
    expect(await page.textContent('[data-testid="drill-readout"]')).toMatch(/^layer 0 × attention: .*layers\.0\.self_attn, 4 tensors, /);
    expect(await page.textContent('[data-testid="drill-summary"]')).toMatch(/Whole model: pcc -?\d.*Lowest: .*highest: /s);
    await grid.locator('xpath=ancestor::section[1]').screenshot({ path: join(screenshotDir(), 'kinship-drilldown.png') });

    // The per-group CSV agrees with every drawn cell: a value where the engine has one, "undefined" (never 0) where it is null.
    const [d] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="kinship-groups-csv"]')]);
    expect(d.suggestedFilename()).toBe('kinship-groups-pcc.csv');
    const lines = (await readFile((await d.path())!, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBe(1 + 3 * ZOO_LAYERS + 3); // attention, mlp, norms per layer; embeddings, final norm, lm head
    const values = new Map(await cells.evaluateAll((xs) => xs.map((x) => [x.getAttribute('aria-label')!.split(':')[0], x.getAttribute('data-value')!] as [string, string])));
    for (const line of lines.slice(1)) {
      const [, layer, group, , , v01] = line.split(',');
      const cell = values.get(`${layer === '' ? 'outside layers' : `layer ${layer}`} × ${KIND_LABEL[group as keyof typeof KIND_LABEL]}`);
      expect(cell, line).toBe(v01 === '' ? 'undefined' : v01);
    }
    expect([...values.values()].filter((v) => v === 'absent').length).toBe(values.size - (lines.length - 1));

    // A diagonal cell: that model against every other one, one row per group.
    await page.locator('figure.heatmap rect[role="gridcell"]').first().click();
    await expect.poll(() => page.textContent('#drill-h')).toMatch(/against the others$/);
    expect(await grid.locator('g[role="row"]').count()).toBe(lines.length - 1);
    expect(await cells.count()).toBe((lines.length - 1) * (rows - 2));
    // Narrow screens: the drill-down scrolls inside itself, never the page sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it('draws the heatmap from a kinship file, readable by keyboard', async () => {
    s = await openProfile();
    const { page } = s;
    await page.goto(`${base}#/kinship`);
    await page.setInputFiles('[data-testid="kinship-file"]', fixture('kinship-pcc.json'));
    const m = JSON.parse(readFileSync(fixture('kinship-pcc.json'), 'utf8'));
    await expect.poll(() => page.locator('rect[role="gridcell"]').count()).toBe(m.models.length ** 2);
    await page.focus('rect[role="gridcell"][tabindex="0"]');
    await page.keyboard.press('ArrowRight');
    const want = `${m.models[0]} × ${m.models[1]}: pcc ${Number(m.matrix[0][1].toFixed(3))}`;
    await expect.poll(() => page.textContent('[data-testid="heatmap-readout"]')).toBe(want);
    await scratchShot('kinship-heatmap');
    // A matrix file has no per-group values: picking a cell says so instead of drawing zeros.
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('[data-testid="drill-missing"]')).toMatch(/kinship-pcc\.json has no per-group values/);
    // What `kinmerge kinship --json` writes carries "groups" (and the model paths as typed, long).
    const golden = (n: string) => join(REPO_ROOT, 'test', 'golden', 'kinship', 'models', `${n}.safetensors`);
    const cli = await runMain(['kinship', '--base', golden('base.f32'), golden('a.f32'), golden('b.f32'), golden('zero.f32'), '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    const out = JSON.parse(cli.stdout);
    const openJson = (name: string, text: string) => page.setInputFiles('[data-testid="kinship-file"]', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
    // Damaged groups cost only the drill-down: the matrix opens and the note says what is wrong.
    const bad = { ...out, groups: out.groups.map((g: { pcc: unknown }, n: number) => (n === 1 ? { ...g, pcc: [[1]] } : g)) };
    await openJson('bad-groups.json', JSON.stringify(bad));
    await expect.poll(() => page.textContent('[data-testid="drill-missing"]')).toMatch(/"groups" are not kinship groups: .*pcc must be 3 x 3/);
    await expect.poll(() => page.locator('[data-testid="heatmap-readout"]').textContent()).toContain(out.models[0]);
    // The file as written gives the drill-down; each picked pair's grid holds exactly its per-group values (null grey, never 0).
    await openJson('cli-kinship.json', cli.stdout);
    await expect.poll(() => page.locator('[data-testid="drill-missing"]').count()).toBe(0);
    const cells = page.locator('[data-testid="drill-grid"] rect[role="gridcell"]');
    const expectPair = async (j: number) => {
      await expect.poll(() => page.textContent('#drill-h')).toContain(`${out.models[0]} × ${out.models[j]}`);
      const grid = pairGrid(out.groups, 0, j, 'pcc');
      await expect.poll(() => cells.count()).toBe(grid.rows.length * grid.cols.length);
      const shown = await cells.evaluateAll((xs) => xs.map((x) => x.getAttribute('data-value')));
      expect(shown).toEqual(grid.values.flat().map((v) => (v === undefined ? 'absent' : v === null ? 'undefined' : String(v))));
    };
    await page.focus('rect[role="gridcell"][tabindex="0"]');
    for (const key of ['ArrowUp', 'ArrowUp', 'Home', 'ArrowRight', 'Enter']) await page.keyboard.press(key);
    await expectPair(1);
    expect(await page.textContent('[data-testid="drill-summary"]')).toContain(`Whole model: pcc ${Number(out.metrics.pcc[0][1].toFixed(3))}`);
    await page.focus('rect[role="gridcell"][tabindex="0"]');
    for (const key of ['End', 'Enter']) await page.keyboard.press(key);
    await expectPair(2); // against the zero task vector: every group undefined
    // Narrow screens: the page must not scroll sideways (wide figures scroll inside themselves).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await scratchShot('kinship-narrow');
  });

  it('draws the evolution chart and family tree from run records, overlaid', async () => {
    s = await openProfile();
    const { page } = s;
    await page.goto(`${base}#/evolve`);
    await page.setInputFiles('[data-testid="evolve-file"]', [fixture('evolve-kinship.json'), fixture('evolve-greedy.json')]);
    const rec = JSON.parse(readFileSync(fixture('evolve-kinship.json'), 'utf8'));
    await expect.poll(() => page.locator('.tree .node').count()).toBe(rec.models.length);
    expect(await page.locator('.tree .node rect').count()).toBe(rec.models.filter((x: { exploration: boolean }) => x.exploration).length);
    expect(await page.locator('.chart .legend li').count()).toBe(3); // two runs + the key
    expect(await page.locator('.chart .stoplabel').count()).toBe(1); // only the kinship run stopped early
    expect(await page.textContent('[data-testid="evolve-summary"]')).toContain(rec.best.id);
    await page.focus(`.tree .node[aria-label^="${rec.best.id},"]`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('.detail')).toContain(rec.best.id);
    await page.evaluate(() => window.scrollTo(0, 0));
    // Fixture records: scratch screenshots only (the README's come from the real run in evolve.e2e.test.ts).
    await s.page.screenshot({ path: join(scratchShotDir(), 'fixture-evolve-dashboard.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await scratchShot('fixture-evolve-dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('.tree').screenshot({ path: join(scratchShotDir(), 'fixture-family-tree.png') });
    await page.click('nav a[data-view="analysis"]');
    await expect.poll(() => page.locator('[data-testid="scatter-stats"]').first().textContent()).toMatch(/^r = -?\d/);
    await scratchShot('fixture-analysis');
  });

  it('round-trips a share link into a fresh profile', async () => {
    s = await openProfile();
    let page = s.page;
    await page.goto(`${base}#/evolve`);
    await page.selectOption('select[data-control="evolve.strategy"]', 'greedy');
    await page.fill('input[data-control="evolve.k"]', '4');
    await page.fill('input[data-control="evolve.seed"]', '1234');
    await page.click('button.share');
    const link = await page.inputValue('[data-testid="share-link"]');
    expect(link).toMatch(/#\/evolve\?s=v1\.[A-Za-z0-9_-]+$/);
    await s.close();
    expectNoProblems(s, 'the first profile');

    s = await openProfile();
    page = s.page;
    await page.goto(link);
    await page.waitForSelector('main[data-view="evolve"]');
    await expect.poll(() => page.inputValue('input[data-control="evolve.seed"]')).toBe('1234');
    expect(await page.inputValue('input[data-control="evolve.k"]')).toBe('4');
    expect(await page.inputValue('select[data-control="evolve.strategy"]')).toBe('greedy');
  });

  it('hides the controls a teaching link names, and explains a damaged link', async () => {
    s = await openProfile();
    const { page } = s;
    // A teaching link: chosen controls are not rendered at all.
    const token = await encodeShare({ version: 1, models: [{ zoo: 'tiny-math' }], recipe: null, strategy: 'kinship', params: {}, seed: 3, view: 'evolve', hide: ['evolve.seed', 'nav.teach', 'share.button'] });
    await page.goto(`${base}#/evolve?s=${token}`);
    await expect.poll(() => page.locator('input[data-control="evolve.seed"]').count()).toBe(0);
    expect(await page.locator('nav a[data-view="teach"]').count()).toBe(0);
    expect(await page.locator('button.share').count()).toBe(0);
    expect(await page.locator('select[data-control="evolve.strategy"]').count()).toBe(1);

    // kinship.drilldown hides the drill-down (and its hint) after a cell is picked.
    const kinToken = await encodeShare({ version: 1, models: [], recipe: null, strategy: 'kinship', params: {}, seed: 3, view: 'kinship', hide: ['kinship.drilldown'] });
    await page.goto(`${base}#/kinship?s=${kinToken}`);
    await page.setInputFiles('[data-testid="kinship-file"]', fixture('kinship-pcc.json'));
    await page.locator('figure.heatmap rect[role="gridcell"]').nth(1).click();
    await expect.poll(() => page.textContent('[data-testid="heatmap-readout"]')).toMatch(/ × /);
    expect(await page.locator('[data-testid="drill-missing"], [data-testid="kinship-drilldown"]').count()).toBe(0);
    expect(await page.locator('[data-control="kinship.csv"]').count()).toBe(1);

    // A damaged link is a readable message, not a blank page.
    await page.goto(`${base}#/kinship?s=v1.AAAA`);
    await expect.poll(() => page.textContent('[role="alert"]')).toMatch(/damaged/);
    expect(await page.locator('main[data-view="kinship"]').count()).toBe(1);

    // A teaching link naming a step this kinmerge lacks is refused by name; the walkthrough opens at step 1.
    const raw = new Blob([JSON.stringify({ version: 1, view: 'teach', teach: 'backprop' })]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    const stepToken = `v1.${Buffer.from(await new Response(raw).arrayBuffer()).toString('base64url')}`;
    await page.goto(`${base}#/teach?s=${stepToken}`);
    await expect.poll(() => page.textContent('[role="alert"]')).toMatch(/link\.teach must be one of task-vector, kinship, slerp/);
    expect(await page.textContent('article h3')).toMatch(/^1\. /);
  });
});
