//! include dtype
// One pass of a radix select over the 64-bit key (bits(|d|), ~flat index), descending, which is the
// order "rank by |d| descending, ties by lower flat index" (|d| >= 0, so its f32 bits sort as u32).
// For each query q (a model and a boundary being searched), elements whose key matches the prefix
// found so far add 1 to hist[q * 256 + digit], digit = 8 bits of the key at `shift`. Phase 0 walks
// the value bits (4 passes); phase 1 the index bits, only among elements equal to the boundary value
// (needed only when equal values straddle the boundary). Counts are integers: order-independent and
// deterministic. Adds go straight to global atomics: a workgroup-histogram stage needs two
// workgroupBarriers, which made SwiftShader over 100x slower (measured); on real GPUs the passes are
// few and short next to the reads.

override WG: u32 = 256;

struct Params {
  n: u32,
  start: u32,
  nq: u32,
  has_base: u32,
  base_off: u32,
  base_dt: u32,
  _pad0: u32,
  _pad1: u32,
  offs: array<vec4<u32>, 4>,   // word offset of model k in xs
  dts: array<vec4<u32>, 4>,    // dtype code of model k
  // query q: q[2q] = (model, phase, shift, 0); q[2q+1] = (val_prefix, val_mask, ik_prefix, ik_mask)
  q: array<vec4<u32>, 64>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xs: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;

fn ld(off: u32, dt: u32, i: u32) -> f32 {
  return decode_word(xs[off + word_of(dt, i)], dt, i & 1u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < params.n; i = i + stride) {
    var b = 0.0;
    if (params.has_base != 0u) { b = ld(params.base_off, params.base_dt, i); }
    let ik = 0xffffffffu - (params.start + i);
    for (var q = 0u; q < params.nq; q = q + 1u) {
      let a = params.q[2u * q];
      let p = params.q[2u * q + 1u];
      let m = a.x;
      let u = bitcast<u32>(abs(ld(params.offs[m / 4u][m % 4u], params.dts[m / 4u][m % 4u], i) - b));
      if ((u & p.y) == p.x && (ik & p.w) == p.z) {
        let key = select(ik, u, a.y == 0u);
        atomicAdd(&hist[q * 256u + ((key >> a.z) & 255u)], 1u);
      }
    }
  }
}
