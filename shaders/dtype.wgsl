// Library (not a kernel): float dtype decode/encode, included by kernels with `//! include dtype`.
// Dtype codes match src/gpu/dtype-codes.ts: 0 = F32, 1 = F16, 2 = BF16.
// Inputs are array<u32>: F32 is one element per word; F16/BF16 pack two, element 2w in the low half.
// shader-f16 is never required: F16 reads go through unpack2x16float, writes through integer RNE.

const DT_F32: u32 = 0u;
const DT_F16: u32 = 1u;
const DT_BF16: u32 = 2u;

// Word index of element i inside a segment of dtype dt.
fn word_of(dt: u32, i: u32) -> u32 {
  return select(i >> 1u, i, dt == DT_F32);
}

// Element `half` (0 = low, 1 = high; ignored for F32) of word w, as f32. Exact for all three dtypes.
fn decode_word(w: u32, dt: u32, half: u32) -> f32 {
  if (dt == DT_F32) { return bitcast<f32>(w); }
  let h = select(w & 0xffffu, w >> 16u, half == 1u);
  if (dt == DT_BF16) { return bitcast<f32>(h << 16u); }
  return unpack2x16float(h).x;
}

// f32 -> bf16 bits, round to nearest even; NaN stays a quiet NaN (same rule as src/core/dtype.ts).
fn f32_to_bf16(x: f32) -> u32 {
  let u = bitcast<u32>(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) { return (u >> 16u) | 0x40u; }
  return (u + 0x7fffu + ((u >> 16u) & 1u)) >> 16u;
}

// f32 -> f16 bits, round to nearest even, in integers: WGSL leaves the rounding of pack2x16float
// to the implementation, and the CPU reference rounds to nearest even.
fn f32_to_f16(x: f32) -> u32 {
  let u = bitcast<u32>(x);
  let sign = (u >> 16u) & 0x8000u;
  let a = u & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }            // NaN
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }           // >= 65520 rounds to infinity
  if (a < 0x38800000u) {                                     // below 2^-14: f16 subnormal or zero
    if (a <= 0x33000000u) { return sign; }                   // <= 2^-25 ties to even zero
    let e = a >> 23u;
    let m = (a & 0x7fffffu) | 0x800000u;
    let s = 126u - e;                                        // 14..24
    var r = m >> s;
    let rem = m & ((1u << s) - 1u);
    let half = 1u << (s - 1u);
    if (rem > half || (rem == half && (r & 1u) == 1u)) { r = r + 1u; }
    return sign | r;
  }
  let r = a - 0x38000000u;                                   // rebias the exponent 127 -> 15
  return sign | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u);
}

// Encode one element of dtype dt (F16/BF16 only) into its 16 bits.
fn encode16(x: f32, dt: u32) -> u32 {
  if (dt == DT_BF16) { return f32_to_bf16(x); }
  return f32_to_f16(x);
}
