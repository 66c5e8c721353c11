/**
 * An independent Llama forward pass on the CPU, in f64 throughout (weights are f32 values widened).
 * It shares nothing with the ONNX graph builder but the config type: its own RoPE angles (f64), its own
 * GQA indexing, its own loops. Tests hold ORT's logits to it within 1e-4. It is a reference, not a fast
 * path: one sequence at a time, O(params * seq) work.
 */
import type { LlamaConfig } from './config';

export type Weights = ReadonlyMap<string, Float32Array>;

function w(ws: Weights, name: string): Float32Array {
  const t = ws.get(name);
  if (!t) throw new Error(`forward-cpu: weight ${name} missing`);
  return t;
}

/** y[r, o] = sum_i x[r, i] * W[o, i]   (W in HF [out, in] layout) */
function linear(x: Float64Array, rows: number, inDim: number, W: Float32Array, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const xo = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = 0;
      for (let i = 0; i < inDim; i++) s += x[xo + i] * W[wo + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, rows: number, d: number, weight: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[r * d + i] * x[r * d + i];
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i] * inv * weight[i];
  }
  return y;
}

/** In place on x [T, nHeads*hd]: pairs (j, j + hd/2) rotated by pos * theta^(-2j/hd). */
function applyRope(x: Float64Array, T: number, nHeads: number, hd: number, theta: number): void {
  const half = hd / 2;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < half; j++) {
      const ang = t * Math.pow(theta, (-2 * j) / hd);
      const c = Math.cos(ang), s = Math.sin(ang);
      for (let h = 0; h < nHeads; h++) {
        const o = t * nHeads * hd + h * hd;
        const a = x[o + j], b = x[o + j + half];
        x[o + j] = a * c - b * s;
        x[o + j + half] = b * c + a * s;
      }
    }
  }
}

/** Logits [T, vocab] (row-major) of one token sequence. */
export function forwardCpu(c: LlamaConfig, ws: Weights, ids: ArrayLike<number>): Float64Array {
  const T = ids.length, d = c.hiddenSize, hd = c.headDim, H = c.numHeads, KV = c.numKvHeads, F = c.intermediateSize;
  const emb = w(ws, 'model.embed_tokens.weight');
  let x: Float64Array = new Float64Array(T * d);
  for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) x[t * d + i] = emb[ids[t] * d + i];

  const group = H / KV;
  const scale = 1 / Math.sqrt(hd);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const h = rmsNorm(x, T, d, w(ws, `${p}input_layernorm.weight`), c.rmsNormEps);
    const q = linear(h, T, d, w(ws, `${p}self_attn.q_proj.weight`), H * hd);
    const k = linear(h, T, d, w(ws, `${p}self_attn.k_proj.weight`), KV * hd);
    const v = linear(h, T, d, w(ws, `${p}self_attn.v_proj.weight`), KV * hd);
    applyRope(q, T, H, hd, c.ropeTheta);
    applyRope(k, T, KV, hd, c.ropeTheta);
    const att = new Float64Array(T * H * hd);
    const sc = new Float64Array(T);
    for (let head = 0; head < H; head++) {
      const kvh = Math.floor(head / group);
      for (let t = 0; t < T; t++) {
        let mx = -Infinity;
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let j = 0; j < hd; j++) s += q[t * H * hd + head * hd + j] * k[u * KV * hd + kvh * hd + j];
          sc[u] = s * scale;
          if (sc[u] > mx) mx = sc[u];
        }
        let z = 0;
        for (let u = 0; u <= t; u++) z += (sc[u] = Math.exp(sc[u] - mx));
        for (let j = 0; j < hd; j++) {
          let s = 0;
          for (let u = 0; u <= t; u++) s += sc[u] * v[u * KV * hd + kvh * hd + j];
          att[t * H * hd + head * hd + j] = s / z;
        }
      }
    }
    const o = linear(att, T, H * hd, w(ws, `${p}self_attn.o_proj.weight`), d);
    for (let i = 0; i < x.length; i++) x[i] += o[i];
    const h2 = rmsNorm(x, T, d, w(ws, `${p}post_attention_layernorm.weight`), c.rmsNormEps);
    const gate = linear(h2, T, d, w(ws, `${p}mlp.gate_proj.weight`), F);
    const up = linear(h2, T, d, w(ws, `${p}mlp.up_proj.weight`), F);
    for (let i = 0; i < gate.length; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    const down = linear(gate, T, F, w(ws, `${p}mlp.down_proj.weight`), d);
    for (let i = 0; i < x.length; i++) x[i] += down[i];
  }
  x = rmsNorm(x, T, d, w(ws, 'model.norm.weight'), c.rmsNormEps);
  const head = c.tieWordEmbeddings ? emb : w(ws, 'lm_head.weight');
  return linear(x, T, d, head, c.vocabSize);
}
