/** Invariants of the merge math (fast-check), run through the CPU backend on in-memory arrays. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { magnitudeRanks, outlierRanks } from '../../src/core/merge/gta';
import { selectRankCuts } from '../../src/core/merge/select';
import { slerpCoefficients } from '../../src/core/merge/slerp';
import { bitsAt, threshold24 } from '../../src/core/rng';
import { runPlanArrays } from './merge-helpers';

const f32 = (n: number) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -100, max: 100 });
const pair = fc.integer({ min: 2, max: 64 }).chain((n) => fc.tuple(f32(n), f32(n)));
const chunk = fc.integer({ min: 1, max: 70 });

/** Reference rank order: |d| (as f32) descending, ties by lower index. */
function rankOrder(d: Float32Array): number[] {
  const a = Float32Array.from(d, Math.abs);
  return [...a.keys()].sort((i, j) => (a[j] - a[i]) || (i - j));
}

describe('slerp', () => {
  it('t = 0 gives the base exactly and t = 1 the other, for any chunking', async () => {
    await fc.assert(fc.asyncProperty(pair, chunk, async ([a, b], c) => {
      // == so that -0 and 0 agree (1·(-0) + 0·0 is +0 in mergekit's numpy too).
      const x = await runPlanArrays({ kind: 'slerp', a: 0, b: 1, t: 0 }, [a, b], c);
      const y = await runPlanArrays({ kind: 'slerp', a: 0, b: 1, t: 1 }, [a, b], c);
      expect(x.every((v, i) => v === a[i])).toBe(true);
      expect(y.every((v, i) => v === b[i])).toBe(true);
    }), { numRuns: 60 });
  });

  it('is symmetric: slerp(t, a, b) = slerp(1 - t, b, a)', async () => {
    await fc.assert(fc.asyncProperty(pair, fc.double({ min: 0, max: 1, noNaN: true }), async ([a, b], t) => {
      const x = await runPlanArrays({ kind: 'slerp', a: 0, b: 1, t }, [a, b]);
      const y = await runPlanArrays({ kind: 'slerp', a: 1, b: 0, t: 1 - t }, [a, b]);
      const scale = Math.max(...a.map(Math.abs), ...b.map(Math.abs), 1e-30);
      x.forEach((v, i) => expect(Math.abs(v - y[i])).toBeLessThanOrEqual(1e-5 * scale));
    }), { numRuns: 60 });
  });

  it('takes the lerp branch for colinear and exactly opposite tensors (|dot| > 0.9995, strictly)', async () => {
    await fc.assert(fc.asyncProperty(f32(16), fc.constantFrom(2, -1, -3), fc.double({ min: -0.5, max: 1.5, noNaN: true }), async (a, c, t) => {
      fc.pre(a.some((x) => Math.abs(x) > 1e-3));
      const b = a.map((x) => x * c);
      const out = await runPlanArrays({ kind: 'slerp', a: 0, b: 1, t }, [a, b]);
      out.forEach((v, i) => expect(v).toBe(Math.fround((1 - t) * a[i] + t * b[i])));
    }), { numRuns: 40 });
    expect(slerpCoefficients(0.3, { aa: 1, bb: 1, ab: 0.9995 }).lerp).toBe(false);
    expect(slerpCoefficients(0.3, { aa: 1, bb: 1, ab: 0.99951 }).lerp).toBe(true);
  });

  it('an all-zero base gives sin(t·pi/2)·other (norm rule: no normalisation at or below 1e-8)', () => {
    const c = slerpCoefficients(0.5, { aa: 0, bb: 4, ab: 0 });
    expect(c.s1).toBeCloseTo(Math.SQRT1_2, 15);
    expect(Math.fround(c.s1)).toBe(Math.fround(0.70710677));
  });
});

describe('linear', () => {
  it('of identical models is the identity when normalized', async () => {
    await fc.assert(fc.asyncProperty(f32(33), fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: 1, maxLength: 4 }), async (a, w) => {
      const s = w.reduce((x, y) => x + y, 0);
      const out = await runPlanArrays({ kind: 'linear', inputs: w.map((_, i) => i), coeffs: w.map((x) => x / s) }, w.map(() => a), 7);
      out.forEach((v, i) => expect(Math.abs(v - a[i])).toBeLessThanOrEqual(2 ** -22 * Math.abs(a[i])));
    }), { numRuns: 40 });
  });
});

