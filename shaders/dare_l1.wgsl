//! include dtype
//! include rng
// DARE rescale statistics: per block of BLOCK elements and per model j, the partial sums
//   partials[(block * k + j) * 4 + 0, 1] = sum |d_j| as (hi, lo),  [.. + 2, 3] = sum over the kept elements,
// compensated (TwoSum) in the thread: the rescale factor scales every kept value, so its relative error
// shows up whole in the output; plain f32 block sums cost several ULP there.
// with d_j = x_j - base and the Bernoulli mask of gta.wgsl (kind 2; other kinds keep all).
// The CPU adds the blocks in order in float64 and forms the L1 ratio; barrier-free like gram.wgsl.
// Params is the same struct as gta.wgsl so one uniform serves both passes.

override WG: u32 = 256;
override BLOCK: u32 = 128;

struct Params {
  n: u32,
  start: u32,
  k: u32,
  out_dt: u32,
  base_off: u32,
  base_dt: u32,
  flags: u32,
  _pad0: u32,
  div: f32,
  lambda: f32,
  _pad1: f32,
  _pad2: f32,
  m: array<vec4<u32>, 48>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

fn acc_add(acc: vec2<f32>, x: f32) -> vec2<f32> {
  let t = two_sum(acc.x, x);
  return vec2<f32>(t.x, acc.y + t.y);
}

fn ld(off: u32, dt: u32, i: u32) -> f32 {
  return decode_word(xs[off + word_of(dt, i)], dt, i & 1u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let nblocks = (params.n + BLOCK - 1u) / BLOCK;
  for (var t = gid.x + gid.y * nwg.x * WG; t < nblocks; t = t + nwg.x * nwg.y * WG) {
    block(t);
  }
}

fn block(t: u32) {
  let i1 = min((t + 1u) * BLOCK, params.n);
  for (var j = 0u; j < params.k; j = j + 1u) {
    let a = params.m[3u * j];
    let thr = params.m[3u * j + 2u].z;
    var all = vec2<f32>(0.0, 0.0);
    var kept = vec2<f32>(0.0, 0.0);
    for (var i = t * BLOCK; i < i1; i = i + 1u) {
      // |x - base| exactly as hi + lo.
      var d = two_sum(ld(a.x, a.y, i), -ld(params.base_off, params.base_dt, i));
      if (d.x < 0.0) { d = -d; }
      all = acc_add(acc_add(all, d.x), d.y);
      if (a.z != 2u || (bits_at(a.w, params.start + i) >> 8u) < thr) { kept = acc_add(acc_add(kept, d.x), d.y); }
    }
    let o = (t * params.k + j) * 4u;
    partials[o] = all.x;
    partials[o + 1u] = all.y;
    partials[o + 2u] = kept.x;
    partials[o + 3u] = kept.y;
  }
}
