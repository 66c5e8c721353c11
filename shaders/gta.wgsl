//! include dtype
//! include rng
// Generalised task arithmetic in one elementwise pass (task_arithmetic, TIES, DARE, breadcrumbs):
//   d_j = x_j - base; keep_j from the sparsifier; W_j = w_j * scale_j * d_j where kept, else 0;
//   with consensus: elected sign = sign(sum_j W_j) (>= 0 is +), mixed = sum of the W_j that carry the
//   elected sign (zeros never), divisor = sum of their w_j (0 -> 1); without: mixed = sum_j W_j and the
//   divisor is the CPU's; out = base + lambda * mixed (/ divisor when normalize).
// Sparsifiers: magnitude keeps ranks [lo, hi) of |d| descending with ties by lower flat index, given
// as two "top-m" boundaries (v, ikCut) found by radix_hist: e is in the top m iff
// bits(|d_e|) > v or (bits(|d_e|) == v and ~index_e >= ikCut). Bernoulli (DARE) keeps e iff
// (bits_at(key, index_e) >> 8) < thr24: the same counter-based stream as src/core/rng.ts.

override WG: u32 = 256;
const MAXK: u32 = 16u;

struct Params {
  n: u32,                    // elements in this chunk
  start: u32,                // flat index of the chunk's first element (RNG counter and tie order)
  k: u32,                    // models, 1..16
  out_dt: u32,
  base_off: u32,
  base_dt: u32,
  flags: u32,                // bit 0: sign consensus, bit 1: normalize
  _pad0: u32,
  div: f32,                  // divisor without consensus (already |div| < 1e-8 -> 1)
  lambda: f32,
  _pad1: f32,
  _pad2: f32,
  // model j: m[3j] = (word offset, dtype, sparsify kind 0 none / 1 magnitude / 2 bernoulli, rng key)
  //          m[3j+1] = (v_hi, ik_hi, v_lo, ik_lo) magnitude boundaries
  //          m[3j+2] = (bits(weight), bits(weight * scale), thr24, 0)  scale = DARE L1 rescale factor or 1
  m: array<vec4<u32>, 48>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn ld(off: u32, dt: u32, i: u32) -> f32 {
  return decode_word(xs[off + word_of(dt, i)], dt, i & 1u);
}

fn in_top(u: u32, ik: u32, v: u32, ik_cut: u32) -> bool {
  return u > v || (u == v && ik >= ik_cut);
}

// Error-free a + b = s + e (Knuth's TwoSum): the pass keeps d = x - base and the sums in two floats,
// so the result is within about 1 f32 rounding of the CPU's float64 arithmetic instead of several.
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

fn acc_add(acc: vec2<f32>, x: vec2<f32>) -> vec2<f32> {
  let t = two_sum(acc.x, x.x);
  return two_sum(t.x, t.y + acc.y + x.y);
}

fn value(i: u32) -> f32 {
  let b = ld(params.base_off, params.base_dt, i);
  let gi = params.start + i;
  let ik = 0xffffffffu - gi;
  var W: array<vec2<f32>, MAXK>;
  var sum = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < params.k; j = j + 1u) {
    let a = params.m[3u * j];
    let r = params.m[3u * j + 1u];
    let c = params.m[3u * j + 2u];
    let d = two_sum(ld(a.x, a.y, i), -b);
    var keep = true;
    if (a.z == 1u) {
      let u = bitcast<u32>(abs(d.x));
      keep = in_top(u, ik, r.x, r.y) && !in_top(u, ik, r.z, r.w);
    } else if (a.z == 2u) {
      keep = (bits_at(a.w, gi) >> 8u) < c.z;
    }
    var wd = vec2<f32>(0.0, 0.0);
    if (keep) {
      // coef = weight * DARE scale, formed in f64 on the CPU (one rounding).
      let coef = bitcast<f32>(c.y);
      wd = two_sum(coef * d.x, coef * d.y);
    }
    W[j] = wd;
    sum = acc_add(sum, wd);
  }
  var mixed = sum;
  var div = params.div;
  if ((params.flags & 1u) != 0u) {
    let pos = (sum.x + sum.y) >= 0.0;
    mixed = vec2<f32>(0.0, 0.0);
    div = 0.0;
    for (var j = 0u; j < params.k; j = j + 1u) {
      if (W[j].x != 0.0 && (W[j].x > 0.0) == pos) {
        mixed = acc_add(mixed, W[j]);
        div = div + bitcast<f32>(params.m[3u * j + 2u].x);
      }
    }
    if (div == 0.0) { div = 1.0; }
  }
  var f = params.lambda;
  if ((params.flags & 2u) != 0u) { f = params.lambda / div; }
  let o = two_sum(b, mixed.x * f);
  return o.x + (o.y + mixed.y * f);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let npairs = (params.n + 1u) / 2u;
  let stride = nwg.x * WG;
  for (var p = gid.x; p < npairs; p = p + stride) {
    let e0 = 2u * p;
    let e1 = e0 + 1u;
    let v0 = value(e0);
    var v1 = 0.0;
    if (e1 < params.n) { v1 = value(e1); }
    if (params.out_dt == DT_F32) {
      out[e0] = bitcast<u32>(v0);
      if (e1 < params.n) { out[e1] = bitcast<u32>(v1); }
    } else {
      var hi = 0u;
      if (e1 < params.n) { hi = encode16(v1, params.out_dt); }
      out[p] = encode16(v0, params.out_dt) | (hi << 16u);
    }
  }
}
