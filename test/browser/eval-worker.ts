/**
 * Module worker for eval.browser.test.ts: runs the evaluator (onnxruntime-web, wasm EP by default)
 * inside a Web Worker, as the engine worker does, and posts the results back.
 */
import { createEvaluator } from '../../src/eval/evaluator';
import { parseSuite } from '../../src/eval/suites';
import { fetchAssetReader } from '../../src/eval/fetch-assets';
import type { Backend } from '../../src/eval/ort-session';
import { makeFixture } from '../eval/fixture';
import { randomWeights } from '../eval/random-model';
import { scoreZoo } from '../eval/zoo-scores';
import { zooSizedConfig, zooSizedSuites, zooSizedVocab } from '../eval/synthetic';

type Request = { kind: 'fixture'; backend: Backend; perSkill: number; batchSize: number; shareDevice?: boolean } | { kind: 'bench'; runs: number } | { kind: 'zoo' };

async function handle(req: Request): Promise<unknown> {
  if (req.kind === 'fixture') {
    const fx = makeFixture(5, req.perSkill);
    const suites = await Promise.all(Object.entries(fx.suites).map(([k, t]) => parseSuite(k, t, fx.vocab, fx.config.maxPositions)));
    // The engine's own GPUDevice, handed to ORT, as the merge worker does.
    const device = req.shareDevice ? await (await navigator.gpu.requestAdapter())!.requestDevice() : undefined;
    const ev = createEvaluator({ suites, config: fx.config, vocab: fx.vocab, batchSize: req.batchSize, backend: req.backend, device, multipleChoice: true });
    try {
      const r = await ev.score(fx.weights);
      return { shared: ev.sharedDevice, scores: r.scores, mc: r.mc, expected: fx.expected, expectedMc: fx.expectedMc };
    } finally {
      await ev.dispose();
    }
  }
  if (req.kind === 'bench') {
    const suites = zooSizedSuites();
    const ev = createEvaluator({ suites, config: zooSizedConfig, vocab: zooSizedVocab });
    const t0 = performance.now();
    await ev.ready();
    const readyMs = performance.now() - t0;
    const scoreMs: number[] = [];
    for (let i = 0; i < req.runs; i++) {
      const w = randomWeights(zooSizedConfig, 100 + i); // a new model each time: no cache hits
      const t = performance.now();
      await ev.score(w);
      scoreMs.push(performance.now() - t);
    }
    await ev.dispose();
    return { readyMs, scoreMs, crossOriginIsolated: globalThis.crossOriginIsolated, sequences: suites.reduce((a, s) => a + s.examples.length, 0) };
  }
  const r = fetchAssetReader('/');
  if (!(await r.exists('zoo/index.json'))) return null;
  return scoreZoo(r, 'browser');
}

self.onmessage = (e: MessageEvent<Request>) => {
  handle(e.data).then(
    (result) => self.postMessage({ ok: true, result }),
    (err: Error) => self.postMessage({ ok: false, error: `${err.name}: ${err.message}` }),
  );
};
