/**
 * Element types of safetensors files: sizes, and conversion to and from f32.
 *
 * F32, F16 and BF16 are what merges read and write; they round-trip through f32 with
 * round-to-nearest-even (RNE), NaN kept NaN (quieted, sign kept), overflow to ±Inf, subnormals exact.
 * The other dtypes decode to f32 for inspection only.
 *
 * Hot path: decode/encode go through typed-array views (no per-element DataView). Typed arrays use the
 * platform byte order; safetensors is little-endian, so a big-endian host byte-swaps a copy first.
 * A view needs an aligned byteOffset; misaligned input (other writers' files, sliced reads) is copied.
 */
import type { DType, FloatDType } from './types';
import { KinmergeError } from './errors';

/** A dtype that this build cannot convert, or a buffer too short for the elements asked for. */
export class DTypeError extends KinmergeError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'DTypeError';
  }
}

/** Bits per element, from the safetensors reference (`Dtype::bitsize`). */
export const DTYPE_BITS: Readonly<Record<DType, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  C64: 64, F64: 64, I64: 64, U64: 64,
};

export const DTYPES = Object.keys(DTYPE_BITS) as DType[];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BITS, s);
}

export function isFloatDType(d: DType | string): d is FloatDType {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Whether `decodeToF32` can convert this dtype (packed sub-byte floats and complex cannot). */
export function isDecodable(d: DType): boolean {
  return d !== 'F4' && d !== 'F6_E2M3' && d !== 'F6_E3M2' && d !== 'C64';
}

/** Bytes of `nElems` elements; throws when a sub-byte dtype does not end on a byte boundary. */
export function byteLengthOf(dtype: DType, nElems: number): number {
  const bits = DTYPE_BITS[dtype] * nElems;
  if (bits % 8 !== 0) {
    throw new DTypeError('dtype-misaligned', `${nElems} elements of ${dtype} are ${bits} bits, not a whole number of bytes.`);
  }
  return bits / 8;
}

// ---------------------------------------------------------------------------------------------
// Scalar conversions (bit patterns as plain numbers). Shared by the array paths and by tests.

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function f32ToBits(x: number): number {
  f32buf[0] = x;
  return u32buf[0];
}

export function bitsToF32(bits: number): number {
  u32buf[0] = bits >>> 0;
  return f32buf[0];
}

/** f32 bit pattern -> bf16 bit pattern, RNE. NaN stays NaN (quiet bit set so truncation cannot make Inf). */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff;
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into the exponent is correct
  // (it gives the next binade, or Inf from the largest finite values).
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/** f32 bit pattern -> f16 bit pattern, RNE, overflow to Inf, f16 subnormals exact. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x38800000 && a < 0x477ff000) {
    // Fast path, f16 normal range [2^-14, 65520): rebias the exponent (127 -> 15) and round the 13
    // dropped bits to nearest even; a carry into the exponent is the correct result.
    const r = a - 0x38000000;
    return sign | ((r + 0xfff + ((r >>> 13) & 1)) >>> 13);
  }
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  if (exp > 142) return sign | 0x7c00; // >= 2^16: beyond f16's largest finite 65504 even after rounding
  if (exp >= 113) {
    // Normal f16 (unbiased exponent -14..15). Mantissa keeps 10 of 23 bits.
    let h = sign | ((exp - 112) << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // carry may reach Inf: correct
    return h;
  }
  // f16 subnormal or zero: value = m * 2^-24 with m = full * 2^(exp-126).
  const shift = 126 - exp;
  if (shift > 24) return sign; // below half the smallest subnormal (f32 subnormals included)
  const full = mant | 0x800000;
  let m = full >>> shift;
  const rem = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (m & 1) !== 0)) m++; // m may become 0x400: the smallest normal
  return sign | m;
}

export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalise into an f32 normal.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

export const f32ToBf16 = (x: number): number => f32BitsToBf16(f32ToBits(x));
export const bf16ToF32 = (h: number): number => bitsToF32(bf16BitsToF32Bits(h));
export const f32ToF16 = (x: number): number => f32BitsToF16(f32ToBits(x));
export const f16ToF32 = (h: number): number => bitsToF32(f16BitsToF32Bits(h));

// ---------------------------------------------------------------------------------------------
// Array conversions.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Float32Array | undefined;
/** All 65536 f16 values as f32 (256 KiB, built once): decoding is then one indexed load. */
function f16ToF32Table(): Float32Array {
  if (!f16Table) {
    const t = new Float32Array(65536);
    const u = new Uint32Array(t.buffer);
    for (let h = 0; h < 65536; h++) u[h] = f16BitsToF32Bits(h);
    f16Table = t;
  }
  return f16Table;
}

/** 8-bit float formats as (exponent bits, bias, kind) for the small decode tables. */
function f8Table(dtype: DType): Float32Array {
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) t[b] = decodeF8(dtype, b);
  return t;
}

