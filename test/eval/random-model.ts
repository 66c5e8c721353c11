/** Random Llama models with the zoo's architecture at small dims, for tests that need no zoo. */
import type { LlamaConfig } from '../../src/eval/config';
import { expectedTensors } from '../../src/eval/config';

/** A deterministic xorshift stream of uniform [-1, 1) values (tests only). */
function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 31 - 1;
  };
}

export function smallConfig(over: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    hiddenSize: 32, intermediateSize: 48, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8,
    rmsNormEps: 1e-5, ropeTheta: 10000, vocabSize: 24, maxPositions: 32, tieWordEmbeddings: false,
    ...over,
  };
}

/** Weights with the std of an initialised model: norms near 1, matrices ~ 1/sqrt(fan_in). */
export function randomWeights(c: LlamaConfig, seed = 1): Map<string, Float32Array> {
  const rnd = uniform(seed);
  const m = new Map<string, Float32Array>();
  for (const { name, shape } of expectedTensors(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (shape.length === 1) for (let i = 0; i < n; i++) a[i] = 1 + 0.2 * rnd();
    else {
      const s = name.includes('embed') ? 1 : 1.7 / Math.sqrt(shape[1]);
      for (let i = 0; i < n; i++) a[i] = s * rnd();
    }
    m.set(name, a);
  }
  return m;
}
