//! include dtype
// out = sum_k c_k x_k over K inputs (in k order, f32), written as F32, F16 or BF16 (RNE).
// Serves linear (c = weights, normalised on the CPU) and SLERP (c = s0, s1 from the CPU's f64 angle:
// WGSL acos/sin are not accurate enough on every adapter). Each thread writes whole output words:
// element pairs (2p, 2p+1), so 16-bit outputs never race on a shared word. Grid-stride loop.

override WG: u32 = 256;

struct Params {
  n: u32,                    // elements in this chunk
  k: u32,                    // inputs, 1..16
  out_dt: u32,
  _pad: u32,
  offs: array<vec4<u32>, 4>, // word offset of input k in xs
  dts: array<vec4<u32>, 4>,  // dtype code of input k
  c: array<vec4<f32>, 4>,    // coefficient of input k
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn term(k: u32, i: u32) -> f32 {
  let dt = params.dts[k / 4u][k % 4u];
  let x = decode_word(xs[params.offs[k / 4u][k % 4u] + word_of(dt, i)], dt, i & 1u);
  return params.c[k / 4u][k % 4u] * x;
}

// Starts from the first term (not 0.0) so a copy keeps -0.
fn value(i: u32) -> f32 {
  var acc = term(0u, i);
  for (var k = 1u; k < params.k; k = k + 1u) {
    acc = acc + term(k, i);
  }
  return acc;
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
