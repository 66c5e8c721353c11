/**
 * Tiny Llama-named checkpoints, generated deterministically from a seed (like mergekit's
 * make_picollama), plus in-memory ByteSource/ByteSink.
 *
 * Values lie on a grid k * 2^-9 (|k| <= 127 for base, <= 64 for deltas), so base, base + delta and
 * base - delta are all exact in F32, F16 and BF16 (|k| <= 191 < 2^8): the "opposite" model's delta
 * is exactly minus the "fine" model's delta whatever the dtype, and the same seed gives the same
 * values in every dtype.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/core/rng';
import { encodeFromF32 } from '../../src/core/dtype';
import { encodeSafetensors } from '../../src/core/safetensors';
import type { ByteSink, ByteSource, FloatDType } from '../../src/core/types';

export interface TinyLlamaOptions {
  layers?: number;     // default 2
  hidden?: number;     // default 8
  intermediate?: number; // default 2 * hidden
  vocab?: number;      // default 16
  dtype?: FloatDType;  // default F32
  seed?: number;       // default 1
  /** Add `model.zero_tensor.weight` [hidden], all zero in every model of a family. */
  zeroTensor?: boolean;
  /** Add `model.scalar.weight` [1], a 1-element tensor. */
  oneElementTensor?: boolean;
}

export interface TinyTensor {
  name: string;
  dtype: FloatDType;
  shape: number[];
  /** Exactly the values stored in the file (representable in dtype). */
  values: Float32Array;
}

export interface TinyModel {
  dtype: FloatDType;
  tensors: TinyTensor[];
}

const GRID = 2 ** -9;