function decodeF8(dtype: DType, b: number): number {
  const neg = (b & 0x80) !== 0;
  if (dtype === 'F8_E8M0') return b === 0xff ? NaN : 2 ** (b - 127);
  if (dtype === 'F8_E5M2') return f16ToF32(b << 8); // the top byte of an f16
  const fnuz = dtype === 'F8_E4M3FNUZ' || dtype === 'F8_E5M2FNUZ';
  if (fnuz && b === 0x80) return NaN; // FNUZ: no negative zero, 0x80 is the one NaN
  const e4 = dtype === 'F8_E4M3' || dtype === 'F8_E4M3FNUZ';
  const mBits = e4 ? 3 : 2;
  const eMask = e4 ? 0xf : 0x1f;
  const bias = dtype === 'F8_E4M3' ? 7 : dtype === 'F8_E4M3FNUZ' ? 8 : 16;
  const exp = (b >>> mBits) & eMask;
  const mant = b & ((1 << mBits) - 1);
  if (dtype === 'F8_E4M3' && (b & 0x7f) === 0x7f) return NaN; // E4M3FN: no Inf, S.1111.111 is NaN
  const v = exp === 0 ? mant * 2 ** (1 - bias - mBits) : (1 + mant / (1 << mBits)) * 2 ** (exp - bias);
  return neg ? -v : v;
}

const f8Tables = new Map<DType, Float32Array>();

function swapCopy(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k];
  }
  return out;
}

/** The first `byteLength` bytes as a buffer whose offset suits a view of `width`-byte elements, in host order. */
function viewable(bytes: Uint8Array, byteLength: number, width: number): { buffer: ArrayBufferLike; offset: number } {
  if (width > 1 && !LITTLE_ENDIAN) {
    const c = swapCopy(bytes.subarray(0, byteLength), width);
    return { buffer: c.buffer, offset: 0 };
  }
  if (bytes.byteOffset % width === 0) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  return { buffer: bytes.slice(0, byteLength).buffer, offset: 0 };
}

/** The merge dtypes from misaligned bytes without an intermediate copy (little-endian hosts). */
function decodeMisaligned(dtype: DType, bytes: Uint8Array, nElems: number, out: Float32Array): boolean {
  if (dtype === 'F32') {
    new Uint8Array(out.buffer, out.byteOffset, nElems * 4).set(bytes.subarray(0, nElems * 4));
  } else if (dtype === 'BF16') {
    const o = new Uint32Array(out.buffer, out.byteOffset, nElems);
    for (let i = 0, j = 0; i < nElems; i++, j += 2) o[i] = (bytes[j] << 16) | (bytes[j + 1] << 24);
  } else if (dtype === 'F16') {
    const t = f16ToF32Table();
    for (let i = 0, j = 0; i < nElems; i++, j += 2) out[i] = t[bytes[j] | (bytes[j + 1] << 8)];
  } else {
    return false;
  }
  return true;
}

/**
 * Decode `nElems` little-endian elements of `dtype` from the start of `bytes` into `out` (f32).
 * Integers beyond 2^24 and F64 values round to the nearest f32 (inspection only).
 */
