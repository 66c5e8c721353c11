// Invariants of the kinship matrices and equality of the one-pass Gram path with a naive pairwise f64
// computation (two-pass, on concatenated f32 deltas), on random small checkpoints.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { encodeFromF32 } from '../../src/core/dtype';
import { computeKinship, type KinshipMatrix } from '../../src/core/kinship';
import { encodeSafetensors } from '../../src/core/safetensors';
import { memorySource } from '../helpers/fixtures';

interface Case {
  shapes: number[];
  base: number[][];
  /** Per model, per tensor, values; a model flagged zero equals the base. */
  models: number[][][];
}

const GRID = 2 ** -7;
const caseArb: fc.Arbitrary<Case> = fc
  .record({ shapes: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 3 }), k: fc.integer({ min: 2, max: 4 }) })
  .chain(({ shapes, k }) => {
    const tensor = (n: number) => fc.array(fc.integer({ min: -100, max: 100 }), { minLength: n, maxLength: n });
    const model = fc.tuple(fc.boolean(), fc.tuple(...shapes.map(tensor)));
    return fc.record({ base: fc.tuple(...shapes.map(tensor)), models: fc.array(model, { minLength: k, maxLength: k }) }).map(({ base, models }) => ({
      shapes,
      base,
      models: models.map(([zero, ts]) => (zero ? base : ts)),
    }));
  });

function file(tensors: number[][], shapes: number[]): Uint8Array {
  return encodeSafetensors(tensors.map((v, i) => ({ name: `t${i}`, dtype: 'F32', shape: [shapes[i]], data: encodeFromF32('F32', Float32Array.from(v, (x) => x * GRID)) })));
}

async function kinship(c: Case, chunkElems?: number, split = false) {
  const base = await openSafetensors(memorySource(file(c.base, c.shapes)), 'base');
  const models = await Promise.all(c.models.map((m, i) => openSafetensors(memorySource(file(m, c.shapes)), `m${i}`)));
  return computeKinship({ base, models, chunkElems, split });
}

/** Naive reference: concatenated f32 deltas, two-pass mean/centering in f64. */
function naive(c: Case) {
  const d = c.models.map((m) => m.flatMap((t, ti) => t.map((x, e) => Math.fround(x * GRID - c.base[ti][e] * GRID))));
  const n = d[0].length;
  const mean = d.map((v) => v.reduce((a, x) => a + x, 0) / n);
  const constant = d.map((v) => v.every((x) => x === v[0]));
  const zero = d.map((v) => v.every((x) => x === 0));
  const K = d.length;
  const mat = (f: (i: number, j: number) => number | null): KinshipMatrix => Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => f(i, j)));
  const dotc = (i: number, j: number) => d[i].reduce((a, x, e) => a + (x - mean[i]) * (d[j][e] - mean[j]), 0);
  const dot = (i: number, j: number) => d[i].reduce((a, x, e) => a + x * d[j][e], 0);
  return {
    pcc: mat((i, j) => (constant[i] || constant[j] ? null : dotc(i, j) / Math.sqrt(dotc(i, i) * dotc(j, j)))),
    cs: mat((i, j) => (zero[i] || zero[j] ? null : dot(i, j) / Math.sqrt(dot(i, i) * dot(j, j)))),
    ed: mat((i, j) => Math.sqrt(d[i].reduce((a, x, e) => a + (x - d[j][e]) ** 2, 0))),
  };
}

function expectNear(a: KinshipMatrix, b: KinshipMatrix, tol: number): void {
  a.forEach((row, i) =>
    row.forEach((x, j) => {
      const y = b[i][j];
      if (y === null || x === null) expect(x).toBe(y);
      else expect(Math.abs(x - y)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y)));
    }),
  );
}

describe('kinship properties', () => {
  it('symmetric, bounded (global and split), cs_abs = |cs| (global) or >= |cs| (split), ed >= 0 with a zero diagonal', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.boolean(), async (c, split) => {
        const { pcc, cs, cs_abs, ed } = (await kinship(c, undefined, split)).metrics as Required<Awaited<ReturnType<typeof kinship>>['metrics']>;
        const K = c.models.length;
        for (let i = 0; i < K; i++) {
          expect(ed[i][i]).toBe(0);
          for (let j = 0; j < K; j++) {
            for (const m of [pcc, cs, cs_abs, ed]) expect(m[i][j]).toBe(m[j][i]);
            for (const m of [pcc, cs]) if (m[i][j] !== null) expect(Math.abs(m[i][j]!)).toBeLessThanOrEqual(1);
            // Split mode averages per-tensor |cos|, so there cs_abs >= |cs| (a mean of |x| bounds |mean x|).
            if (split) expect(cs_abs[i][j] === null ? null : cs_abs[i][j]! + 1e-12 >= Math.abs(cs[i][j]!)).toBe(cs[i][j] === null ? null : true);
            else expect(cs_abs[i][j]).toBe(cs[i][j] === null ? null : Math.abs(cs[i][j]!));
            expect(ed[i][j]!).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does not depend on the chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 9 }), fc.boolean(), async (c, chunk, split) => {
        const a = await kinship(c, undefined, split);
        const b = await kinship(c, chunk, split);
        for (const m of ['pcc', 'cs', 'ed'] as const) expectNear(b.metrics[m]!, a.metrics[m]!, 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  it('equals a naive pairwise f64 computation', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const r = await kinship(c);
        const ref = naive(c);
        expectNear(r.metrics.pcc!, ref.pcc, 1e-9);
        expectNear(r.metrics.cs!, ref.cs, 1e-12);
        expectNear(r.metrics.ed!, ref.ed, 1e-9);
      }),
      { numRuns: 60 },
    );
  });
});
