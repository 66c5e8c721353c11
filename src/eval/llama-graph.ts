/**
 * Builds the ONNX graph of a Hugging Face Llama decoder (LlamaForCausalLM) from its config.
 *
 * Every weight is a graph INPUT named by its HF tensor name, never an initializer: one ORT session
 * then scores any number of merged models, fed per run, without being recreated. Positional tables
 * (RoPE cos/sin) and the causal mask are inputs too, computed in TS for the batch's length, so the
 * graph needs no ops whose support varies between ORT's EPs.
 *
 * Inputs:  input_ids int64 [batch, seq], rope_cos / rope_sin f32 [seq, head_dim],
 *          attn_mask f32 [seq, seq] (0 on and below the diagonal, -inf above), then the weights.
 * Output:  logits f32 [batch, seq, vocab].
 *
 * Semantics match transformers' LlamaForCausalLM: RMSNorm x * 1/sqrt(mean(x^2) + eps) * w, RoPE with
 * rotate_half (non-interleaved halves), scores scaled by 1/sqrt(head_dim), grouped-query attention
 * (query head h reads kv head floor(h / (heads / kv_heads))), SwiGLU down(silu(gate x) * up x).
 * Hidden states are kept flat as [batch*seq, d] so every projection is one Gemm with transB=1 on the
 * HF [out, in] weight, with no transposes of the weights.
 */
import type { LlamaConfig } from './config';
import { expectedTensors } from './config';
import {
  encodeModel, floatTensor, int64Tensor, ONNX_FLOAT, ONNX_INT64,
  type AttrValue, type NodeProto, type TensorProto, type ValueInfo,
} from './onnx-proto';

export const GRAPH_INPUTS = { ids: 'input_ids', cos: 'rope_cos', sin: 'rope_sin', mask: 'attn_mask' } as const;
export const GRAPH_OUTPUT = 'logits';

class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private n = 0;

  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, nOut = 1): string[] {
    const id = this.n++;
    const outputs = Array.from({ length: nOut }, (_, i) => `${opType.toLowerCase()}_${id}${nOut > 1 ? `_${i}` : ''}`);
    this.nodes.push({ opType, inputs, outputs, name: `${opType}_${id}`, attrs });
    return outputs;
  }

  one(opType: string, inputs: string[], attrs?: Record<string, AttrValue>): string {
    return this.op(opType, inputs, attrs)[0];
  }

  ints(name: string, values: number[]): string {
    this.inits.push(int64Tensor(name, values));
    return name;
  }

  scalar(name: string, value: number): string {
    this.inits.push(floatTensor(name, [value], []));
    return name;
  }
}

const ints = (value: number[]): AttrValue => ({ kind: 'ints', value });
const int = (value: number): AttrValue => ({ kind: 'int', value });

