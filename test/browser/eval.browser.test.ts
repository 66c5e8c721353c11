import { describe, it, expect } from 'vitest';
import { commands } from 'vitest/browser';
import { comparable, RECORD_PATH, type ZooScoreRecord } from '../eval/zoo-scores';

function inWorker<T>(req: unknown, timeoutMs = 100_000): Promise<T> {
  const w = new Worker(new URL('./eval-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker timed out')), timeoutMs);
    w.onmessage = (e: MessageEvent<{ ok: boolean; result?: T; error?: string }>) => {
      clearTimeout(timer);
      w.terminate();
      if (e.data.ok) resolve(e.data.result as T);
      else reject(new Error(e.data.error));
    };
    w.onerror = (e) => { clearTimeout(timer); w.terminate(); reject(new Error(e.message)); };
    w.postMessage(req);
  });
}

type FixtureResult = { shared: boolean; scores: Record<string, number>; mc: Record<string, number>; expected: Record<string, number>; expectedMc: Record<string, number> };

describe('evaluation in a module Web Worker (Chromium)', () => {
  it('wasm EP: the fixture scores equal the constructed ones (the same the Node tests check)', async () => {
    const r = await inWorker<FixtureResult>({ kind: 'fixture', backend: 'wasm', perSkill: 12, batchSize: 16 }, 170_000);
    expect(r.scores).toEqual(r.expected);
    expect(r.mc).toEqual(r.expectedMc);
  }, 180_000);

  // SwiftShader compiles every WGSL kernel on the CPU: ~90 s of CPU on this 2-core machine, so it is
  // opt-in (VITE_EVAL_WEBGPU=1 npx vitest run --config vitest.browser.config.ts test/browser/eval.browser.test.ts).
  it.skipIf(import.meta.env.VITE_EVAL_WEBGPU !== '1')('webgpu EP on a shared GPUDevice (SwiftShader here) gives the same scores', async () => {
    const r = await inWorker<FixtureResult>({ kind: 'fixture', backend: 'webgpu', perSkill: 4, batchSize: 256, shareDevice: true }, 290_000);
    console.log(`[eval webgpu] ORT runs on the shared GPUDevice: ${r.shared}`);
    expect(r.shared).toBe(true);
    expect(r.scores).toEqual(r.expected);
    expect(r.mc).toEqual(r.expectedMc);
  }, 300_000);

  it('timing: a zoo-sized model on 6 x 200 prompts', async () => {
    const r = await inWorker<{ readyMs: number; scoreMs: number[]; crossOriginIsolated: boolean; sequences: number }>({ kind: 'bench', runs: 3 }, 290_000);
    console.log(`[eval bench] session ready ${r.readyMs.toFixed(0)} ms; score ${r.sequences} sequences: ${r.scoreMs.map((x) => x.toFixed(0)).join(', ')} ms; crossOriginIsolated=${r.crossOriginIsolated}`);
    expect(r.scoreMs.length).toBe(3);
    expect(Math.min(...r.scoreMs)).toBeGreaterThan(0);
  }, 300_000);

  it('every zoo model: scores identical to Node\'s (kinmerge eval), and the time per model', async (ctx) => {
    const record = await inWorker<ZooScoreRecord | null>({ kind: 'zoo' }, 290_000);
    if (!record) ctx.skip(); // no public/zoo yet
    const rec = record!;
    console.log(`[eval zoo] ${rec.models.map((m) => `${m.model} ${m.ms.toFixed(0)} ms`).join(', ')}`);
    await commands.writeFile(RECORD_PATH.browser, JSON.stringify(rec, null, 1));
    let node: ZooScoreRecord | undefined;
    try {
      node = JSON.parse(await commands.readFile(RECORD_PATH.node)) as ZooScoreRecord;
    } catch {
      // The Node zoo test has not run yet: it compares against this record when it does.
    }
    if (node) for (const [a, b] of comparable(rec, node)) expect(a.scores, `${a.model}: browser vs Node`).toEqual(b.scores);
  }, 300_000);
});
