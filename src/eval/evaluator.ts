/**
 * `createEvaluator`: scores models (files or merged weights in memory) on eval suites with one ORT
 * session per config. The session is created on first use and reused for every model; each model's
 * weights are prepared once (uploaded once on webgpu) and fed to every batch.
 *
 * Results are cached by (sha256 of the model's f32 weights in graph order, hash of the suites): the
 * evolution loop often re-scores a merge it has already seen.
 */
import { CancelledError, throwIfAborted } from '../core/errors';
import type { TensorSource } from '../core/types';
import { EvalConfigError, expectedTensors, validateTensors, type LlamaConfig } from './config';
import { buildLlamaGraph, causalMask, GRAPH_INPUTS, GRAPH_OUTPUT, ropeTables } from './llama-graph';
import { createOrtSession, type Backend, type Feed, type OrtSession } from './ort-session';
import { planBatches, scoreSuites, type Batch, type SuiteScores } from './score';
import { sha256Hex, type Suite } from './suites';
import type { Vocab } from './vocab';

export type ModelWeights = ReadonlyMap<string, Float32Array> | TensorSource;

export interface EvaluatorOptions {
  backend?: Backend;
  device?: GPUDevice;
  suites: Suite[];
  config: LlamaConfig;
  vocab: Vocab;
  /** Sequences per forward pass (default 256: the zoo's ~1200 sequences in ~5 runs). */
  batchSize?: number;
  numThreads?: number;
  /** Also score multiple-choice log-likelihood accuracy (`mc`) where suites have choices (default false: ~2x the work). */
  multipleChoice?: boolean;
  /** Entries kept in the results cache (default 512). */
  cacheSize?: number;
}

export interface EvalResult extends SuiteScores {
  /** sha256 of the weights as scored (f32, graph order): the cache key's model half. */
  modelHash: string;
  cached: boolean;
}

export interface Evaluator {
  /** webgpu: whether ORT runs on the GPUDevice given in the options (known after ready()). */
  readonly sharedDevice: boolean;
  /** Creates the ORT session now (compiling wasm, planning the graph) instead of on the first score. */
  ready(): Promise<void>;
  score(weights: ModelWeights, signal?: AbortSignal): Promise<EvalResult>;
  dispose(): Promise<void>;
}

function isSource(w: ModelWeights): w is TensorSource {
  return typeof (w as TensorSource).readF32 === 'function';
}

/** The model's weights as f32 arrays in graph-input order, checked against the config. */
export async function loadWeights(c: LlamaConfig, w: ModelWeights, signal?: AbortSignal): Promise<Map<string, Float32Array>> {
  const want = expectedTensors(c);
  const out = new Map<string, Float32Array>();
  if (isSource(w)) {
    validateTensors(c, (n) => w.get(n), w.id);
    for (const t of want) {
      throwIfAborted(signal);
      const info = w.get(t.name)!;
      out.set(t.name, await w.readF32(t.name, 0, info.numel, signal));
    }
    return out;
  }
  for (const t of want) {
    const a = w.get(t.name);
    const n = t.shape.reduce((x, y) => x * y, 1);
    if (!a) throw new EvalConfigError('model-missing-tensor', `merged model: tensor "${t.name}" is missing (expected shape [${t.shape.join(', ')}]).`);
    if (a.length !== n) throw new EvalConfigError('model-shape-mismatch', `merged model: tensor "${t.name}" has ${a.length} elements but the config expects [${t.shape.join(', ')}] = ${n}.`);
    out.set(t.name, a);
  }
  return out;
}

