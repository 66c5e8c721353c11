/**
 * The merge benchmark's inputs: a pair of Llama-named F32 checkpoints of about 100M parameters
 * (quick: about 10M), generated once into .bench-data/ (gitignored) and reused while the size matches.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSafetensorsWriter, type SafetensorsEntry } from '../src/core/safetensors';
import { DEFAULT_CHUNK_ELEMS } from '../src/core/merge/cpu-backend';
import { fileSink } from '../src/node/files';
import { openModelPath } from '../src/node/model-path';

export const BENCH_DIR = join(new URL('..', import.meta.url).pathname, '.bench-data');

/** HF Llama tensor names and shapes (F32) for generated benchmark checkpoints. */
export function llamaLayout(vocab: number, hidden: number, inter: number, layers: number): SafetensorsEntry[] {
  const e: SafetensorsEntry[] = [{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [vocab, hidden] }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    e.push({ name: `${p}.input_layernorm.weight`, dtype: 'F32', shape: [hidden] });
    for (const q of ['q', 'k', 'v', 'o']) e.push({ name: `${p}.self_attn.${q}_proj.weight`, dtype: 'F32', shape: [hidden, hidden] });
    e.push({ name: `${p}.post_attention_layernorm.weight`, dtype: 'F32', shape: [hidden] });
    e.push({ name: `${p}.mlp.gate_proj.weight`, dtype: 'F32', shape: [inter, hidden] }, { name: `${p}.mlp.up_proj.weight`, dtype: 'F32', shape: [inter, hidden] });
    e.push({ name: `${p}.mlp.down_proj.weight`, dtype: 'F32', shape: [hidden, inter] });
  }
  e.push({ name: 'model.norm.weight', dtype: 'F32', shape: [hidden] }, { name: 'lm_head.weight', dtype: 'F32', shape: [vocab, hidden] });
  return e;
}

export function mergeLayout(quick: boolean): SafetensorsEntry[] {
  // 100M: vocab 16000 x 1024 embed + head (32.8M, each 16.4M elements: several chunks) and 5 layers of
  // 12.7M. Quick: 10.3M.
  return quick ? llamaLayout(8000, 512, 1408, 1) : llamaLayout(16000, 1024, 2816, 5);
}

export const numelOf = (e: SafetensorsEntry) => e.shape.reduce((a, b) => a * b, 1);

/** Returns [base, other] paths, generating them when missing. */
export async function ensureMergePair(quick: boolean): Promise<{ paths: [string, string]; params: number }> {
  const tag = quick ? '10m' : '100m';
  const paths: [string, string] = [join(BENCH_DIR, `merge-${tag}-a.safetensors`), join(BENCH_DIR, `merge-${tag}-b.safetensors`)];
  const entries = mergeLayout(quick);
  const params = entries.reduce((s, e) => s + numelOf(e), 0);
  const ok = paths.every((p) => { try { const s = statSync(p).size; return s > params * 4 && s < params * 4 + 65536; } catch { return false; } });
  if (ok) return { paths, params };
  mkdirSync(BENCH_DIR, { recursive: true });
  const writers = await Promise.all(paths.map(async (p) => createSafetensorsWriter(await fileSink(p), entries, { generator: 'bench/merge-data.ts' })));
  let s = 12345;
  const CH = 1 << 20;
  const a = new Float32Array(CH), b = new Float32Array(CH);
  for (const e of entries) {
    for (let start = 0; start < numelOf(e); start += CH) {
      const n = Math.min(CH, numelOf(e) - start);
      for (let i = 0; i < n; i++) {
        s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        const u = s / 2147483648 - 1;
        a[i] = 0.02 * u;
        b[i] = 0.02 * u + 0.004 * Math.sin(i + start); // a related model: dot well below 0.9995
      }
      await writers[0].write(new Uint8Array(a.buffer, 0, n * 4));
      await writers[1].write(new Uint8Array(b.buffer, 0, n * 4));
    }
  }
  await Promise.all(writers.map((w) => w.finish()));
  return { paths, params };
}

/** The merge benchmark's floor: read both inputs tensor by tensor in the merge's chunks and write the output's bytes. */
export async function readWriteBaseline(pa: string, pb: string, out: string): Promise<void> {
  const [a, b] = await Promise.all([openModelPath(pa), openModelPath(pb)]);
  try {
    const ts = a.source.tensors();
    const w = createSafetensorsWriter(await fileSink(out), ts.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), {});
    for (const t of ts) {
      for (let s = 0; s < t.numel; s += DEFAULT_CHUNK_ELEMS) {
        const n = Math.min(DEFAULT_CHUNK_ELEMS, t.numel - s);
        const [x] = await Promise.all([a.source.readRaw(t.name, s, n), b.source.readRaw(t.name, s, n)]);
        await w.write(x);
      }
    }
    await w.finish();
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
