/**
 * Compatibility of chosen models from their headers: same tensor names and shapes (what every merge
 * method needs), vocabulary-size differences named as such, and which models share one architecture
 * (a "family": identical names and shapes, the precondition for sharing a base).
 */
import type { TensorInfo } from '../core/types';

export interface ModelTensors {
  id: string;
  tensors: TensorInfo[];
  config?: Record<string, unknown>;
}

export interface PairDiff {
  id: string;
  /** In the reference, not in this model. */
  missing: string[];
  /** In this model, not in the reference. */
  extra: string[];
  shapeMismatches: { name: string; reference: number[]; model: number[] }[];
  /** Embedding/output rows differ while the rest of the shape matches: a different tokenizer. */
  vocab?: { reference: number; model: number; tensors: string[] };
  /** Dtype differences are allowed (merges compute in f32) but shown. */
  dtypeDiffs: { name: string; reference: string; model: string }[];
}

export interface CompatibilityReport {
  /** True when every model has the reference's tensor names and shapes. */
  compatible: boolean;
  reference: string;
  diffs: PairDiff[];
  /** Ids grouped by identical (name, shape) signature, the reference's group first. */
  families: string[][];
  /** One line per problem, saying what is wrong and what to do. */
  messages: string[];
}

const VOCAB_TENSOR = /(embed_tokens|lm_head|wte|word_embeddings|embed_in|embed_out|shared)(\.weight)?$/;

const signature = (ts: TensorInfo[]): string => ts.map((t) => `${t.name}:${t.shape.join('x')}`).sort().join('|');

export function compareModels(models: ModelTensors[]): CompatibilityReport {
  if (models.length === 0) return { compatible: true, reference: '', diffs: [], families: [], messages: [] };
  const [ref, ...rest] = models;
  const refBy = new Map(ref.tensors.map((t) => [t.name, t]));
  const diffs: PairDiff[] = [];
  const messages: string[] = [];
  for (const m of rest) {
    const by = new Map(m.tensors.map((t) => [t.name, t]));
    const d: PairDiff = {
      id: m.id,
      missing: ref.tensors.filter((t) => !by.has(t.name)).map((t) => t.name),
      extra: m.tensors.filter((t) => !refBy.has(t.name)).map((t) => t.name),
      shapeMismatches: [],
      dtypeDiffs: [],
    };
    for (const t of m.tensors) {
      const r = refBy.get(t.name);
      if (!r) continue;
      if (r.dtype !== t.dtype) d.dtypeDiffs.push({ name: t.name, reference: r.dtype, model: t.dtype });
      if (r.shape.join('x') === t.shape.join('x')) continue;
      d.shapeMismatches.push({ name: t.name, reference: r.shape, model: t.shape });
      const sameTail = r.shape.length === t.shape.length && r.shape.slice(1).join('x') === t.shape.slice(1).join('x');
      if (sameTail && VOCAB_TENSOR.test(t.name)) {
        d.vocab ??= { reference: r.shape[0], model: t.shape[0], tensors: [] };
        d.vocab.tensors.push(t.name);
      }
    }
    diffs.push(d);
    const vocabOnly = d.vocab && d.shapeMismatches.length === d.vocab.tensors.length;
    if (d.vocab) {
      messages.push(`${m.id} has ${d.vocab.model} vocabulary rows where ${ref.id} has ${d.vocab.reference} (${d.vocab.tensors.join(', ')}): the tokenizers differ. Merge models that share a tokenizer, or align the vocabularies first (e.g. mergekit-tokensurgeon).`);
    }
    if (!vocabOnly && d.shapeMismatches.length) {
      const s = d.shapeMismatches.filter((x) => !d.vocab?.tensors.includes(x.name));
      messages.push(`${m.id} differs in shape from ${ref.id} in ${s.length} tensor(s), e.g. ${s[0].name} [${s[0].model}] vs [${s[0].reference}]: a different architecture or size. These models cannot be merged.`);
    }
    if (d.missing.length || d.extra.length) {
      const ex = d.missing[0] ?? d.extra[0];
      messages.push(`${m.id} and ${ref.id} do not have the same tensors (${d.missing.length} missing, ${d.extra.length} extra, e.g. ${ex}): a different architecture or naming. Merge models of one architecture.`);
    }
  }
  const families = new Map<string, string[]>();
  for (const m of models) {
    const sig = signature(m.tensors);
    families.set(sig, [...(families.get(sig) ?? []), m.id]);
  }
  const archs = new Set(models.map((m) => JSON.stringify(m.config?.architectures ?? null)).filter((a) => a !== 'null'));
  if (archs.size > 1) messages.push(`The configs name different architectures (${[...archs].join(' vs ')}).`);
  const compatible = diffs.every((d) => !d.missing.length && !d.extra.length && !d.shapeMismatches.length);
  return { compatible, reference: ref.id, diffs, families: [...families.values()], messages };
}
