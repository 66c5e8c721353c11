import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, gpuEnv } from './gpu-env';
import type { GpuContext } from '../../src/gpu/context';
import { packInputs, f32Segment, type Segment } from '../../src/gpu/packed';
import { combineChunk } from '../../src/gpu/kernels/combine';
import { accumulateGram, newGramSums } from '../../src/gpu/kernels/gram';
import { f32ToBf16, f32ToF16, bf16ToF32, f16ToF32, encodeFromF32 } from '../../src/core/dtype';
import { mulberry32 } from '../../src/core/rng';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const rand = (n: number, seed: number, scale = 1): Float32Array => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

describe.skipIf(!gpuEnv.available)(`WGSL kernels on Dawn ${gpuEnv.reason}`, () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await context(); });
  afterAll(() => ctx?.destroy());

  const special = Float32Array.from([
    0, -0, 1, -1, 1 / 3, 65504, 65519, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10, 3e-5,
    Infinity, -Infinity, NaN, 1.00048828125, 1.000732421875, 3.4e38, 1.17549435e-38, 1 + 2 ** -8, 1 + 3 * 2 ** -9,
  ]);

  it('writes F32, F16 and BF16 with round-to-nearest-even like the CPU codec', async () => {
    const x = new Float32Array([...special, ...rand(1001, 1, 1e3)]);
    for (const [code, enc] of [[1, f32ToF16], [2, f32ToBf16]] as const) {
      const packed = packInputs(ctx, x.length, [f32Segment(x)]);
      const raw = await combineChunk(ctx, packed, [1], code);
      packed.release();
      const got = new Uint16Array(raw.buffer, raw.byteOffset, x.length);
      const want = Uint16Array.from(x, (v) => enc(v));
      for (let i = 0; i < x.length; i++) {
        if (Number.isNaN(x[i])) expect(got[i] & 0x7fff).toBeGreaterThan(code === 1 ? 0x7c00 : 0x7f80);
        else if (got[i] !== want[i]) throw new Error(`dtype ${code}: x=${x[i]} got ${got[i].toString(16)} want ${want[i].toString(16)}`);
      }
    }
  });

  it('reads F16 and BF16 (odd lengths, subnormals) exactly', async () => {
    const x = new Float32Array([...special.filter((v) => Number.isFinite(v)), ...rand(777, 2, 100)]);
    for (const dt of ['F16', 'BF16'] as const) {
      const bytes = encodeFromF32(dt, x);
      const seg: Segment = { code: dt === 'F16' ? 1 : 2, bytes };
      const packed = packInputs(ctx, x.length, [seg]);
      const raw = await combineChunk(ctx, packed, [1], 0);
      packed.release();
      const got = new Float32Array(raw.buffer, raw.byteOffset, x.length);
      const h = new Uint16Array(bytes.buffer, bytes.byteOffset, x.length);
      const want = Float32Array.from(h, (b) => (dt === 'F16' ? f16ToF32(b) : bf16ToF32(b)));
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('combine = Σ c_k x_k over mixed dtypes, sizes not a multiple of the workgroup', async () => {
    for (const n of [1, 2, 255, 513, 10_007]) {
      const a = rand(n, 3 + n), b = rand(n, 4 + n), c = rand(n, 5 + n);
      const bBf = encodeFromF32('BF16', b);
      const bDec = Float32Array.from(new Uint16Array(bBf.buffer, 0, n), bf16ToF32);
      const packed = packInputs(ctx, n, [f32Segment(a), { code: 2, bytes: bBf }, f32Segment(c)]);
      const raw = await combineChunk(ctx, packed, [0.25, -1.5, 2], 0);
      packed.release();
      const got = new Float32Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const want = 0.25 * a[i] - 1.5 * bDec[i] + 2 * c[i];
        expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(4e-7 * (Math.abs(0.25 * a[i]) + Math.abs(1.5 * bDec[i]) + Math.abs(2 * c[i])) + 1e-30);
      }
    }
  });

  it('gram: S and G of K deltas against a float64 loop; deterministic', async () => {
    for (const [n, k] of [[1, 1], [129, 2], [5000, 3], [4099, 5]] as const) {
      const xs = Array.from({ length: k }, (_, j) => rand(n, 100 + j * 7 + n));
      const base = rand(n, 99);
      const run = async () => {
        const acc = newGramSums(k);
        const packed = packInputs(ctx, n, [...xs.map(f32Segment), f32Segment(base)]);
        await accumulateGram(ctx, packed, k, true, acc);
        packed.release();
        return acc;
      };
      const acc = await run();
      for (let a = 0; a < k; a++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += xs[a][i] - base[i];
        expect(acc.s[a]).toBeCloseTo(s, 4);
        for (let c = 0; c < k; c++) {
          let g = 0;
          for (let i = 0; i < n; i++) g += (xs[a][i] - base[i]) * (xs[c][i] - base[i]);
          expect(Math.abs(acc.g[a * k + c] - g)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(g)));
        }
      }
      const again = await run();
      expect(Array.from(again.g)).toEqual(Array.from(acc.g));
      expect(acc.n).toBe(n);
    }
  });
});
