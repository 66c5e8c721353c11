import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DTYPE_BITS, DTYPES, DTypeError, bf16ToF32, bitsToF32, byteLengthOf, decodeToF32, encodeFromF32, f16ToF32,
  f32BitsToBf16, f32BitsToF16, f32ToBf16, f32ToBits, f32ToF16, isFloatDType, roundToDType,
} from '../../src/core/dtype';
import type { FloatDType } from '../../src/core/types';

/** Reference RNE to a float format with `p` significant bits and min normal exponent `emin`, in f64. */
function refRound(x: number, p: number, emin: number, maxFinite: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  const e = Math.max(Math.floor(Math.log2(a)), emin);
  let q = 2 ** (e - p + 1); // spacing at this exponent
  // log2 can be off by one near powers of two: fix e so that 2^e <= a < 2^(e+1) (or subnormal range).
  if (a >= 2 ** (e + 1)) q *= 2;
  const r = a / q;
  let k = Math.floor(r);
  const frac = r - k;
  if (frac > 0.5 || (frac === 0.5 && k % 2 === 1)) k += 1;
  const v = k * q;
  const s = x < 0 ? -1 : 1;
  // Overflow: values that round beyond the largest finite become Inf.
  if (v > maxFinite) return s * Infinity;
  return s * v;
}

const F16_MAX = 65504;
const BF16_MAX = bitsToF32(0x7f7f0000);

describe('DTYPE_BITS', () => {
  it('covers every dtype with the reference sizes', () => {
    expect(DTYPES.length).toBe(22);
    expect(DTYPE_BITS.BF16).toBe(16);
    expect(DTYPE_BITS.F4).toBe(4);
    expect(DTYPE_BITS.F6_E3M2).toBe(6);
    expect(DTYPE_BITS.C64).toBe(64);
    expect(isFloatDType('BF16')).toBe(true);
    expect(isFloatDType('F64')).toBe(false);
  });
  it('rejects sub-byte element counts that do not end on a byte', () => {
    expect(byteLengthOf('F4', 4)).toBe(2);
    expect(() => byteLengthOf('F4', 3)).toThrow(DTypeError);
    expect(byteLengthOf('F6_E2M3', 4)).toBe(3);
  });
});

describe('bf16', () => {
  it('rounds ties to even', () => {
    // 1 + 2^-8 is exactly between 1 and 1 + 2^-7: tie goes to the even mantissa (1).
    expect(bf16ToF32(f32ToBf16(1 + 2 ** -8))).toBe(1);
    // 1 + 3*2^-8 is between 1+2^-7 (odd) and 1+2^-6 (even): goes up.
    expect(bf16ToF32(f32ToBf16(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
    // Just above the tie rounds up.
    expect(bf16ToF32(f32ToBf16(1 + 2 ** -8 + 2 ** -20))).toBe(1 + 2 ** -7);
  });
  it('keeps NaN, Inf, signed zero and overflows to Inf', () => {
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
    // A NaN whose payload is only in the low 16 bits must not truncate to Inf.
    expect(Number.isNaN(bf16ToF32(f32BitsToBf16(0x7f800001)))).toBe(true);
    expect(Number.isNaN(bf16ToF32(f32BitsToBf16(0xff800001)))).toBe(true);
    expect(bf16ToF32(f32ToBf16(Infinity))).toBe(Infinity);
    expect(bf16ToF32(f32ToBf16(-Infinity))).toBe(-Infinity);
    expect(Object.is(bf16ToF32(f32ToBf16(-0)), -0)).toBe(true);
    expect(bf16ToF32(f32ToBf16(bitsToF32(0x7f7fffff)))).toBe(Infinity);
    expect(bf16ToF32(f32ToBf16(BF16_MAX))).toBe(BF16_MAX);
  });
  it('keeps f32 subnormals in bf16 subnormals', () => {
    const tiny = bitsToF32(0x00010000); // a bf16 subnormal
    expect(bf16ToF32(f32ToBf16(tiny))).toBe(tiny);
    expect(bf16ToF32(f32ToBf16(bitsToF32(0x00008000)))).toBe(0); // tie to even (0)
    expect(bf16ToF32(f32ToBf16(bitsToF32(0x00018000)))).toBe(bitsToF32(0x00020000)); // tie to even (up)
  });
  it('matches a reference RNE on random f32 values', () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const got = bf16ToF32(f32ToBf16(x));
      const want = refRound(x, 8, -126, BF16_MAX);
      expect(Object.is(got, want) || got === want).toBe(true);
    }), { numRuns: 3000 });
  });
  it('round-trips every bf16 pattern exactly', () => {
    for (let h = 0; h < 65536; h++) {
      const x = bf16ToF32(h);
      if (Number.isNaN(x)) continue;
      expect(f32ToBf16(x)).toBe(h);
    }
  });
});

