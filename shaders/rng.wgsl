// Library (not a kernel): the WGSL twin of src/core/rng.ts `lowbias32` and `bitsAt`.
// Only u32 xor, shift and wrapping multiply, so both give the same bits. Keep the two in step.

fn lowbias32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}

// The u32 at element index i of the stream with this key (src/core/rng.ts bitsAt).
fn bits_at(key: u32, i: u32) -> u32 {
  return lowbias32(lowbias32(i ^ key) + key);
}
