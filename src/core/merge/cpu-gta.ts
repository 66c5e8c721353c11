/**
 * CPU runner of the `gta` plan (task_arithmetic, ties, dare_*, breadcrumbs*), mergekit semantics:
 * d_i = x_i - base; sparsify; W_i = w_i·d_i; with consensus, elected sign +1 where Σ W_i >= 0, only
 * non-zero W_i of that sign take part and the divisor is Σ mask_i·w_i (0 -> 1); without consensus the
 * divisor is Σ w_i (|.| < 1e-8 -> 1); normalize, lambda, base + mixed.
 *
 * Passes: magnitude sparsification first finds rank cuts (select.ts), DARE with rescale first sums
 * Σ|d| and Σ|kept d| (f64); then one elementwise pass.
 */
import { bitsAt, threshold24 } from '../rng';
import { ChunkCache, forEachChunk, writeChunks, type OutputPool } from './chunks';
import { RankTester, selectRankCuts } from './select';
import type { GtaModel, PlanIO, TensorPlan } from './types';

type GtaPlan = Extract<TensorPlan, { kind: 'gta' }>;

/** DARE rescale is skipped when either L1 norm is below this (mergekit). */
export const DARE_RESCALE_EPS = 1e-7;

/** Factor that makes the kept values' L1 norm equal the full delta's, or 1 when either is tiny. */
export function dareRescaleFactor(l1Full: number, l1Kept: number): number {
  if (l1Full < DARE_RESCALE_EPS || l1Kept < DARE_RESCALE_EPS) return 1;
  return l1Full / l1Kept;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Bits of the f32 rounding of |x|. */
function absBits(x: number): number {
  f32[0] = Math.abs(x);
  return u32[0];
}

interface ModelState {
  m: GtaModel;
  /** Magnitude: rank < lo and rank < hi testers. */
  lo?: RankTester;
  hi?: RankTester;
  /** Bernoulli: 24-bit threshold and the rescale factor. */
  thr?: number;
  factor: number;
}

export async function runGta(plan: GtaPlan, io: PlanIO, cache: ChunkCache, pool: OutputPool, signal?: AbortSignal): Promise<void> {
  const { numel, chunkElems } = io;
  const states: ModelState[] = [];
  for (const m of plan.models) {
    const s: ModelState = { m, factor: 1 };
    if (m.sparsify.kind === 'magnitude') {
      const scratch = new Uint32Array(Math.min(chunkElems, numel));
      const read = async (start: number, n: number) => {
        const [b, x] = await Promise.all([cache.read(plan.base, start, n), cache.read(m.input, start, n)]);
        for (let j = 0; j < n; j++) scratch[j] = absBits(x[j] - b[j]);
        return scratch;
      };
      const [lo, hi] = await selectRankCuts(numel, [m.sparsify.lo, m.sparsify.hi], read, chunkElems);
      s.lo = new RankTester(lo, numel);
      s.hi = new RankTester(hi, numel);
    } else if (m.sparsify.kind === 'bernoulli') {
      s.thr = threshold24(m.sparsify.density);
    }
    states.push(s);
  }
  await dareRescale(plan, states, io, cache, signal);

  const K = states.length;
  const w = states.map((s) => s.m.weight);
  const sumW = w.reduce((a, x) => a + x, 0);
  const plainDivisor = Math.abs(sumW) < 1e-8 ? 1 : sumW;
  const W = new Float64Array(K);
  const load = (r: { start: number; n: number }) =>
    Promise.all([cache.read(plan.base, r.start, r.n), ...states.map((s) => cache.read(s.m.input, r.start, r.n))]);
  try {
    await writeChunks(io, pool, load, (o, [b, ...xs], r) => {
      for (let j = 0; j < r.n; j++) {
        const base = b[j];
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const d = xs[k][j] - base;
          const v = keep(states[k], d, r.start + j) ? d * states[k].factor : 0;
          W[k] = w[k] * v;
          sum += W[k];
        }
        let mixed: number, divisor: number;
        if (plan.consensus) {
          const up = sum >= 0;
          mixed = 0; divisor = 0;
          for (let k = 0; k < K; k++) {
            const x = W[k];
            if (up ? x > 0 : x < 0) { mixed += x; divisor += w[k]; }
          }
          if (divisor === 0) divisor = 1;
        } else {
          mixed = sum; divisor = plainDivisor;
        }
        if (plan.normalize) mixed /= divisor;
        if (plan.lambda !== 1) mixed *= plan.lambda;
        o[j] = base + mixed;
      }
    }, signal);
  } finally {
    cache.clear();
  }
}

function keep(s: ModelState, d: number, index: number): boolean {
  const sp = s.m.sparsify;
  if (sp.kind === 'none') return true;
  if (sp.kind === 'bernoulli') return (bitsAt(sp.key, index) >>> 8) < s.thr!;
  // Both testers must see every element, in order, to keep their equal-value counters right.
  const bits = absBits(d);
  const beforeLo = s.lo!.before(bits);
  const beforeHi = s.hi!.before(bits);
  return !beforeLo && beforeHi;
}

async function dareRescale(plan: GtaPlan, states: ModelState[], io: PlanIO, cache: ChunkCache, signal?: AbortSignal): Promise<void> {
  const todo = states.filter((s) => s.m.sparsify.kind === 'bernoulli' && s.m.sparsify.rescale);
  if (todo.length === 0) return;
  const full = todo.map(() => 0);
  const kept = todo.map(() => 0);
  const load = (r: { start: number; n: number }) =>
    Promise.all([cache.read(plan.base, r.start, r.n), ...todo.map((s) => cache.read(s.m.input, r.start, r.n))]);
  await forEachChunk(io.numel, io.chunkElems, load, ([b, ...xs], r) => {
    todo.forEach((s, k) => {
      const sp = s.m.sparsify as Extract<GtaModel['sparsify'], { kind: 'bernoulli' }>;
      const x = xs[k];
      let f = 0, kk = 0;
      for (let j = 0; j < r.n; j++) {
        const a = Math.abs(x[j] - b[j]);
        f += a;
        if ((bitsAt(sp.key, r.start + j) >>> 8) < s.thr!) kk += a;
      }
      full[k] += f; kept[k] += kk;
    });
  }, signal);
  todo.forEach((s, k) => { s.factor = dareRescaleFactor(full[k], kept[k]); });
}
