/**
 * Zoo scores recorded by the Node and the browser test runs, so whichever runs second can check that
 * both environments give identical scores (the files live in node_modules/.cache, never committed).
 */
import { loadModelDir, loadSuites, loadZooIndex, type AssetReader, type ZooModelEntry } from '../../src/eval/assets';
import { createEvaluator, type Evaluator } from '../../src/eval/evaluator';
export interface ZooScoreRecord {
  env: 'node' | 'browser';
  /** sha256 of each suite file, in order: records only compare on the same suites. */
  suites: string[];
  models: { model: string; modelHash: string; scores: Record<string, number>; average: number; ms: number }[];
}

/** Relative to the project root. */
export const RECORD_PATH = { node: 'node_modules/.cache/kinmerge-eval/zoo-scores.node.json', browser: 'node_modules/.cache/kinmerge-eval/zoo-scores.browser.json' };

/** Pairs of (this, other) results for the same model weights on the same suites. */
export function comparable(a: ZooScoreRecord, b: ZooScoreRecord): [ZooScoreRecord['models'][number], ZooScoreRecord['models'][number]][] {
  if (a.suites.join() !== b.suites.join()) return [];
  return a.models.flatMap((m) => {
    const o = b.models.find((x) => x.modelHash === m.modelHash);
    return o ? [[m, o] as [typeof m, typeof o]] : [];
  });
}

/** The exact-match scores written by the zoo generator (Python, torch) in a model card's model-index. */
export function cardScores(readme: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /config: ([\w-]+), split: test\}\s*\n\s*metrics: \[\{type: exact_match, value: ([\d.]+)\}\]/g;
  for (const m of readme.matchAll(re)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Scores every zoo model with one evaluator (suites loaded with the first model's vocabulary), as the
 * Node test and the browser worker both do; `onScored` sees each result (e.g. to check a model card).
 */
export async function scoreZoo(r: AssetReader, env: ZooScoreRecord['env'],
  onScored?: (m: ZooModelEntry, scores: Record<string, number>) => void): Promise<ZooScoreRecord> {
  const index = await loadZooIndex(r);
  const record: ZooScoreRecord = { env, suites: [], models: [] };
  let ev: Evaluator | undefined;
  try {
    for (const m of index.models) {
      const model = await loadModelDir(r, `zoo/${m.path}`, m.name);
      if (!ev) {
        const suites = await loadSuites(r, model.vocab, model.config.maxPositions);
        record.suites = suites.map((s) => s.hash);
        ev = createEvaluator({ suites, config: model.config, vocab: model.vocab });
        await ev.ready();
      }
      const t = performance.now();
      const res = await ev.score(model.source).finally(() => model.close());
      record.models.push({ model: m.name, modelHash: res.modelHash, scores: res.scores, average: res.average, ms: performance.now() - t });
      onScored?.(m, res.scores);
    }
  } finally {
    await ev?.dispose();
  }
  return record;
}