/** The graph as a model proto's bytes, ready for `InferenceSession.create`. */
export function buildLlamaGraph(c: LlamaConfig): Uint8Array {
  const g = new GraphBuilder();
  const { hiddenSize: d, numHeads: H, numKvHeads: KV, headDim: hd, vocabSize: V } = c;
  const rep = H / KV;
  const { ids, cos, sin, mask } = GRAPH_INPUTS;

  const eps = g.scalar('const_eps', c.rmsNormEps);
  const scale = g.scalar('const_scale', 1 / Math.sqrt(hd));
  const flatD = g.ints('shape_flat_d', [-1, d]);
  const flatQ = g.ints('shape_flat_q', [-1, H * hd]);
  const bt = g.one('Shape', [ids]); // [batch, seq]
  const shapeQ = g.one('Concat', [bt, g.ints('shape_h_hd', [H, hd])], { axis: int(0) }); // [B, T, H, hd]
  const shapeKV = g.one('Concat', [bt, g.ints('shape_kv_hd', [KV, hd])], { axis: int(0) }); // [B, T, KV, hd]
  const shapeOut = g.one('Concat', [bt, g.ints('shape_v', [V])], { axis: int(0) }); // [B, T, V]
  // GQA by broadcasting: queries as [B, KV, rep, T, hd] against keys/values as [B, KV, 1, T, hd].
  const groupQ = g.ints('shape_group_q', [0, KV, rep, -1, hd]);
  const groupKV = g.ints('shape_group_kv', [0, KV, 1, -1, hd]);
  const heads = g.ints('shape_heads', [0, H, -1, hd]);

  const rmsNorm = (x: string, w: string): string => {
    const ms = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: ints([-1]), keepdims: int(1) });
    const inv = g.one('Sqrt', [g.one('Add', [ms, eps])]);
    return g.one('Mul', [g.one('Div', [x, inv]), w]);
  };
  const linear = (x: string, w: string): string => g.one('Gemm', [x, w], { transB: int(1) });
  // x [B, heads, T, hd] -> x*cos + rotate_half(x)*sin, with rotate_half(x) = cat(-x2, x1) written as
  // x @ R for a signed permutation R [hd, hd]: exact (one nonzero term per output), and it avoids
  // Split, whose webgpu kernel rejected this graph's shapes.
  const half = hd / 2;
  const rotValues = new Array<number>(hd * hd).fill(0);
  for (let j = 0; j < half; j++) {
    rotValues[(j + half) * hd + j] = -1;
    rotValues[j * hd + j + half] = 1;
  }
  g.inits.push(floatTensor('const_rotate_half', rotValues, [hd, hd]));
  const rope = (x: string): string => {
    const rot = g.one('MatMul', [x, 'const_rotate_half']);
    return g.one('Add', [g.one('Mul', [x, cos]), g.one('Mul', [rot, sin])]);
  };
  const toHeads = (x: string, shape: string): string => g.one('Transpose', [g.one('Reshape', [x, shape])], { perm: ints([0, 2, 1, 3]) });

  const emb = g.one('Gather', ['model.embed_tokens.weight', ids], { axis: int(0) }); // [B, T, d]
  let x = g.one('Reshape', [emb, flatD]); // [N, d]
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    const h = rmsNorm(x, `${p}input_layernorm.weight`);
    const q = rope(toHeads(linear(h, `${p}self_attn.q_proj.weight`), shapeQ)); // [B, H, T, hd]
    const k = rope(toHeads(linear(h, `${p}self_attn.k_proj.weight`), shapeKV)); // [B, KV, T, hd]
    const v = toHeads(linear(h, `${p}self_attn.v_proj.weight`), shapeKV);
    const q5 = g.one('Reshape', [q, groupQ]);
    const kT = g.one('Transpose', [g.one('Reshape', [k, groupKV])], { perm: ints([0, 1, 2, 4, 3]) });
    const v5 = g.one('Reshape', [v, groupKV]);
    const scores = g.one('Add', [g.one('Mul', [g.one('MatMul', [q5, kT]), scale]), mask]); // [B, KV, rep, T, T]
    const probs = g.one('Softmax', [scores], { axis: int(-1) });
    const att = g.one('Reshape', [g.one('MatMul', [probs, v5]), heads]); // [B, H, T, hd]
    const merged = g.one('Reshape', [g.one('Transpose', [att], { perm: ints([0, 2, 1, 3]) }), flatQ]); // [N, H*hd]
    x = g.one('Add', [x, linear(merged, `${p}self_attn.o_proj.weight`)]);
    const h2 = rmsNorm(x, `${p}post_attention_layernorm.weight`);
    const gate = linear(h2, `${p}mlp.gate_proj.weight`);
    const act = g.one('Mul', [g.one('Mul', [gate, g.one('Sigmoid', [gate])]), linear(h2, `${p}mlp.up_proj.weight`)]);
    x = g.one('Add', [x, linear(act, `${p}mlp.down_proj.weight`)]);
  }
  const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const logits2 = linear(rmsNorm(x, 'model.norm.weight'), head); // [N, V]
  g.nodes.push({ opType: 'Reshape', inputs: [logits2, shapeOut], outputs: [GRAPH_OUTPUT], name: 'logits' });

  const inputs: ValueInfo[] = [
    { name: ids, elemType: ONNX_INT64, shape: ['batch', 'seq'] },
    { name: cos, elemType: ONNX_FLOAT, shape: ['seq', hd] },
    { name: sin, elemType: ONNX_FLOAT, shape: ['seq', hd] },
    { name: mask, elemType: ONNX_FLOAT, shape: ['seq', 'seq'] },
    ...expectedTensors(c).map((t) => ({ name: t.name, elemType: ONNX_FLOAT, shape: t.shape })),
  ];
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: 'kinmerge',
    graph: {
      name: 'llama',
      nodes: g.nodes,
      inputs,
      outputs: [{ name: GRAPH_OUTPUT, elemType: ONNX_FLOAT, shape: ['batch', 'seq', V] }],
      initializers: g.inits,
    },
  });
}

/**
 * RoPE tables for positions 0..seq-1, as transformers computes them: inv_freq = theta^(-2i/hd) for
 * i < hd/2, angle = pos * inv_freq, both halves of the head share the angles (cat(freqs, freqs)).
 */
export function ropeTables(c: LlamaConfig, seq: number): { cos: Float32Array; sin: Float32Array } {
  const hd = c.headDim, half = hd / 2;
  const cosT = new Float32Array(seq * hd), sinT = new Float32Array(seq * hd);
  for (let p = 0; p < seq; p++) {
    for (let i = 0; i < half; i++) {
      // f32 inv_freq like HF, so positions times frequencies round the same way.
      const inv = Math.fround(1 / Math.fround(Math.pow(c.ropeTheta, (2 * i) / hd)));
      const a = Math.fround(p * inv);
      cosT[p * hd + i] = cosT[p * hd + i + half] = Math.cos(a);
      sinT[p * hd + i] = sinT[p * hd + i + half] = Math.sin(a);
    }
  }
  return { cos: cosT, sin: sinT };
}

/** Additive causal mask [seq, seq]: row i may attend to columns 0..i. */
export function causalMask(seq: number): Float32Array {
  const m = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) m[i * seq + j] = -Infinity;
  return m;
}
