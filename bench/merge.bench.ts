/**
 * SLERP merge end to end (read two F32 checkpoints, merge, write) on a generated ~100M-parameter pair
 * (quick: ~10M), in ONE run next to (a) a baseline that only reads both inputs in the same chunks and
 * writes the output bytes, and (c) mergekit's SLERP formula in numpy reading through np.memmap.
 * Each case runs in its own child process under /usr/bin/time (peak RSS, CPU seconds); cases are
 * interleaved and repeated, and the best time of each is reported (the machine is shared).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { openSafetensors } from '../src/core/checkpoint';
import { fileSource } from '../src/node/files';
import { BENCH_DIR, ensureMergePair } from './merge-data';
import type { BenchOptions, BenchRow } from './run';

const ROOT = new URL('..', import.meta.url).pathname;
const TIME = '/usr/bin/time';

interface Measure { seconds: number; wall: number; cpu: number; maxRssMB: number }

function timed(cmd: string, args: string[]): Measure {
  const stats = join(BENCH_DIR, 'time.txt');
  const useTime = existsSync(TIME);
  const r = useTime
    ? spawnSync(TIME, ['-o', stats, '-f', '%e %U %S %M', cmd, ...args], { cwd: ROOT, encoding: 'utf8' })
    : spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const inner = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; maxRssMB: number };
  if (!useTime) return { seconds: inner.seconds, wall: NaN, cpu: NaN, maxRssMB: inner.maxRssMB };
  const [wall, user, sys, rssKB] = readFileSync(stats, 'utf8').trim().split('\n').at(-1)!.split(/\s+/).map(Number);
  return { seconds: inner.seconds, wall, cpu: user + sys, maxRssMB: rssKB / 1024 };
}

function hasNumpy(): boolean {
  try { execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }); return true; } catch { return false; }
}

const best = (ms: Measure[]): Measure => ms.reduce((a, b) => (b.seconds < a.seconds ? b : a));

/**
 * Largest difference between the two outputs on the first tensors, relative to the largest |value|
 * of the tensor. numpy's f32 norms and dot over millions of elements drift by ~1e-5 relative (f32
 * accumulation), so this is a sanity check of the same formula, not an exactness test: the goldens are.
 */
async function compareOutputs(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([fileSource(a), fileSource(b)]);
  const [sx, sy] = await Promise.all([openSafetensors(x, a), openSafetensors(y, b)]);
  let worst = 0;
  for (const t of sx.tensors().slice(0, 4)) {
    const n = Math.min(t.numel, 1 << 20);
    const [u, v] = await Promise.all([sx.readF32(t.name, 0, n), sy.readF32(t.name, 0, n)]);
    let scale = 0, diff = 0;
    for (let i = 0; i < n; i++) { scale = Math.max(scale, Math.abs(u[i])); diff = Math.max(diff, Math.abs(u[i] - v[i])); }
    if (scale > 0) worst = Math.max(worst, diff / scale);
  }
  await Promise.all([x.close(), y.close()]);
  return worst;
}

export async function run({ quick }: BenchOptions): Promise<BenchRow[]> {
  const { paths: [pa, pb], params } = await ensureMergePair(quick);
  const tag = quick ? '10m' : '100m';
  const config = join(BENCH_DIR, `merge-${tag}.yml`);
  writeFileSync(config, `merge_method: slerp\nbase_model: ${pa}\nmodels:\n  - model: ${pa}\n  - model: ${pb}\nparameters:\n  t: 0.5\n`);
  const outs = {
    base: join(BENCH_DIR, 'out-baseline.safetensors'), km: join(BENCH_DIR, 'out-kinmerge.safetensors'),
    km1: join(BENCH_DIR, 'out-kinmerge-1thread.safetensors'), np: join(BENCH_DIR, 'out-numpy.safetensors'),
  };
  const numpy = hasNumpy();
  const node = process.execPath;
  const child = ['--import', 'tsx', join(ROOT, 'bench', 'merge-child.ts')];
  const reps = quick ? 2 : 3;
  const m = { base: [] as Measure[], km: [] as Measure[], km1: [] as Measure[], np: [] as Measure[] };
  for (let r = 0; r < reps; r++) {
    m.base.push(timed(node, [...child, 'baseline', pa, pb, outs.base]));
    m.km.push(timed(node, [...child, 'merge', config, outs.km]));
    m.km1.push(timed(node, [...child, 'merge', config, outs.km1, '--threads', '1']));
    if (numpy) m.np.push(timed('python3', [join(ROOT, 'bench', 'slerp_numpy.py'), pa, pb, outs.np, '0.5']));
    console.error(`merge bench rep ${r + 1}/${reps}: baseline ${m.base[r].seconds.toFixed(2)} s, kinmerge ${m.km[r].seconds.toFixed(2)} s (1 thread ${m.km1[r].seconds.toFixed(2)} s)${numpy ? `, numpy ${m.np[r].seconds.toFixed(2)} s` : ''}`);
  }
  const b = best(m.base), k = best(m.km);
  const agreeUlp = numpy ? await compareOutputs(outs.km, outs.np) : undefined;
  const row = (c: string, x: Measure, extra: Record<string, unknown> = {}): BenchRow => ({
    bench: 'merge', case: c, value: params / x.seconds, unit: 'params/s', seconds: x.seconds,
    extra: { params, wallSeconds: x.wall, cpuSeconds: x.cpu, maxRssMB: Math.round(x.maxRssMB), runs: reps, ...extra },
  });
  const rows: BenchRow[] = [
    row(`read+write baseline (${tag} F32 pair)`, b),
    { ...row(`kinmerge merge slerp, ${availableParallelism()} worker threads (${tag} F32 pair)`, k, { vsBaseline: k.seconds / b.seconds, maxRelDiffVsNumpy: agreeUlp }), baseline: `${(k.seconds / b.seconds).toFixed(2)}x read+write` },
  ];
  const k1 = best(m.km1);
  // The worker threads run the same kernels with the same chunking: both files must be the same bytes.
  const sameBytes = readFileSync(outs.km).equals(readFileSync(outs.km1));
  if (!sameBytes) throw new Error('kinmerge --threads 1 and --threads 2 wrote different files');
  rows.push({ ...row(`kinmerge merge slerp --threads 1, in process (${tag})`, k1, { vsBaseline: k1.seconds / b.seconds, identicalToThreads2: sameBytes }), baseline: `${(k1.seconds / b.seconds).toFixed(2)}x read+write` });
  if (numpy) {
    const n = best(m.np);
    rows.push(row(`numpy mergekit slerp via memmap (${tag})`, n));
    rows[2].extra!.speedupVsNumpy = n.seconds / k1.seconds;
    rows[1].extra!.speedupVsNumpy = n.seconds / k.seconds;
    rows[1].baseline += `, ${(n.seconds / k.seconds).toFixed(2)}x faster than numpy`;
  } else {
    rows.push({ bench: 'merge', case: 'numpy mergekit slerp', value: NaN, unit: 'params/s', baseline: 'skipped: python3 with numpy not found' });
  }
  for (const o of Object.values(outs)) rmSync(o, { force: true });
  return rows;
}