/** Names and shapes in HF Llama order (embed, layers, norm, lm_head). */
export function tinyLlamaLayout(opts: TinyLlamaOptions = {}): { name: string; shape: number[] }[] {
  const { layers = 2, hidden = 8, vocab = 16 } = opts;
  const inter = opts.intermediate ?? 2 * hidden;
  const out: { name: string; shape: number[] }[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, hidden] }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [hidden] },
      { name: `${p}.self_attn.q_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [hidden, hidden] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [hidden] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [inter, hidden] },
      { name: `${p}.mlp.up_proj.weight`, shape: [inter, hidden] },
      { name: `${p}.mlp.down_proj.weight`, shape: [hidden, inter] },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [hidden] }, { name: 'lm_head.weight', shape: [vocab, hidden] });
  if (opts.zeroTensor) out.push({ name: 'model.zero_tensor.weight', shape: [hidden] });
  if (opts.oneElementTensor) out.push({ name: 'model.scalar.weight', shape: [1] });
  return out;
}

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Grid values k * 2^-9 with k uniform in [-maxK, maxK]. */
function gridValues(rand: () => number, n: number, maxK: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (Math.floor(rand() * (2 * maxK + 1)) - maxK) * GRID;
  return v;
}

export function makeTinyLlama(opts: TinyLlamaOptions = {}): TinyModel {
  const dtype = opts.dtype ?? 'F32';
  const rand = mulberry32(opts.seed ?? 1);
  return {
    dtype,
    tensors: tinyLlamaLayout(opts).map(({ name, shape }) => ({
      name, dtype, shape,
      values: name === 'model.zero_tensor.weight' ? new Float32Array(numel(shape)) : gridValues(rand, numel(shape), 127),
    })),
  };
}

export interface TinyFamily {
  base: TinyModel;
  /** base + delta */
  fine: TinyModel;
  /** An identical copy of `fine` (separate arrays). */
  identical: TinyModel;
  /** base - delta: exactly the opposite task vector of `fine`. */
  opposite: TinyModel;
  /** Equal to base (a zero task vector). */
  zeroDelta: TinyModel;
  /** The task vector of `fine`, per tensor name. */
  delta: Map<string, Float32Array>;
}

export interface TinyFamilyOptions extends TinyLlamaOptions {
  /** Seed of the delta (default seed + 1000). */
  deltaSeed?: number;
}

export function makeTinyFamily(opts: TinyFamilyOptions = {}): TinyFamily {
  const base = makeTinyLlama(opts);
  const rand = mulberry32(opts.deltaSeed ?? (opts.seed ?? 1) + 1000);
  const delta = new Map<string, Float32Array>();
  for (const t of base.tensors) {
    delta.set(t.name, t.name === 'model.zero_tensor.weight' ? new Float32Array(t.values.length) : gridValues(rand, t.values.length, 64));
  }
  const derive = (sign: number): TinyModel => ({
    dtype: base.dtype,
    tensors: base.tensors.map((t) => {
      const d = delta.get(t.name)!;
      return { ...t, shape: [...t.shape], values: t.values.map((x, i) => x + sign * d[i]) };
    }),
  });
  const fine = derive(1);
  return { base, fine, identical: cloneModel(fine), opposite: derive(-1), zeroDelta: cloneModel(base), delta };
}

export function cloneModel(m: TinyModel): TinyModel {
  return { dtype: m.dtype, tensors: m.tensors.map((t) => ({ ...t, shape: [...t.shape], values: t.values.slice() })) };
}

/**
 * A copy with `extra` more vocabulary rows in embed_tokens and lm_head (the first rows unchanged),
 * like a fine-tune that added tokens.
 */
export function withExtraVocabRows(m: TinyModel, extra: number, seed = 77): TinyModel {
  const rand = mulberry32(seed);
  return {
    dtype: m.dtype,
    tensors: m.tensors.map((t) => {
      if (t.name !== 'model.embed_tokens.weight' && t.name !== 'lm_head.weight') return { ...t, shape: [...t.shape], values: t.values.slice() };
      const [rows, cols] = t.shape;
      const values = new Float32Array((rows + extra) * cols);
      values.set(t.values);
      values.set(gridValues(rand, extra * cols, 127), rows * cols);
      return { ...t, shape: [rows + extra, cols], values };
    }),
  };
}

/** The same values in another dtype (exact: grid values are representable in all three). */
export function withDType(m: TinyModel, dtype: FloatDType): TinyModel {
  return { dtype, tensors: m.tensors.map((t) => ({ ...t, dtype, shape: [...t.shape], values: t.values.slice() })) };
}

export function toSafetensors(m: TinyModel, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  return encodeSafetensors(
    m.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: encodeFromF32(t.dtype, t.values) })),
    metadata,
  );
}

// ---------------------------------------------------------------------------------------------
// Files

export async function makeTempDir(prefix = 'kinmerge-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export async function writeTinyFile(path: string, m: TinyModel, metadata?: Record<string, string>): Promise<string> {
  await writeFile(path, toSafetensors(m, metadata));
  return path;
}

export const TINY_CONFIG = { architectures: ['LlamaForCausalLM'], model_type: 'llama' };

/**
 * A Hugging Face style folder: config.json plus model.safetensors, or with `shards` > 1,
 * model-0000i-of-0000n.safetensors and model.safetensors.index.json (tensors split in order).
 */
export async function writeTinyFolder(dir: string, m: TinyModel, opts: { shards?: number; config?: object } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const hidden = m.tensors.find((t) => t.name === 'model.norm.weight')?.shape[0];
  await writeFile(join(dir, 'config.json'), JSON.stringify(opts.config ?? { ...TINY_CONFIG, hidden_size: hidden }));
  const shards = opts.shards ?? 1;
  if (shards <= 1) {
    await writeTinyFile(join(dir, 'model.safetensors'), m);
    return dir;
  }
  const per = Math.ceil(m.tensors.length / shards);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  const pad = (i: number): string => String(i).padStart(5, '0');
  for (let s = 0; s < shards; s++) {
    const file = `model-${pad(s + 1)}-of-${pad(shards)}.safetensors`;
    const part: TinyModel = { dtype: m.dtype, tensors: m.tensors.slice(s * per, (s + 1) * per) };
    for (const t of part.tensors) {
      weightMap[t.name] = file;
      totalSize += t.values.length * (t.dtype === 'F32' ? 4 : 2);
    }
    await writeTinyFile(join(dir, file), part);
  }
  await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Memory I/O

/** A ByteSource over bytes in memory; counts reads so tests can check nothing reads the whole file. */
export function memorySource(bytes: Uint8Array): ByteSource & { reads: { offset: number; length: number }[] } {
  const reads: { offset: number; length: number }[] = [];
  return {
    size: bytes.length,
    reads,
    async read(offset, length) {
      if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
        throw new RangeError(`memorySource: read [${offset}, ${offset + length}) outside [0, ${bytes.length})`);
      }
      reads.push({ offset, length });
      return bytes.slice(offset, offset + length);
    },
  };
}

export interface MemorySink extends ByteSink {
  /** Everything written so far, concatenated. */
  bytes(): Uint8Array;
  readonly closed: boolean;
  readonly aborted: boolean;
  readonly chunks: number;
}

export function memorySink(): MemorySink {
  let parts: Uint8Array[] = [];
  let closed = false;
  let aborted = false;
  return {
    get closed() { return closed; },
    get aborted() { return aborted; },
    get chunks() { return parts.length; },
    async write(chunk) {
      if (closed || aborted) throw new Error('memorySink: write after close/abort');
      parts.push(chunk.slice()); // the producer may reuse its buffer
    },
    async close() { closed = true; },
    async abort() { aborted = true; parts = []; },
    bytes() {
      const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      return out;
    },
  };
}
