import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkElems, planChunks } from '../../src/gpu/chunk';
import { GpuError } from '../../src/gpu/errors';

describe('chunk planner (pure)', () => {
  it('covers [0, numel) with contiguous ranges of at most the chunk size', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 500, max: 5e5 }), (numel, elems) => {
      const r = planChunks(numel, elems);
      let pos = 0;
      for (const c of r) {
        expect(c.start).toBe(pos);
        expect(c.n).toBeGreaterThan(0);
        expect(c.n).toBeLessThanOrEqual(elems);
        pos += c.n;
      }
      expect(pos).toBe(numel);
      expect(r.length).toBe(Math.ceil(numel / elems));
    }));
  });
  it('keeps every binding within the limit, aligned, and honours a forced small limit', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 4096, max: 2 ** 30 }), fc.constantFrom(1, 2, 256), (bytesPerElem, limit, align) => {
      let n: number;
      try { n = chunkElems({ bytesPerElem, outBytesPerElem: 4, maxBindingBytes: limit, align }); } catch (e) { expect(e).toBeInstanceOf(GpuError); return; }
      expect(n % align).toBe(0);
      expect(n * Math.max(bytesPerElem, 4)).toBeLessThanOrEqual(limit);
      expect((n + align) * Math.max(bytesPerElem, 4)).toBeGreaterThan(limit);
    }));
    expect(chunkElems({ bytesPerElem: 16, maxBindingBytes: 2048, align: 2 })).toBe(128);
    expect(chunkElems({ bytesPerElem: 16, maxBindingBytes: 1 << 30, maxElems: 1000, align: 2 })).toBe(1000);
  });
  it('names the errors: a chunk that cannot fit, a tensor beyond u32 indices, a bad size', () => {
    expect(() => chunkElems({ bytesPerElem: 68, maxBindingBytes: 1024, align: 256 })).toThrow(/over the limit/);
    expect(() => planChunks(2 ** 32, 1 << 20)).toThrow(GpuError);
    expect(() => planChunks(10, 0)).toThrow(RangeError);
    expect(planChunks(0, 10)).toEqual([]);
  });
});