describe('f16', () => {
  it('round-trips every f16 pattern exactly and decodes known values', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) {
        expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
        expect(Number.isNaN(f16ToF32(f32ToF16(x)))).toBe(true);
        continue;
      }
      expect(f32ToF16(x)).toBe(h);
    }
  });
  it('rounds ties to even, including at subnormals and at the overflow edge', () => {
    expect(f16ToF32(f32ToF16(1 + 2 ** -11))).toBe(1);
    expect(f16ToF32(f32ToF16(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(f16ToF32(f32ToF16(2 ** -25))).toBe(0); // half the smallest subnormal: tie to 0
    expect(f16ToF32(f32ToF16(2 ** -25 + 2 ** -40))).toBe(2 ** -24);
    expect(f16ToF32(f32ToF16(3 * 2 ** -25))).toBe(2 ** -23); // tie between 1 and 2 ulp: to 2
    expect(f16ToF32(f32ToF16(2 ** -26))).toBe(0);
    expect(f16ToF32(f32ToF16(-(2 ** -30)))).toBe(-0);
    expect(f16ToF32(f32ToF16(65519))).toBe(65504); // below the midpoint 65520
    expect(f16ToF32(f32ToF16(65520))).toBe(Infinity); // midpoint ties to even = Inf
    expect(f16ToF32(f32ToF16(1e6))).toBe(Infinity);
    expect(f16ToF32(f32ToF16(-1e30))).toBe(-Infinity);
    // Largest subnormal rounding up into the smallest normal.
    expect(f16ToF32(f32ToF16(1023.75 * 2 ** -24))).toBe(2 ** -14);
    expect(f32BitsToF16(0x7fc00000) & 0x7e00).toBe(0x7e00);
  });
  it('matches a reference RNE on random f32 values', () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const got = f16ToF32(f32ToF16(x));
      const want = refRound(x, 11, -14, F16_MAX);
      expect(Object.is(got, want) || got === want).toBe(true);
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.float({ min: -70000, max: 70000, noNaN: true }), (x) => {
      expect(f16ToF32(f32ToF16(x))).toBe(refRound(Math.fround(x), 11, -14, F16_MAX));
    }), { numRuns: 3000 });
  });
});

describe('array decode/encode', () => {
  const dtypes: FloatDType[] = ['F32', 'F16', 'BF16'];
  it.each(dtypes)('%s arrays agree with the scalar conversions, aligned and misaligned', (dtype) => {
    const values = new Float32Array(1001);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i) * 10 ** ((i % 11) - 5);
    values[0] = NaN; values[1] = Infinity; values[2] = -0; values[3] = 1e6;
    const bytes = encodeFromF32(dtype, values);
    const scalar = (x: number): number =>
      dtype === 'F32' ? x : dtype === 'BF16' ? bf16ToF32(f32ToBf16(x)) : f16ToF32(f32ToF16(x));
    const decoded = decodeToF32(dtype, bytes, values.length);
    for (let i = 0; i < values.length; i++) {
      expect(Object.is(decoded[i], scalar(values[i])) || decoded[i] === scalar(values[i])).toBe(true);
    }
    // The same bytes at an odd offset decode the same (misaligned input is copied, not mis-read).
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeToF32(dtype, shifted.subarray(1), values.length)).toEqual(decoded);
    expect(roundToDType(dtype, values.slice())).toEqual(decoded);
  });
  it('decodes the integer and 8-bit float dtypes for inspection', () => {
    const le = new Uint8Array([0xfe, 0xff, 0x02, 0x00]);
    expect([...decodeToF32('I16', le, 2)]).toEqual([-2, 2]);
    expect([...decodeToF32('U16', le, 2)]).toEqual([65534, 2]);
    expect([...decodeToF32('BOOL', new Uint8Array([0, 3]), 2)]).toEqual([0, 1]);
    const i64 = new Uint8Array(new BigInt64Array([-5n, 7n]).buffer);
    expect([...decodeToF32('I64', i64, 2)]).toEqual([-5, 7]);
    expect([...decodeToF32('F64', new Uint8Array(new Float64Array([0.5, -3]).buffer), 2)]).toEqual([0.5, -3]);
    expect([...decodeToF32('F8_E4M3', new Uint8Array([0x38, 0x7e, 0x01, 0xb8]), 4)]).toEqual([1, 448, 2 ** -9, -1]);
    expect(Number.isNaN(decodeToF32('F8_E4M3', new Uint8Array([0x7f]), 1)[0])).toBe(true);
    expect([...decodeToF32('F8_E5M2', new Uint8Array([0x3c, 0x7b]), 2)]).toEqual([1, 57344]);
    expect([...decodeToF32('F8_E8M0', new Uint8Array([127, 130]), 2)]).toEqual([1, 8]);
  });
  it('names errors for unsupported dtypes and short buffers', () => {
    expect(() => decodeToF32('F4', new Uint8Array(4), 8)).toThrow(DTypeError);
    expect(() => decodeToF32('F32', new Uint8Array(7), 2)).toThrow(/needs 8 bytes/);
    expect(() => encodeFromF32('F64' as FloatDType, new Float32Array(1))).toThrow(DTypeError);
  });
  it('keeps bits of f32 exactly', () => {
    const v = new Float32Array([bitsToF32(0x00000001), bitsToF32(0x7fc12345)]);
    const back = decodeToF32('F32', encodeFromF32('F32', v), 2);
    expect(f32ToBits(back[0])).toBe(1);
    expect(f32ToBits(back[1])).toBe(0x7fc12345);
  });
});
