/**
 * Counter-based random numbers: a pure function of (seed, stream, index), identical bit for bit in
 * TypeScript and WGSL (only u32 xor, shift and wrapping multiply). DARE masks come from here, so a
 * seed gives the same mask on the CPU and the GPU, for any chunking and any order of evaluation.
 *
 * Mixer: "lowbias32" (Chris Wellons' hash-prospector), a bijection on u32 with low bias.
 * The WGSL twin is shaders/rng.wgsl; keep the two in step.
 */

export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x;
}

/** FNV-1a over the UTF-8 bytes of a string: stable ids for tensor names. */
export function fnv1a32(s: string): number {
  const bytes = new TextEncoder().encode(s);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * Key of one random stream: a seed (up to 2^53) and a stream id (e.g. tensor name hash and model index).
 * Returned as a u32 that `uniformAt(key, i)` mixes with the element index.
 */
export function streamKey(seed: number, tensorName: string, modelIndex: number): number {
  const lo = (seed % 0x100000000) >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  let k = lowbias32(lo ^ 0x9e3779b9);
  k = lowbias32(k ^ hi);
  k = lowbias32(k ^ fnv1a32(tensorName));
  k = lowbias32((k + Math.imul(modelIndex + 1, 0x9e3779b9)) >>> 0);
  return k;
}

/** The u32 at element index i (i < 2^32) of the stream. */
export function bitsAt(key: number, i: number): number {
  return lowbias32((lowbias32((i ^ key) >>> 0) + key) >>> 0);
}

/** A uniform in [0, 1) with 24 bits, exactly representable in f32: (bits >>> 8) * 2^-24. */
export function uniformAt(key: number, i: number): number {
  return (bitsAt(key, i) >>> 8) * (1 / 16777216);
}

/**
 * Bernoulli keep decision for DARE: keep when u < density. Compared in integers so the GPU agrees:
 * keep iff (bits >>> 8) < threshold24(density).
 */
export function threshold24(density: number): number {
  if (!(density >= 0 && density <= 1)) throw new RangeError(`density must be in [0, 1], got ${density}`);
  return Math.round(density * 16777216);
}

/** A small seeded sequential PRNG (mulberry32) for the evolution loop and tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
