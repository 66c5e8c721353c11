/**
 * `npm run experiment`: the paper's experiment on the demo zoo. Runs greedy, kinship-guided and random
 * Top-k merging from every 3-of-N subset of the experts (early stopping off, so each run's early-stopped
 * twin is its exact prefix: the stop test runs before a generation and the run is deterministic), then
 * writes docs/RESULTS.md and docs/results.json.
 *
 *   npm run experiment [-- --assets DIR] [--max-gen 8] [--subset-size 3] [--out docs] [--threshold 0.9]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFamily } from '../src/engine/family';
import { loadZooFamily } from '../src/engine/zoo-family';
import { nodeAssetReader } from '../src/eval/node-assets';
import { gainCorrelation } from '../src/evolve/analysis';
import { runEvolution } from '../src/evolve/loop';
import { pearson } from '../src/evolve/stats';
import { DEFAULT_CONFIG, type EvolveRecord, type Strategy } from '../src/evolve/types';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const root = resolve(opt('assets', fileURLToPath(new URL('../public/', import.meta.url))));
const maxGen = Number(opt('max-gen', '8'));
const subsetSize = Number(opt('subset-size', '3'));
const threshold = Number(opt('threshold', '0.9'));
const outDir = resolve(opt('out', fileURLToPath(new URL('../docs/', import.meta.url))));
const STRATEGIES: Strategy[] = ['greedy', 'kinship', 'random'];

function subsets<T>(xs: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...t] = xs;
  return [...subsets(t, k - 1).map((s) => [h, ...s]), ...subsets(t, k)];
}

export interface RunSummary {
  strategy: Strategy;
  set: string[];
  bestPerGen: number[];
  kinPerGen: (number | null)[];
  best: number;
  bestId: string;
  merges: number;
  mergesToBest: number;
  stopped: string;
  early: { afterGen: number; merges: number; best: number; saved: number; lost: number } | null;
  seconds: number;
}

/** The early-stopped twin of a run without early stopping: its prefix up to the first generation whose top-k kinship exceeds the threshold. */
export function earlyStop(rec: EvolveRecord, thr: number): RunSummary['early'] {
  const total = rec.models.filter((m) => m.parents.length).length;
  for (const g of rec.generations) {
    const last = g.generation === rec.generations[rec.generations.length - 1].generation;
    if (g.topk_kinship !== null && g.topk_kinship > thr) {
      const merges = rec.generations.filter((x) => x.generation <= g.generation).reduce((s, x) => s + x.merges.length, 0);
      return last ? { afterGen: g.generation, merges: total, best: rec.best.average, saved: 0, lost: 0 }
        : { afterGen: g.generation, merges, best: g.best_average, saved: total - merges, lost: rec.best.average - g.best_average };
    }
  }
  return null;
}

function summarize(rec: EvolveRecord, set: string[], seconds: number): RunSummary {
  const merged = rec.models.filter((m) => m.parents.length);
  const bestIdx = merged.findIndex((m) => m.id === rec.best.id);
  return {
    strategy: rec.strategy, set, bestPerGen: rec.generations.map((g) => g.best_average),
    kinPerGen: rec.generations.map((g) => g.topk_kinship), best: rec.best.average, bestId: rec.best.id,
    merges: merged.length, mergesToBest: bestIdx + 1, stopped: rec.stopped, early: earlyStop(rec, threshold), seconds,
  };
}

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
/** p-values: tiny ones in scientific notation rather than 0.0000. */
const pv = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x < 1e-4 ? x.toExponential(1) : x.toFixed(4));
/** Scores as percentages, like the paper's tables. */
const pc = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? 'n/a' : (100 * x).toFixed(d));

