/**
 * The merge benchmark on a many-core machine without npm (a lent GPU machine's 16-core host): bundled
 * with the worker by `sh scripts/device-gpu-pack.sh`, run as `node .devgpu/cpu.mjs OUT_DIR`. Same cases
 * as bench/merge.bench.ts (read+write baseline, kinmerge merge at 1..16 threads, numpy via memmap),
 * in one process each for kinmerge and the baseline, interleaved, best of 3; writes OUT_DIR/cpu-device.json.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { merge } from '../src/cli/commands/merge';
import { BENCH_DIR, ensureMergePair, readWriteBaseline } from './merge-data';

const outDir = process.argv[2] ?? '.';
const { paths: [pa, pb], params } = await ensureMergePair(false);
const config = join(BENCH_DIR, 'merge-100m.yml');
writeFileSync(config, `merge_method: slerp\nbase_model: ${pa}\nmodels:\n  - model: ${pa}\n  - model: ${pb}\nparameters:\n  t: 0.5\n`);
const out = join(BENCH_DIR, 'out.safetensors');

const baseline = () => readWriteBaseline(pa, pb, out);
const io = { out: () => {}, err: (s: string) => { process.stderr.write(s); } };
const time = async (fn: () => Promise<unknown>) => { const t = performance.now(); await fn(); return (performance.now() - t) / 1000; };
const cases: Record<string, () => Promise<unknown>> = { 'read+write baseline': baseline };
for (const n of [1, 2, 4, 8, 16]) cases[`kinmerge --threads ${n}`] = () => merge.run([config, '--out', out, '--quiet', '--threads', String(n)], io);
cases['numpy (mergekit formula, memmap)'] = async () => {
  const r = spawnSync('python3', [join(BENCH_DIR, '..', 'bench', 'slerp_numpy.py'), pa, pb, out, '0.5'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
};
const runs: Record<string, number[]> = {};
for (let rep = 0; rep < 3; rep++) {
  for (const [name, fn] of Object.entries(cases)) (runs[name] ??= []).push(await time(fn));
  console.log(`rep ${rep + 1}: ${Object.entries(runs).map(([k, v]) => `${k} ${v[rep].toFixed(2)} s`).join(', ')}`);
}
const best = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, Math.min(...v)]));
const report = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, params, runs, best };
console.log(JSON.stringify(best));
writeFileSync(join(outDir, 'cpu-device.json'), JSON.stringify(report, null, 2));
process.exit(0);
