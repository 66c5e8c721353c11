/**
 * Elementwise CPU kernels. Top-level functions taking every value as a parameter, so V8 optimises
 * them once (monomorphic typed arrays, no context loads in the loop). Math is f64, one rounding on store.
 *
 * Loops run over blocks of BLOCK elements: a short function that returns often is replaced by its
 * optimised code on the next call, whereas one long loop over millions of elements waits for on-stack
 * replacement, which on a busy machine can take most of the first call. `warmUpKernels` runs them
 * on scratch data once so the compiler has them ready before real data arrives.
 */
import type { PairMoments } from './slerp';

const BLOCK = 32768;

function combine2Block(o: Float32Array, a: Float32Array, b: Float32Array, from: number, to: number, s0: number, s1: number): void {
  for (let j = from; j < to; j++) o[j] = s0 * a[j] + s1 * b[j];
}

/** o[j] = s0·a[j] + s1·b[j] */
export function combine2(o: Float32Array, a: Float32Array, b: Float32Array, n: number, s0: number, s1: number): void {
  for (let s = 0; s < n; s += BLOCK) combine2Block(o, a, b, s, Math.min(n, s + BLOCK), s0, s1);
}

/** o[j] = Σ c_k·x_k[j] (f64 sum, one rounding) */
export function combineN(o: Float32Array, xs: Float32Array[], n: number, c: number[]): void {
  if (xs.length === 1) { const x = xs[0], c0 = c[0]; for (let j = 0; j < n; j++) o[j] = c0 * x[j]; return; }
  if (xs.length === 2) { combine2(o, xs[0], xs[1], n, c[0], c[1]); return; }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += c[k] * xs[k][j];
    o[j] = s;
  }
}

function momentsBlock(a: Float32Array, b: Float32Array, from: number, to: number, m: PairMoments): void {
  let aa = 0, bb = 0, ab = 0;
  for (let j = from; j < to; j++) {
    const x = a[j], y = b[j];
    aa += x * x; bb += y * y; ab += x * y;
  }
  m.aa += aa; m.bb += bb; m.ab += ab;
}

/** Σa², Σb², Σab over n elements, in f64 (per-block partial sums), added to m. */
export function pairMoments(a: Float32Array, b: Float32Array, n: number, m: PairMoments): void {
  for (let s = 0; s < n; s += BLOCK) momentsBlock(a, b, s, Math.min(n, s + BLOCK), m);
}

let warmed = false;
/** Runs the hot kernels on scratch data (about 2M element-operations, a few ms once optimised). */
export function warmUpKernels(): void {
  if (warmed) return;
  warmed = true;
  const a = new Float32Array(BLOCK).fill(0.5), b = new Float32Array(BLOCK).fill(0.25), o = new Float32Array(BLOCK);
  const m = { aa: 0, bb: 0, ab: 0 };
  for (let i = 0; i < 32; i++) {
    pairMoments(a, b, BLOCK, m);
    combine2(o, a, b, BLOCK, 0.5, 0.5);
  }
}
