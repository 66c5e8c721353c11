/**
 * Model kinship (Hu et al., 2024; ModelKinship's `merge_cal`): similarity of task vectors
 * d_i = θ_i − θ_base between K models, as K x K matrices of pcc, cs (signed cosine), cs_abs (the |cos|
 * ModelKinship reports as "cs") and ed, from ONE streaming pass that reads each checkpoint once.
 *
 * Per tensor a `GramBackend` accumulates n, S_i = Σ d_i and G_ij = Σ d_i d_j in f64; the global metrics
 * come from the moments summed over tensors, split mode from each tensor's own. Undefined values (a
 * zero delta) are null with a note, never NaN.
 */
import { CompatibilityError, KinmergeError, throwIfAborted } from './errors';
import type { ProgressFn, TensorSource } from './types';
import { cpuGramBackend, type GramBackend, type ReadChunk } from './kinship/gram';
import { GroupTables, type KinshipGroup } from './kinship/groups';
import { KINSHIP_METRICS, type Degeneracy, type KinshipMetric, type MetricOutcome } from './kinship/metrics';
import { PairTable, SplitTable } from './kinship/pairs';
import { planKinship } from './kinship/plan';

export { cpuGramBackend, accumulateChunk, accumulateDeltas, symmetrize, GRAM_BLOCK } from './kinship/gram';
export type { GramBackend, GramJob, ReadChunk, TensorGram } from './kinship/gram';
export { KINSHIP_METRICS, METRIC_TITLES, pearson, cosine, cosineAbs, euclidean } from './kinship/metrics';
export type { KinshipMetric, MetricOutcome, PairMoments, Degeneracy } from './kinship/metrics';
export { classifyTensor } from './kinship/groups';
export type { KinshipGroup, TensorGroupKind } from './kinship/groups';
export { planKinship } from './kinship/plan';
export type { KinshipPlan, KinshipTensorPlan } from './kinship/plan';

export type KinshipMatrix = (number | null)[][];

