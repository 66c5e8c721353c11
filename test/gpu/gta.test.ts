import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { packInputs, f32Segment } from '../../src/gpu/packed';
import { selectTopBoundaries, type ChunkVisitor } from '../../src/gpu/select';
import { gtaChunk, TOP_ALL, TOP_NONE, type GtaKernelModel, type TopBoundary } from '../../src/gpu/kernels/gta';
import { accumulateDareL1 } from '../../src/gpu/kernels/dare-l1';
import { bitsAt, mulberry32, streamKey, threshold24 } from '../../src/core/rng';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => { f32[0] = Math.abs(x); return u32[0]; };

/** Values with many ties: integers in [-r, r] scaled. */
const tied = (n: number, seed: number, r = 5) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => (Math.floor(g() * (2 * r + 1)) - r) * 0.25); };
const rand = (n: number, seed: number) => { const g = mulberry32(seed); return Float32Array.from({ length: n }, () => g() * 2 - 1); };

/** Reference: indices in the top m by (|d| desc, index asc). */
function topSet(d: Float32Array, m: number): Set<number> {
  const idx = Array.from(d, (_, i) => i).sort((a, b) => (bitsOf(d[b]) - bitsOf(d[a])) || (a - b));
  return new Set(idx.slice(0, m));
}
const inTop = (d: number, i: number, b: TopBoundary) => { const u = bitsOf(d); const ik = 0xffffffff - i; return u > b.v || (u === b.v && ik >= b.ikCut); };

describe.skipIf(!gpuEnv.available)(`TIES/DARE kernels on Dawn ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  const visitor = (xs: Float32Array[], base: Float32Array, chunk: number): ChunkVisitor => async (fn) => {
    for (let s = 0; s < base.length; s += chunk) {
      const n = Math.min(chunk, base.length - s);
      const p = packInputs(ctx, n, [...xs.map((x) => f32Segment(x.subarray(s, s + n))), f32Segment(base.subarray(s, s + n))]);
      try { await fn(p, s); } finally { p.release(); }
    }
  };

  it('radix select finds exactly the top m (ties by lower index), across chunks', async () => {
    const n = 3001;
    const base = tied(n, 1, 2);
    const xs = [tied(n, 2), tied(n, 3, 1), rand(n, 4), new Float32Array(base)]; // last: all-zero delta
    const ms = [0, 1, 7, 100, 1500, 2999, 3000, 3001];
    const reqs = xs.flatMap((_, model) => ms.map((m) => ({ model, m })));
    for (const chunk of [n, 512]) {
      const got = await selectTopBoundaries(ctx, n, xs.length, true, reqs, visitor(xs, base, chunk));
      reqs.forEach((r, q) => {
        const d = Float32Array.from(xs[r.model], (v, i) => v - base[i]);
        const want = topSet(d, r.m);
        let count = 0;
        for (let i = 0; i < n; i++) {
          const has = inTop(d[i], i, got[q]);
          if (has) count++;
          if (has !== want.has(i)) throw new Error(`model ${r.model} m ${r.m} chunk ${chunk}: element ${i} (|d| ${Math.abs(d[i])})`);
        }
        expect(count).toBe(r.m);
      });
    }
  });

  it('gta pass: TIES (magnitude + consensus), DARE (Bernoulli + L1 rescale), plain task arithmetic vs float64', async () => {
    const n = 2049;
    const base = rand(n, 10);
    const xs = [rand(n, 11), rand(n, 12), tied(n, 13, 3), new Float32Array(base)];
    const weights = [0.7, 1.2, -0.4, 0.5];
    const seed = 1234;
    const keys = xs.map((_, j) => streamKey(seed, 'model.layers.0.w', j));
    for (const mode of ['ties', 'dare', 'ta', 'breadcrumbs'] as const) {
      const lo = mode === 'breadcrumbs' ? 20 : 0, hi = mode === 'ta' || mode === 'dare' ? n : 900;
      const density = 0.35;
      const reqs = xs.flatMap((_, model) => [{ model, m: hi }, { model, m: lo }]);
      const b = mode === 'ties' || mode === 'breadcrumbs' ? await selectTopBoundaries(ctx, n, xs.length, true, reqs, visitor(xs, base, 700)) : [];
      const models: GtaKernelModel[] = xs.map((_, j) => ({
        weight: weights[j], scale: 1, kind: mode === 'dare' ? 2 : mode === 'ta' ? 0 : 1, key: keys[j], thr24: threshold24(density),
        hi: b[2 * j] ?? TOP_ALL, lo: b[2 * j + 1] ?? TOP_NONE,
      }));
      const deltas = xs.map((x) => Float32Array.from(x, (v, i) => v - base[i]));
      const keepCache = deltas.map((d, j) => {
        const top = topSet(d, hi), drop = topSet(d, lo);
        return Array.from({ length: n }, (_, i) => mode === 'dare' ? (bitsAt(keys[j], i) >>> 8) < threshold24(density)
          : mode === 'ta' ? true : top.has(i) && !drop.has(i));
      });
      if (mode === 'dare') {
        const all = new Float64Array(xs.length), kept = new Float64Array(xs.length);
        await visitor(xs, base, 1000)(async (p, s) => accumulateDareL1(ctx, p, s, models, all, kept));
        deltas.forEach((d, j) => {
          let a = 0, k = 0;
          d.forEach((v, i) => { a += Math.abs(v); if (keepCache[j][i]) k += Math.abs(v); });
          expect(all[j]).toBeCloseTo(a, 3); expect(kept[j]).toBeCloseTo(k, 3);
          models[j].scale = k > 1e-7 && a > 1e-7 ? a / k : 1;
        });
      }
      const consensus = mode !== 'ta';
      const opts = { consensus, normalize: mode === 'ties', div: weights.reduce((s, w) => s + w, 0), lambda: 0.9 };
      const got = new Float32Array(n);
      await visitor(xs, base, 1000)(async (p, s) => { const raw = await gtaChunk(ctx, p, s, models, opts, 0); got.set(new Float32Array(raw.buffer, raw.byteOffset, p.n), s); });
      for (let i = 0; i < n; i++) {
        const W = deltas.map((d, j) => (keepCache[j][i] ? weights[j] * d[i] * models[j].scale : 0));
        const sum = W.reduce((s, w) => s + w, 0);
        let mixed = sum, div = opts.div;
        if (consensus) {
          mixed = 0; div = 0;
          W.forEach((w, j) => { if (w !== 0 && (w > 0) === (sum >= 0)) { mixed += w; div += weights[j]; } });
          if (div === 0) div = 1;
        }
        if (opts.normalize) mixed /= div;
        const want = base[i] + opts.lambda * mixed;
        if (Math.abs(got[i] - want) > 2e-6 * (1 + Math.abs(want))) throw new Error(`${mode} element ${i}: got ${got[i]} want ${want}`);
      }
    }
  });
});
