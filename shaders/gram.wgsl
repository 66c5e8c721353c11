//! include dtype
// Gram / moments reduction. For K inputs and an optional base, d_k = x_k - base (or x_k), each
// thread sums one fixed block of BLOCK elements and writes its partials
//   [S_0 .. S_{K-1}, G_00, G_01, .., G_0(K-1), G_11, .., G_(K-1)(K-1)]     (S_k = sum d_k, G_ab = sum d_a d_b)
// at partials[block * (K + K(K+1)/2)]. The CPU adds the blocks in order in float64, so the result is
// deterministic and f32 error stays that of a BLOCK-long sum. No barriers: per-thread partials are
// much faster than workgroup trees on SwiftShader, and on real GPUs the reads dominate anyway.
// Serves SLERP (K = 2, no base: S_a, S_b, aa, ab, bb) and the K x K kinship Gram in one read.

override WG: u32 = 256;
override K: u32 = 2;         // inputs, 1..16 (a pipeline per K: the loops unroll)
override BLOCK: u32 = 128;   // elements per partial

const MAXK: u32 = 16u;
const MAXG: u32 = 136u;      // MAXK (MAXK + 1) / 2

struct Params {
  n: u32,                    // elements in this chunk
  has_base: u32,
  base_off: u32,             // word offset of the base segment in xs
  base_dt: u32,
  offs: array<vec4<u32>, 4>, // word offset of input k at offs[k / 4][k % 4]
  dts: array<vec4<u32>, 4>,  // dtype code of input k
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

fn ld(off: u32, dt: u32, i: u32) -> f32 {
  return decode_word(xs[off + word_of(dt, i)], dt, i & 1u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nblocks = (params.n + BLOCK - 1u) / BLOCK;
  // Grid-stride over blocks: the dispatch size is the adapter's sweet spot, not the tensor's.
  for (var t = gid.x + gid.y * nwg.x * WG; t < nblocks; t = t + nwg.x * nwg.y * WG) {
    block(t);
  }
}

fn block(t: u32) {
  var s: array<f32, MAXK>;
  var g: array<f32, MAXG>;
  var d: array<f32, MAXK>;
  let i1 = min((t + 1u) * BLOCK, params.n);
  for (var i = t * BLOCK; i < i1; i = i + 1u) {
    var b = 0.0;
    if (params.has_base != 0u) { b = ld(params.base_off, params.base_dt, i); }
    for (var k = 0u; k < K; k = k + 1u) {
      d[k] = ld(params.offs[k / 4u][k % 4u], params.dts[k / 4u][k % 4u], i) - b;
      s[k] = s[k] + d[k];
    }
    var p = 0u;
    for (var a = 0u; a < K; a = a + 1u) {
      for (var c = a; c < K; c = c + 1u) {
        g[p] = g[p] + d[a] * d[c];
        p = p + 1u;
      }
    }
  }
  let ng = K * (K + 1u) / 2u;
  let o = t * (K + ng);
  for (var k = 0u; k < K; k = k + 1u) { partials[o + k] = s[k]; }
  for (var p = 0u; p < ng; p = p + 1u) { partials[o + K + p] = g[p]; }
}