export function decodeInto(dtype: DType, bytes: Uint8Array, nElems: number, out: Float32Array): Float32Array {
  if (!isDecodable(dtype)) {
    throw new DTypeError('dtype-unsupported', `Cannot decode ${dtype} to f32 (packed sub-byte and complex dtypes are inspect-only).`);
  }
  const width = DTYPE_BITS[dtype] / 8;
  const byteLength = nElems * width;
  if (bytes.length < byteLength) {
    throw new DTypeError('dtype-short-buffer', `Decoding ${nElems} ${dtype} elements needs ${byteLength} bytes, got ${bytes.length}.`);
  }
  if (out.length < nElems) {
    throw new DTypeError('dtype-short-buffer', `Output holds ${out.length} elements, ${nElems} needed.`);
  }
  if (nElems === 0) return out;
  if (LITTLE_ENDIAN && bytes.byteOffset % width !== 0 && decodeMisaligned(dtype, bytes, nElems, out)) return out;
  const { buffer, offset } = viewable(bytes, byteLength, width);
  switch (dtype) {
    case 'F32':
      out.set(new Float32Array(buffer, offset, nElems));
      break;
    case 'BF16': {
      const src = new Uint16Array(buffer, offset, nElems);
      const o = new Uint32Array(out.buffer, out.byteOffset, nElems);
      for (let i = 0; i < nElems; i++) o[i] = src[i] << 16;
      break;
    }
    case 'F16': {
      const src = new Uint16Array(buffer, offset, nElems);
      const t = f16ToF32Table();
      for (let i = 0; i < nElems; i++) out[i] = t[src[i]];
      break;
    }
    case 'F64': out.set(new Float64Array(buffer, offset, nElems)); break;
    case 'U8': out.set(new Uint8Array(buffer, offset, nElems)); break;
    case 'I8': out.set(new Int8Array(buffer, offset, nElems)); break;
    case 'U16': out.set(new Uint16Array(buffer, offset, nElems)); break;
    case 'I16': out.set(new Int16Array(buffer, offset, nElems)); break;
    case 'U32': out.set(new Uint32Array(buffer, offset, nElems)); break;
    case 'I32': out.set(new Int32Array(buffer, offset, nElems)); break;
    case 'I64': {
      const src = new BigInt64Array(buffer, offset, nElems);
      for (let i = 0; i < nElems; i++) out[i] = Number(src[i]);
      break;
    }
    case 'U64': {
      const src = new BigUint64Array(buffer, offset, nElems);
      for (let i = 0; i < nElems; i++) out[i] = Number(src[i]);
      break;
    }
    case 'BOOL': {
      const src = new Uint8Array(buffer, offset, nElems);
      for (let i = 0; i < nElems; i++) out[i] = src[i] !== 0 ? 1 : 0;
      break;
    }
    default: {
      // The 8-bit float formats: one table lookup each.
      let t = f8Tables.get(dtype);
      if (!t) f8Tables.set(dtype, (t = f8Table(dtype)));
      const src = new Uint8Array(buffer, offset, nElems);
      for (let i = 0; i < nElems; i++) out[i] = t[src[i]];
    }
  }
  return out;
}

export function decodeToF32(dtype: DType, bytes: Uint8Array, nElems: number): Float32Array {
  return decodeInto(dtype, bytes, nElems, new Float32Array(nElems));
}

/** Encode f32 values as little-endian `dtype` bytes (RNE) into `out` (at least values.length * width bytes). */
export function encodeInto(dtype: FloatDType, values: Float32Array, out: Uint8Array): Uint8Array {
  if (!isFloatDType(dtype)) {
    throw new DTypeError('dtype-unsupported', `Cannot write ${String(dtype)}: merges write F32, F16 or BF16.`);
  }
  const n = values.length;
  const width = dtype === 'F32' ? 4 : 2;
  if (out.length < n * width) {
    throw new DTypeError('dtype-short-buffer', `Encoding ${n} ${dtype} elements needs ${n * width} bytes, got ${out.length}.`);
  }
  const direct = LITTLE_ENDIAN && out.byteOffset % width === 0;
  const target = direct ? out : new Uint8Array(n * width);
  const src = new Uint32Array(values.buffer, values.byteOffset, n);
  if (dtype === 'F32') {
    new Uint32Array(target.buffer, target.byteOffset, n).set(src);
  } else {
    const o = new Uint16Array(target.buffer, target.byteOffset, n);
    if (dtype === 'BF16') {
      for (let i = 0; i < n; i++) {
        const x = src[i];
        o[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x0040 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      }
    } else {
      for (let i = 0; i < n; i++) o[i] = f32BitsToF16(src[i]);
    }
  }
  if (!direct) out.set(LITTLE_ENDIAN ? target : swapCopy(target, width));
  return out;
}

export function encodeFromF32(dtype: FloatDType, values: Float32Array): Uint8Array {
  const width = dtype === 'F32' ? 4 : 2;
  return encodeInto(dtype, values, new Uint8Array(values.length * width));
}

/** Round f32 values to what `dtype` can hold (in place), e.g. to compare against a stored result. */
export function roundToDType(dtype: FloatDType, values: Float32Array): Float32Array {
  if (dtype === 'F32') return values;
  return decodeInto(dtype, encodeFromF32(dtype, values), values.length, values);
}
