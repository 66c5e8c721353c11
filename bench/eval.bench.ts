/**
 * Evaluation speed: one ORT (wasm) session, a zoo-sized model (d 128, 4 layers, 50 tokens) scored on
 * 6 x 200 prompts, by wall time and by this process's CPU time (the machine is shared, so CPU time is
 * the steadier figure). Baseline: the f64 CPU forward pass on the same sequences, extrapolated from 60.
 */
import type { BenchOptions, BenchRow } from './run';
import { createEvaluator } from '../src/eval/evaluator';
import { forwardCpu } from '../src/eval/forward-cpu';
import { randomWeights } from '../test/eval/random-model';
import { zooSizedConfig, zooSizedSuites, zooSizedVocab } from '../test/eval/synthetic';
import { existsSync } from 'node:fs';
import { loadModelDir, loadSuites, loadZooIndex } from '../src/eval/assets';
import { nodeAssetReader } from '../src/eval/node-assets';

/** Every shipped zoo model on all suites (exact match only), when public/zoo exists. */
async function zooRows(): Promise<BenchRow[]> {
  if (!existsSync('public/zoo/index.json')) return [];
  const r = nodeAssetReader('public');
  const index = await loadZooIndex(r);
  const first = await loadModelDir(r, `zoo/${index.models[0].path}`, index.models[0].name);
  await first.close();
  const suites = await loadSuites(r, first.vocab, first.config.maxPositions);
  const seqs = suites.reduce((a, s) => a + s.examples.length, 0);
  const ev = createEvaluator({ suites, config: first.config, vocab: first.vocab });
  let t = performance.now();
  await ev.ready();
  const readyS = (performance.now() - t) / 1000;
  const wall: number[] = [], cpu: number[] = [];
  for (const m of index.models) {
    const model = await loadModelDir(r, `zoo/${m.path}`, m.name);
    const c0 = cpuSeconds();
    t = performance.now();
    await ev.score(model.source);
    wall.push((performance.now() - t) / 1000);
    cpu.push(cpuSeconds() - c0);
    await model.close();
  }
  await ev.dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [{
    bench: 'eval', case: `zoo: ${index.models.length} models, ${seqs} prompts each`, value: seqs / median(wall), unit: 'seqs/s', seconds: median(wall),
    extra: { sessionReadyS: readyS, wallS: wall, cpuS: cpu, medianCpuS: median(cpu) },
  }];
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const suites = zooSizedSuites(6, opts.quick ? 50 : 200);
  const seqs = suites.reduce((a, s) => a + s.examples.length, 0);
  const rows: BenchRow[] = await zooRows();
  for (const batchSize of opts.quick ? [256] : [64, 256]) {
    const ev = createEvaluator({ suites, config: zooSizedConfig, vocab: zooSizedVocab, batchSize });
    let t = performance.now();
    await ev.ready();
    const readyS = (performance.now() - t) / 1000;
    const wall: number[] = [], cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = randomWeights(zooSizedConfig, 200 + i);
      const c0 = cpuSeconds();
      t = performance.now();
      await ev.score(w);
      wall.push((performance.now() - t) / 1000);
      cpu.push(cpuSeconds() - c0);
    }
    await ev.dispose();
    const best = Math.min(...wall);
    rows.push({
      bench: 'eval', case: `ort wasm, ${seqs} seqs, batch ${batchSize}`, value: seqs / best, unit: 'seqs/s', seconds: best,
      baseline: 'forward-cpu',
      extra: { sessionReadyS: readyS, wallS: wall, cpuS: cpu },
    });
  }
  // Baseline: the reference forward pass, one sequence at a time.
  const w = randomWeights(zooSizedConfig, 1);
  const sample = suites.flatMap((s) => s.examples).slice(0, 60);
  const t = performance.now();
  for (const ex of sample) forwardCpu(zooSizedConfig, w, [1, ...ex.prompt, ...ex.answer, 2]);
  const perSeq = (performance.now() - t) / 1000 / sample.length;
  rows.push({ bench: 'eval', case: `forward-cpu (f64), extrapolated to ${seqs} seqs`, value: 1 / perSeq, unit: 'seqs/s', seconds: perSeq * seqs });
  return rows;
}