async function main() {
  const fromJson = opt('from-json', '');
  if (fromJson) {
    const { readFile } = await import('node:fs/promises');
    const j = JSON.parse(await readFile(fromJson, 'utf8'));
    await writeFile(join(outDir, 'RESULTS.md'), report(j.runs, j.sets, j.correlation, new Map(Object.entries(j.foundation ?? {})), j.seconds));
    return;
  }
  const t0 = performance.now();
  const fam = await loadZooFamily(nodeAssetReader(root));
  const experts = [...fam.foundation.keys()];
  const sets = subsets(experts, subsetSize);
  console.error(`experiment: ${sets.length} starting sets x ${STRATEGIES.length} strategies, max ${maxGen} generations`);
  const foundationScores = new Map<string, number>();
  for (const e of experts) foundationScores.set(e, (await fam.evaluator.score(fam.foundation.get(e)!)).average);
  const runs: RunSummary[] = [];
  const records: EvolveRecord[] = [];
  for (const set of sets) {
    for (const strategy of STRATEGIES) {
      const family = createFamily({ base: fam.base, foundation: fam.foundation, evaluator: fam.evaluator, seed: 0 });
      const t = performance.now();
      const rec = await runEvolution(set, { ...DEFAULT_CONFIG, strategy, maxGen, stopKinship: null, seed: 0 }, family.deps);
      const s = summarize(rec, set, (performance.now() - t) / 1000);
      runs.push(s); records.push(rec);
      console.error(`${set.join('+')} ${strategy}: best ${pc(s.best)} after ${s.merges} merges (${s.stopped}); early stop after gen ${s.early?.afterGen ?? '-'} saves ${s.early?.saved ?? 0}`);
    }
  }
  const corrPoints = records.flatMap((r) => gainCorrelation(r).points);
  const corr = {
    n: corrPoints.length,
    gain: pearson(corrPoints.map((p) => p.kinship), corrPoints.map((p) => p.gain)),
    absGain: pearson(corrPoints.map((p) => p.kinship), corrPoints.map((p) => Math.abs(p.gain))),
  };
  const seconds = (performance.now() - t0) / 1000;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'results.json'), JSON.stringify({ date: new Date().toISOString(), maxGen, threshold, sets, runs, correlation: corr, foundation: Object.fromEntries(foundationScores), seconds }, null, 2) + '\n');
  await writeFile(join(outDir, 'RESULTS.md'), report(runs, sets, corr, foundationScores, seconds));
  console.error(`wrote ${join(outDir, 'RESULTS.md')} in ${seconds.toFixed(0)} s`);
}

