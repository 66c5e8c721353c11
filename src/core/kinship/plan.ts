/**
 * Which elements kinship compares, decided from headers alone before any weight is read, so a
 * mismatch fails fast. ModelKinship's rules: every tensor of the base in base order; a key missing in a
 * model is skipped for the pairs with that model; every model tensor is sliced to its first V rows along
 * dim 0, V = rows of the base's lm_head.weight (this drops added vocabulary rows); anything else that
 * differs in shape is an error.
 */
import { CompatibilityError } from '../errors';
import type { TensorInfo, TensorSource } from '../types';

export interface KinshipTensorPlan {
  name: string;
  /** Elements compared: the base tensor's numel (models are sliced to that prefix). */
  numel: number;
  /** Indices of the models that have this tensor. */
  present: number[];
}

export interface KinshipPlan {
  tensors: KinshipTensorPlan[];
  /** Vocabulary size used for truncation, or null when the base has neither head nor embedding. */
  vocabRows: number | null;
  notes: string[];
}

const FLOAT = new Set(['F32', 'F16', 'BF16']);

function listNames(names: string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function shapeStr(s: number[]): string {
  return `[${s.join(', ')}]`;
}

/** Vocabulary size V from the base, with a note when it does not come from lm_head.weight. */
function vocabRows(base: TensorSource, notes: string[]): number | null {
  const head = base.get('lm_head.weight');
  if (head && head.shape.length > 0) return head.shape[0];
  const embed = base.get('model.embed_tokens.weight');
  if (embed && embed.shape.length > 0) {
    notes.push(`The base has no lm_head.weight (tied embeddings?): vocabulary size V = ${embed.shape[0]} taken from model.embed_tokens.weight.`);
    return embed.shape[0];
  }
  notes.push('The base has neither lm_head.weight nor model.embed_tokens.weight: no vocabulary truncation.');
  return null;
}

/** The shape of a model tensor after ModelKinship's `[:V]` slice of dim 0. */
function sliced(shape: number[], V: number | null): number[] {
  if (V === null || shape.length === 0 || shape[0] <= V) return shape;
  return [V, ...shape.slice(1)];
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkModelTensor(bt: TensorInfo, mt: TensorInfo, model: TensorSource, V: number | null, truncated: Map<string, string[]>): void {
  if (!FLOAT.has(mt.dtype)) {
    throw new CompatibilityError('kinship-dtype', `Tensor ${mt.name} of model ${model.id} is ${mt.dtype}, but the base's is ${bt.dtype}: kinship compares float tensors (F32, F16, BF16) only; convert the model or remove the tensor.`);
  }
  // Same shape as the base: compared whole. (ModelKinship slices EVERY tensor to its first V rows,
  // which breaks models whose hidden size exceeds the vocabulary, like the tiny demo zoo; real LLMs
  // never hit that, so comparing same-shaped tensors whole is the same result wherever theirs works.)
  if (sameShape(mt.shape, bt.shape)) return;
  const s = sliced(mt.shape, V);
  if (sameShape(s, bt.shape)) {
    if (s !== mt.shape) {
      const list = truncated.get(model.id) ?? [];
      list.push(`${mt.name} ${shapeStr(mt.shape)}`);
      truncated.set(model.id, list);
    }
    return;
  }
  const restSame = s.length === bt.shape.length && s.length > 0 && sameShape(s.slice(1), bt.shape.slice(1));
  if (restSame && s[0] < bt.shape[0]) {
    throw new CompatibilityError('kinship-fewer-rows', `Tensor ${mt.name} of model ${model.id} has ${mt.shape[0]} rows but the base has ${bt.shape[0]}: a model with a smaller vocabulary than the base cannot be compared; use a base with the smaller vocabulary.`);
  }
  throw new CompatibilityError('kinship-shape', `Tensor ${mt.name} of model ${model.id} has shape ${shapeStr(mt.shape)} (after keeping the first ${V ?? 'all'} rows: ${shapeStr(s)}), but the base's is ${shapeStr(bt.shape)}: the models do not share an architecture with the base.`);
}

export function planKinship(base: TensorSource, models: TensorSource[]): KinshipPlan {
  const notes: string[] = [];
  const V = vocabRows(base, notes);
  const missing = new Map<number, string[]>();
  const truncated = new Map<string, string[]>();
  const nonFloat: string[] = [];
  const tensors: KinshipTensorPlan[] = [];
  for (const bt of base.tensors()) {
    if (!FLOAT.has(bt.dtype)) {
      nonFloat.push(`${bt.name} (${bt.dtype})`);
      continue;
    }
    const present: number[] = [];
    models.forEach((m, i) => {
      const mt = m.get(bt.name);
      if (!mt) {
        missing.set(i, [...(missing.get(i) ?? []), bt.name]);
        return;
      }
      checkModelTensor(bt, mt, m, V, truncated);
      present.push(i);
    });
    tensors.push({ name: bt.name, numel: bt.numel, present });
  }
  if (nonFloat.length > 0) notes.push(`Skipped ${nonFloat.length} non-float tensor(s) of the base: ${listNames(nonFloat)}.`);
  for (const [i, names] of missing) {
    notes.push(`Model ${models[i].id} lacks ${names.length} tensor(s) of the base, skipped for its pairs: ${listNames(names)}.`);
  }
  for (const [id, names] of truncated) {
    notes.push(`Model ${id}: kept the first ${V} rows (the base's vocabulary) of ${listNames(names)}.`);
  }
  return { tensors, vocabRows: V, notes };
}