async function weightsHash(ws: Map<string, Float32Array>): Promise<string> {
  let total = 0;
  for (const a of ws.values()) total += a.byteLength;
  const all = new Uint8Array(total);
  let off = 0;
  for (const a of ws.values()) {
    all.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return sha256Hex(all);
}

export function createEvaluator(opts: EvaluatorOptions): Evaluator {
  const { config: c, vocab, suites } = opts;
  if (vocab.tokens.length > c.vocabSize) {
    throw new EvalConfigError('vocab-mismatch', `The vocabulary has ${vocab.tokens.length} tokens but config.json vocab_size is ${c.vocabSize}.`);
  }
  if (suites.length === 0) throw new EvalConfigError('no-suites', 'No eval suites to score on: pass at least one.');
  const batches: Batch[] = planBatches(suites, vocab, opts.batchSize ?? 256, opts.multipleChoice ?? false);
  const suiteKey = suites.map((s) => `${s.skill}:${s.hash}`).join('|');
  const tables = new Map<number, Record<string, Feed>>();
  const positional = (seq: number): Record<string, Feed> => {
    let t = tables.get(seq);
    if (!t) {
      const { cos, sin } = ropeTables(c, seq);
      t = {
        [GRAPH_INPUTS.cos]: { data: cos, dims: [seq, c.headDim] },
        [GRAPH_INPUTS.sin]: { data: sin, dims: [seq, c.headDim] },
        [GRAPH_INPUTS.mask]: { data: causalMask(seq), dims: [seq, seq] },
      };
      tables.set(seq, t);
    }
    return t;
  };
  let sessionP: Promise<OrtSession> | undefined;
  let readyP: Promise<void> | undefined;
  const session = (): Promise<OrtSession> => {
    sessionP ??= createOrtSession(buildLlamaGraph(c), { backend: opts.backend, device: opts.device, numThreads: opts.numThreads }).then((s) => {
      shared = s.sharedDevice;
      return s;
    });
    sessionP.catch(() => (sessionP = undefined)); // a failed create is retried next time
    return sessionP;
  };
  const cache = new Map<string, SuiteScores & { modelHash: string }>();
  const cacheSize = opts.cacheSize ?? 512;
  let disposed = false;

  let shared = false;
  return {
    get sharedDevice() {
      return shared;
    },
    async ready() {
      readyP ??= (async () => {
        const s = await session();
        // One run at the largest batch shape with zero weights: ORT grows its arena and wasm memory
        // once, here, instead of during the first model's score.
        const big = batches.reduce((a, b) => (b.items.length * b.seq > a.items.length * a.seq ? b : a));
        const zeros: Record<string, Feed> = {};
        for (const t of expectedTensors(c)) zeros[t.name] = { data: new Float32Array(t.shape.reduce((x, y) => x * y, 1)), dims: t.shape };
        const prepared = s.prepareWeights(zeros);
        try {
          await s.run({ [GRAPH_INPUTS.ids]: { data: new BigInt64Array(big.items.length * big.seq), dims: [big.items.length, big.seq] }, ...positional(big.seq) }, prepared, GRAPH_OUTPUT);
        } finally {
          prepared.dispose();
        }
      })();
      readyP.catch(() => (readyP = undefined));
      return readyP;
    },
    async score(weights, signal) {
      if (disposed) throw new CancelledError('This evaluator was disposed.');
      const ws = await loadWeights(c, weights, signal);
      const modelHash = await weightsHash(ws);
      const key = `${modelHash}/${suiteKey}`;
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key); // refresh its LRU position
        cache.set(key, hit);
        return { ...hit, cached: true };
      }
      const s = await session();
      const feeds: Record<string, Feed> = {};
      for (const t of expectedTensors(c)) feeds[t.name] = { data: ws.get(t.name)!, dims: t.shape };
      const prepared = s.prepareWeights(feeds);
      try {
        const result = await scoreSuites(suites, vocab, c.vocabSize, batches, async (ids, batch, seq) => {
          const out = await s.run({ [GRAPH_INPUTS.ids]: { data: ids, dims: [batch, seq] }, ...positional(seq) }, prepared, GRAPH_OUTPUT);
          return out.data;
        }, signal);
        cache.set(key, { ...result, modelHash });
        if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
        return { ...result, modelHash, cached: false };
      } finally {
        prepared.dispose();
      }
    },
    async dispose() {
      disposed = true;
      const p = sessionP;
      sessionP = undefined;
      if (p) await (await p).dispose();
    },
  };
}