function report(runs: RunSummary[], sets: string[][], corr: { n: number; gain: ReturnType<typeof pearson>; absGain: ReturnType<typeof pearson> }, fs: Map<string, number>, seconds: number): string {
  const by = (s: Strategy) => runs.filter((r) => r.strategy === s);
  const L: string[] = [];
  L.push('# Results: the paper\'s experiment on the demo zoo', '');
  L.push('Generated by `npm run experiment` (scripts/experiment.ts); do not edit by hand. '
    + `Every ${sets[0].length}-of-${[...fs.keys()].length} subset of the zoo's experts is a starting set; each runs the `
    + `greedy (Algorithm 1), kinship-guided (Algorithm 1 + one exploration merge per generation) and random `
    + `(Algorithm 2) strategies with k = 3, the paper's gradient SLERP, pcc kinship against the zoo's base, at most `
    + `${maxGen} generations, seed 0, early stopping off. The early-stopped run (top-3 mean pcc > ${threshold}) is the exact prefix of `
    + 'the full run (the test runs before a generation and runs are deterministic), so its savings are read off the full run.', '');
  L.push('Scores are the average greedy exact-match accuracy over the zoo\'s skills, in percent, like the paper\'s average task performance.', '');
  L.push('## Headline, next to the paper', '');
  const kin = by('kinship'), gre = by('greedy'), ran = by('random');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const ge = kin.filter((k, i) => k.best >= gre[i].best - 1e-12).length;
  const gt = kin.filter((k, i) => k.best > gre[i].best + 1e-12).length;
  L.push('| | paper (Mistral-7B, 3 tasks) | demo zoo (mean over starting sets) |', '|---|---|---|');
  L.push(`| greedy best | 68.72 | ${pc(mean(gre.map((r) => r.best)))} |`);
  L.push(`| kinship-guided best | 69.13 | ${pc(mean(kin.map((r) => r.best)))} |`);
  L.push(`| random best | 68.55 | ${pc(mean(ran.map((r) => r.best)))} |`);
  L.push(`| kinship >= greedy | (one run) | ${ge} of ${kin.length} starting sets (strictly higher in ${gt}) |`);
  const esStats = (rs: RunSummary[]) => {
    const saved = rs.reduce((a, r) => a + (r.early?.saved ?? 0), 0), total = rs.reduce((a, r) => a + r.merges, 0);
    return { saved, total, pct: (100 * saved) / Math.max(1, total), maxLost: Math.max(0, ...rs.map((r) => r.early?.lost ?? 0)) };
  };
  const esG = esStats(gre), esK = esStats(kin);
  L.push(`| early stop at kinship > ${threshold}, greedy: merges saved / largest loss (points) | ~30% / "little to no" | ${f(esG.pct, 1)}% of ${esG.total} / ${pc(esG.maxLost)} |`);
  L.push(`| early stop at kinship > ${threshold}, kinship-guided: merges saved / largest loss (points) | | ${f(esK.pct, 1)}% of ${esK.total} / ${pc(esK.maxLost)} |`);
  L.push(`| r(kinship, gain) / p | -0.50 / 0.063 (community merges) | ${f(corr.gain.r)} / ${pv(corr.gain.p)} over ${corr.n} merges |`);
  L.push(`| r(kinship, abs gain) / p | -0.59 / 0.023 | ${f(corr.absGain.r)} / ${pv(corr.absGain.p)} |`, '');
  L.push('## Foundation models', '', '| expert | average |', '|---|---|');
  for (const [e, s] of fs) L.push(`| ${e} | ${pc(s)} |`);
  L.push('');
  L.push('## Per starting set', '');
  L.push('Best average per generation (generation 1 = all foundation pairs); top-3 mean kinship after each generation; merges to reach the best; the early-stopped twin.', '');
  L.push('| starting set | strategy | best per generation | top-3 kinship per generation | best | merges | to best | stopped | early stop: after gen / merges saved / loss |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    L.push(`| ${r.set.join(', ')} | ${r.strategy} | ${r.bestPerGen.map((x) => pc(x, 1)).join(' → ')} | ${r.kinPerGen.map((x) => f(x, 2)).join(' → ')} | ${pc(r.best)} | ${r.merges} | ${r.mergesToBest} | ${r.stopped} | `
      + `${r.early ? `${r.early.afterGen} / ${r.early.saved} / ${pc(r.early.lost)}` : 'never fires'} |`);
  }
  L.push('', `Run time: ${seconds.toFixed(0)} s on this machine (CPU backend, onnxruntime-web wasm in Node).`, '');
  L.push('## Reading', '');
  L.push(`- Kinship-guided vs greedy: ${ge}/${kin.length} starting sets at least as good, ${gt} strictly better (the paper: 69.13 vs 68.72 in one run).`);
  L.push(`- Early stopping at ${threshold}: greedy runs save ${f(esG.pct, 1)}% of merges with a largest loss of ${pc(esG.maxLost)} points; kinship-guided runs save ${f(esK.pct, 1)}% with a largest loss of ${pc(esK.maxLost)} points (the paper: ~30% saved, little to no loss, shown on its greedy run). `
    + 'A kinship-guided run keeps finding better models by exploration after its top-3 has converged (the escape the paper describes), and stopping at high top-k kinship forgoes exactly those merges: the two ideas pull against each other on this zoo.');
  L.push(`- Kinship vs merge gain over all ${corr.n} merges: r = ${f(corr.gain.r)} (p = ${pv(corr.gain.p)}); vs |gain|: r = ${f(corr.absGain.r)} (p = ${pv(corr.absGain.p)}). The paper reports negative correlations (low kinship, larger |gain|) on community merges.`);
  return L.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
