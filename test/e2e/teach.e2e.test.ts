// Teaching mode on the real demo zoo in headless Chromium: the task-vector, kinship and SLERP steps run
// in place through the engine, and what they draw is checked against what the numbers must be (a
// heatmap of K x K cells with a diagonal of 1, one sweep point per t with the ends equal to the parents,
// non-zero task-vector bars), with no console errors; then Cancel stops a rerun cleanly, and the
// step's teaching link opens a fresh page at that step with its controls hidden.
import { describe, it, expect, inject, afterEach } from 'vitest';
import { join } from 'node:path';
import { openProfile, screenshotDir, closeChecked, type Session } from './browser.ts';
import { TEACH_STEPS } from '../../src/ui/teach/steps.ts';
import { decodeShare } from '../../src/ui/share/codec.ts';

const base = inject('baseURL');
const STEP_MS = 240_000;
let s: Session | null = null;
afterEach(async () => {
  const done = s;
  s = null;
  await closeChecked(done);
});

const sweepT = (() => {
  const a = TEACH_STEPS.find((x) => x.action.kind === 'slerp-sweep')!.action;
  return a.kind === 'slerp-sweep' ? a.t : [];
})();

describe('teaching mode on the demo zoo', () => {
  it('runs the task-vector, kinship and SLERP steps and draws computed results', async () => {
    s = await openProfile();
    const { page } = s;
    const t0 = Date.now();
    await page.goto(`${base}#/teach`);
    const run = page.locator('[data-testid="teach-run"]');
    await expect.poll(() => run.isEnabled(), { timeout: 150_000 }).toBe(true);

    // 1. Task vector, started from the keyboard.
    await run.focus();
    await page.keyboard.press('Enter');
    const tv = page.locator('[data-testid="teach-result"][data-step="task-vector"]');
    await tv.waitFor({ timeout: STEP_MS });
    // Keyboard users land on the result (the run button was disabled while the job ran).
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('outcome'))).toBe(true);
    const sizes = JSON.parse((await tv.getAttribute('data-values'))!) as number[];
    expect(sizes.length).toBeGreaterThanOrEqual(3); // embed, the layers, final
    expect(sizes.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(sizes.filter((v) => v > 0).length).toBeGreaterThanOrEqual(2);
    expect(await tv.locator('rect.bar').count()).toBe(sizes.length);
    const widths = await tv.locator('rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
    expect(Math.max(...widths)).toBeGreaterThan(100);
    expect(await tv.locator('[data-testid="teach-summary"]').textContent()).toMatch(/^The largest change is in (embed|final|layer \d+) \(/);
    const tTask = Date.now();

    // 2. Kinship of every non-base model: K x K cells, 1 on the diagonal, a stranger apart.
    await page.click('text=Next');
    await run.click();
    const kin = page.locator('[data-testid="teach-result"][data-step="kinship"]');
    await kin.waitFor({ timeout: STEP_MS });
    const k = Number(await kin.getAttribute('data-models'));
    expect(k).toBeGreaterThanOrEqual(3);
    const labels = await kin.locator('rect[role="gridcell"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label') ?? ''));
    expect(labels.length).toBe(k * k);
    const value = (l: string) => Number(/pcc (-?[\d.e+-]+)$/.exec(l)?.[1]);
    for (let i = 0; i < k; i++) {
      expect(labels[i * k + i]).toMatch(/: pcc 1$/);
      for (let j = 0; j < k; j++) {
        expect(value(labels[i * k + j])).toBeCloseTo(value(labels[j * k + i]), 9); // symmetric
        expect(Math.abs(value(labels[i * k + j]))).toBeLessThanOrEqual(1);
      }
    }
    expect(labels.some((l, n) => n % (k + 1) !== 0 && value(l) < 0.99)).toBe(true); // not all alike
    expect(await kin.locator('[data-testid="teach-summary"]').textContent()).toMatch(/mean pairwise pcc is -?\d/);
    const tKin = Date.now();

    // 3. SLERP sweep: one point per t, the ends are the parents, the sentence follows the numbers.
    await page.click('text=Next');
    await run.click();
    const sw = page.locator('[data-testid="teach-result"][data-step="slerp-sweep"][data-done="true"]');
    await sw.waitFor({ timeout: STEP_MS });
    expect(Number(await sw.getAttribute('data-points'))).toBe(sweepT.length);
    const avg = await sw.locator('circle.pt.main').evaluateAll((cs) => cs.map((c) => ({ t: Number(c.getAttribute('data-x')), y: Number(c.getAttribute('data-y')) })));
    expect(avg.map((p) => p.t)).toEqual(sweepT);
    expect(avg.every((p) => Number.isFinite(p.y) && p.y >= 0)).toBe(true);
    const [pa, pb] = JSON.parse((await sw.getAttribute('data-parents'))!) as [number, number];
    // t = 0 is parent A and t = 1 is parent B, weight for weight, so they score the same.
    expect(avg[0].y).toBeCloseTo(pa, 9);
    expect(avg.at(-1)!.y).toBeCloseTo(pb, 9);
    const skills = await sw.locator('circle.pt:not(.main)').count();
    expect(skills).toBeGreaterThanOrEqual(sweepT.length); // at least one skill line, a point per t
    const wins = avg.filter((p) => p.y > Math.max(pa, pb)).map((p) => String(p.t));
    const said = (await sw.locator('[data-testid="teach-summary"]').textContent())!;
    if (wins.length === 0) expect(said).toMatch(/^No t beats both parents/);
    else expect(said).toContain(`beats both parents at t = ${wins.length === 1 ? wins[0] : `${wins.slice(0, -1).join(', ')} and ${wins.at(-1)}`}:`);
    const tSweep = Date.now();
    await page.screenshot({ path: join(screenshotDir(), 'teach-slerp.png'), fullPage: true });

    // Narrow screens: the page does not scroll sideways (wide figures scroll inside themselves).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Cancel: a rerun stops at once, with no error shown and the engine free again.
    await run.click();
    const cancel = page.locator('.progress button', { hasText: 'Cancel' });
    await cancel.waitFor({ timeout: 30_000 });
    await cancel.click();
    await expect.poll(() => run.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('teach-run');

    // The step's teaching link names the step and its hidden controls; a fresh page (a new tab of this
    // profile, so no second browser start-up) opens at step 3 with them hidden, also on the step's view.
    const slerp = TEACH_STEPS.findIndex((x) => x.id === 'slerp');
    await page.click('[data-testid="teach-link"]');
    const link = await page.inputValue('[data-testid="share-link"]');
    expect(link).toMatch(/#\/teach\?s=v1\.[A-Za-z0-9_-]+$/);
    const { state } = await decodeShare(link.split('?s=')[1]);
    expect(state).toMatchObject({ view: 'teach', teach: 'slerp', hide: TEACH_STEPS[slerp].hide });
    expect(state.hide).toContain('merge.export');
    const fresh = await s.context.newPage();
    await fresh.goto(link);
    await fresh.waitForSelector('main[data-view="teach"]');
    const title = `${slerp + 1}. ${TEACH_STEPS[slerp].title}`;
    await expect.poll(() => fresh.textContent('article h3')).toBe(title);
    expect(await fresh.locator('ol.steps button[aria-current="step"]').textContent()).toBe(title);
    await fresh.click(`article a[href^="#/${TEACH_STEPS[slerp].view}?s="]`);
    await fresh.waitForSelector('main[data-view="merge"]');
    expect(await fresh.locator('[data-control="merge.export"]').count()).toBe(0);
    expect(await fresh.locator('[data-control="merge.method"]').count()).toBe(1);
    // Back on the Teach view the step is kept (the link is not applied again).
    await fresh.click('nav a[data-view="teach"]');
    await expect.poll(() => fresh.textContent('article h3')).toBe(title);
    await fresh.close();

    console.log(`teach e2e: engine ready + task vector ${((tTask - t0) / 1000).toFixed(1)} s, kinship ${((tKin - tTask) / 1000).toFixed(1)} s, SLERP sweep ${((tSweep - tKin) / 1000).toFixed(1)} s`);
  }, 3 * STEP_MS);
});