export interface KinshipOptions {
  base: TensorSource;
  models: TensorSource[];
  /** Metrics to report (default all four). All are computed from the same moments. */
  metrics?: KinshipMetric[];
  /** ModelKinship's --split-calculation: numel-weighted mean of per-tensor metrics. */
  split?: boolean;
  /** Elements per read (default 262144): about 2·(K+1)·4·chunkElems bytes are in flight. */
  chunkElems?: number;
  backend?: GramBackend;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export interface KinshipResult {
  base: string;
  models: string[];
  split: boolean;
  metrics: Partial<Record<KinshipMetric, KinshipMatrix>>;
  notes: string[];
  /** Bytes of tensor data read from all checkpoints (base + models). */
  bytesRead: number;
  /** Elements of the base that were compared (the length of each task vector). */
  params: number;
  /** Tensors compared. */
  tensors: number;
  /** Per layer and group (self_attn, mlp, norm, embed, head): K x K pcc and cs, for drilling in. */
  groups: KinshipGroup[];
  backend: string;
}

export const DEFAULT_KINSHIP_CHUNK_ELEMS = 1 << 18;

const DEGENERACY_TEXT: Record<Degeneracy, string> = {
  'zero-delta': 'has a zero task vector (it equals the base on every compared tensor)',
  'constant-delta': 'has a constant task vector (zero variance)',
  empty: 'shares no tensor with the other model',
  'non-finite': 'has NaN or infinite weights (check the checkpoint)',
};

function checkOptions(o: KinshipOptions): { metrics: KinshipMetric[]; chunkElems: number } {
  if (o.models.length < 1) throw new KinmergeError('kinship-models', 'Kinship needs at least one model besides the base.');
  const metrics = o.metrics ?? [...KINSHIP_METRICS];
  for (const m of metrics) {
    if (!KINSHIP_METRICS.includes(m)) throw new KinmergeError('kinship-metric', `Unknown kinship metric "${m}": use ${KINSHIP_METRICS.join(', ')}.`);
  }
  const chunkElems = o.chunkElems ?? DEFAULT_KINSHIP_CHUNK_ELEMS;
  if (!Number.isSafeInteger(chunkElems) || chunkElems < 1) {
    throw new KinmergeError('kinship-chunk', `chunkElems must be a positive integer, got ${chunkElems}.`);
  }
  return { metrics, chunkElems };
}

/**
 * Notes for the null entries of one metric: one note per model whose whole row is null because of its
 * own delta, else one per pair.
 */
function nullNotes(metric: KinshipMetric, outs: MetricOutcome[][], ids: string[]): string[] {
  const K = ids.length;
  const notes: string[] = [];
  const whole = new Set<number>();
  for (let i = 0; i < K; i++) {
    const own = outs[i].map((o) => o.value === null ? o.reasons.find((r) => r.side === 0 && r.kind !== 'empty') : undefined);
    if (own.every((r) => r !== undefined)) {
      whole.add(i);
      notes.push(`${metric} undefined (null) for model ${ids[i]}: it ${DEGENERACY_TEXT[own[0]!.kind]}, so its row and column are null.`);
    }
  }
  for (let i = 0; i < K; i++) {
    for (let j = i; j < K; j++) {
      const o = outs[i][j];
      if (o.value !== null || whole.has(i) || whole.has(j)) continue;
      const why = o.reasons.map((r) => `${r.side === 0 ? ids[i] : ids[j]} ${DEGENERACY_TEXT[r.kind]}`).join('; ');
      notes.push(`${metric}[${ids[i]}][${ids[j]}] undefined (null): ${why}.`);
    }
  }
  return notes;
}

function splitNotes(metric: KinshipMetric, split: SplitTable, matrix: KinshipMatrix, ids: string[]): string[] {
  const K = ids.length;
  const notes: string[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < K; i++) {
    for (let j = i; j < K; j++) {
      const s = split.skipped[metric][i * K + j];
      const pair = i === j ? ids[i] : `${ids[i]} / ${ids[j]}`;
      if (matrix[i][j] === null) notes.push(`${metric} (split) undefined (null) for ${pair}: undefined on every tensor (a zero or constant task vector, or NaN/infinite weights).`);
      else if (s > 0) skipped.push(`${pair}: ${s}`);
    }
  }
  if (skipped.length > 0) notes.push(`${metric} (split): skipped tensors where it is undefined (NaN in ModelKinship): ${skipped.join('; ')}.`);
  return notes;
}

export async function computeKinship(o: KinshipOptions): Promise<KinshipResult> {
  const { metrics, chunkElems } = checkOptions(o);
  const backend = o.backend ?? cpuGramBackend;
  const K = o.models.length;
  const ids = o.models.map((m) => m.id);
  const plan = planKinship(o.base, o.models);
  if (plan.tensors.every((t) => t.present.length === 0)) {
    throw new CompatibilityError('kinship-empty', `The models share no float tensor with the base ${o.base.id}: check that they come from the same architecture.`);
  }
  const bytesPer = (src: TensorSource, name: string) => {
    const info = src.get(name)!;
    return info.numel > 0 ? info.byteLength / info.numel : 0;
  };
  let total = 0;
  for (const t of plan.tensors) {
    if (t.present.length === 0) continue;
    total += t.numel * bytesPer(o.base, t.name);
    for (const i of t.present) total += t.numel * bytesPer(o.models[i], t.name);
  }

  const pairs = new PairTable(K);
  const split = new SplitTable(K);
  const groups = new GroupTables(K);
  let bytesRead = 0;
  let params = 0;
  let tensors = 0;
  for (const t of plan.tensors) {
    throwIfAborted(o.signal);
    if (t.present.length === 0) continue;
    const sources = [o.base, ...t.present.map((i) => o.models[i])];
    const per = sources.map((s) => bytesPer(s, t.name));
    const readChunk: ReadChunk = (input, start, n, signal) => {
      bytesRead += n * per[input];
      return sources[input].readF32(t.name, start, n, signal);
    };
    const gram = await backend.accumulate({ name: t.name, numel: t.numel, models: t.present.length, chunkElems }, readChunk, o.signal);
    pairs.add(gram, t.present);
    if (o.split) split.add(gram, t.present);
    groups.add(t.name, gram, t.present);
    params += t.numel;
    tensors += 1;
    o.onProgress?.({ phase: 'kinship', done: bytesRead, total, unit: 'bytes', detail: t.name });
  }

  const notes = [...plan.notes];
  const out: Partial<Record<KinshipMetric, KinshipMatrix>> = {};
  for (const metric of metrics) {
    if (o.split) {
      const m = split.matrix(metric);
      out[metric] = m;
      notes.push(...splitNotes(metric, split, m, ids));
    } else {
      const outs = pairs.outcomes(metric);
      out[metric] = outs.map((row) => row.map((x) => x.value));
      notes.push(...nullNotes(metric, outs, ids));
    }
  }
  return { base: o.base.id, models: ids, split: !!o.split, metrics: out, notes, bytesRead, params, tensors, groups: groups.result(), backend: backend.name };
}

/**
 * The paper's Eq. 3 for merging n models: the mean of matrix[i][j] over all pairs i < j of `ids`
 * (indices into the matrix; default all). Null when fewer than two models or any pair is undefined.
 */
export function meanPairwise(matrix: KinshipMatrix, ids?: number[]): number | null {
  const idx = ids ?? matrix.map((_, i) => i);
  for (const i of idx) {
    if (!Number.isInteger(i) || i < 0 || i >= matrix.length) throw new RangeError(`meanPairwise: index ${i} is not a row of the ${matrix.length} x ${matrix.length} matrix.`);
  }
  if (idx.length < 2) return null;
  let s = 0;
  let c = 0;
  for (let a = 0; a < idx.length; a++) {
    for (let b = a + 1; b < idx.length; b++) {
      const v = matrix[idx[a]][idx[b]];
      if (v === null) return null;
      s += v;
      c += 1;
    }
  }
  return s / c;
}