describe('magnitude sparsification', () => {
  it('radix select finds the cut of any rank, with ties by lower index, for any chunking', async () => {
    const smallInts = fc.integer({ min: 2, max: 200 }).chain((n) => fc.array(fc.integer({ min: -6, max: 6 }), { minLength: n, maxLength: n }));
    await fc.assert(fc.asyncProperty(smallInts, chunk, fc.double({ min: 0, max: 1, noNaN: true }), async (vals, c, q) => {
      const d = Float32Array.from(vals, (v) => v * 0.25);
      const bits = new Uint32Array(Float32Array.from(d, Math.abs).buffer);
      const r = Math.min(d.length - 1, Math.floor(q * d.length));
      const [cut] = await selectRankCuts(d.length, [r], async (s, n) => bits.slice(s, s + n), c);
      const order = rankOrder(d);
      if (r > 0) {
        expect(cut.value).toBe(bits[order[r]]);
        expect(cut.equalBefore).toBe(order.slice(0, r).filter((i) => bits[i] === cut.value).length);
      }
    }), { numRuns: 100 });
  });

  it('TIES keeps exactly k = floor(density·numel) values: the top k by |d|, ties by lower index', async () => {
    const gen = fc.integer({ min: 1, max: 120 }).chain((n) => fc.tuple(
      fc.array(fc.integer({ min: 1, max: 5 }).chain((m) => fc.constantFrom(m, -m)), { minLength: n, maxLength: n }),
      fc.double({ min: 0, max: 1, noNaN: true }), chunk));
    await fc.assert(fc.asyncProperty(gen, async ([vals, density, c]) => {
      const d = Float32Array.from(vals);
      const base = new Float32Array(d.length);
      const { lo, hi } = magnitudeRanks(d.length, density);
      const out = await runPlanArrays({ kind: 'gta', base: 0, consensus: true, normalize: true, lambda: 1, models: [{ input: 1, weight: 1, sparsify: { kind: 'magnitude', lo, hi } }] }, [base, d], c);
      const kept = new Set(rankOrder(d).slice(0, hi));
      expect(kept.size).toBe(density >= 1 ? d.length : Math.floor(density * d.length));
      out.forEach((v, i) => expect(v).toBe(kept.has(i) ? d[i] : 0));
    }), { numRuns: 100 });
  });

  it('breadcrumbs ranks follow mergekit (shrink the top cut when the bottom one would be negative)', () => {
    expect(outlierRanks(100, 0.9, 0.01)).toEqual({ lo: 1, hi: 91 });
    expect(outlierRanks(100, 0.995, 0.01)).toEqual({ lo: 1, hi: 100 });
    expect(outlierRanks(100, 0.99, 0.05)).toEqual({ lo: 1, hi: 100 });
    expect(outlierRanks(10, 1, 0.5)).toEqual({ lo: 0, hi: 10 });
    expect(magnitudeRanks(1, 0.5)).toEqual({ lo: 0, hi: 0 });
  });
});

describe('DARE', () => {
  it('keeps about density of the values and preserves the L1 norm when rescaling', async () => {
    await fc.assert(fc.asyncProperty(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 }), async (density, key) => {
      const n = 20000;
      const d = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.01 + 0.001);
      const base = new Float32Array(n);
      const plan = (rescale: boolean) => ({ kind: 'gta' as const, base: 0, consensus: false, normalize: false, lambda: 1, models: [{ input: 1, weight: 1, sparsify: { kind: 'bernoulli' as const, density, key, rescale } }] });
      const plain = await runPlanArrays(plan(false), [base, d], 4096);
      const kept = plain.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
      const sigma = Math.sqrt(n * density * (1 - density));
      expect(Math.abs(kept - n * density)).toBeLessThan(5 * sigma);
      let wrong = 0;
      plain.forEach((v, i) => { if (v !== ((bitsAt(key, i) >>> 8) < threshold24(density) ? d[i] : 0)) wrong++; });
      expect(wrong).toBe(0);
      const scaled = await runPlanArrays(plan(true), [base, d], 3000);
      const l1 = (x: Float32Array) => x.reduce((s, v) => s + Math.abs(v), 0);
      expect(Math.abs(l1(scaled) - l1(d)) / l1(d)).toBeLessThan(1e-6);
    }), { numRuns: 8 });
  });
});

describe('normalize and divisors', () => {
  it('without consensus a weight sum below 1e-8 in magnitude divides by 1', async () => {
    const base = Float32Array.of(1, 2), x = Float32Array.of(2, 4), y = Float32Array.of(3, 3);
    const out = await runPlanArrays({ kind: 'gta', base: 0, consensus: false, normalize: true, lambda: 1, models: [
      { input: 1, weight: 1, sparsify: { kind: 'none' } }, { input: 2, weight: -1, sparsify: { kind: 'none' } }] }, [base, x, y]);
    expect(Array.from(out)).toEqual([1 + (1 - 2), 2 + (2 - 1)]);
  });

  it('with consensus only values of the elected sign count, and an empty mask divides by 1', async () => {
    const base = Float32Array.of(0, 0, 0), x = Float32Array.of(2, -1, 0), y = Float32Array.of(-1, -4, 0);
    const out = await runPlanArrays({ kind: 'gta', base: 0, consensus: true, normalize: true, lambda: 2, models: [
      { input: 1, weight: 1, sparsify: { kind: 'none' } }, { input: 2, weight: 0.5, sparsify: { kind: 'none' } }] }, [base, x, y]);
    // element 0: W = (2, -0.5), sum > 0 -> only 2 counts, divisor 1; element 1: W = (-1, -2) -> -3 / 1.5
    expect(Array.from(out)).toEqual([2 * 2, 2 * (-3 / 1.5), 0]);
  });
});
