/**
 * Tensor groups for drilling into a kinship result: per decoder layer, the attention, MLP and norm
 * tensors; outside the layers, the embedding, the head and the final norm. Each group gets its own
 * pair moments (summed tensor Grams), so each metric is exact for that group, not an average.
 */
import { PairTable } from './pairs';
import type { TensorGram } from './gram';

export type TensorGroupKind = 'embed' | 'self_attn' | 'mlp' | 'norm' | 'head' | 'other';

export interface KinshipGroup {
  /** e.g. "layers.3.mlp", "embed", "norm". */
  key: string;
  layer: number | null;
  group: TensorGroupKind;
  tensors: number;
  numel: number;
  /** K x K Pearson correlation over this group's elements, null where undefined. */
  pcc: (number | null)[][];
  /** K x K signed cosine over this group's elements, null where undefined. */
  cs: (number | null)[][];
  /** K x K |cosine| (ModelKinship's cs), and Euclidean distance of the task vectors over this group.
   * Optional only for files written before they were added; the engine always fills them. */
  cs_abs?: (number | null)[][];
  ed?: (number | null)[][];
}

/** Layer index and group of a tensor name (Llama/Mistral/Qwen naming; unknown names are 'other'). */
export function classifyTensor(name: string): { layer: number | null; group: TensorGroupKind } {
  const m = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./.exec(name);
  const layer = m ? Number(m[1]) : null;
  let group: TensorGroupKind;
  // Norms first: "post_attention_layernorm" is a norm, not attention.
  if (/norm|(?:^|\.)ln_/.test(name)) group = 'norm';
  else if (/attn|attention/.test(name)) group = 'self_attn';
  else if (/mlp|feed_forward|ffn/.test(name)) group = 'mlp';
  else if (/embed|wte|wpe/.test(name)) group = 'embed';
  else if (/lm_head|output\.weight/.test(name)) group = 'head';
  else group = 'other';
  return { layer, group };
}

export class GroupTables {
  private readonly groups = new Map<string, { layer: number | null; group: TensorGroupKind; tensors: number; numel: number; table: PairTable }>();
  constructor(readonly K: number) {}

  add(name: string, g: TensorGram, present: number[]): void {
    const { layer, group } = classifyTensor(name);
    const key = layer === null ? group : `layers.${layer}.${group}`;
    let entry = this.groups.get(key);
    if (!entry) {
      entry = { layer, group, tensors: 0, numel: 0, table: new PairTable(this.K) };
      this.groups.set(key, entry);
    }
    entry.tensors += 1;
    entry.numel += g.n;
    entry.table.add(g, present);
  }

  /** Groups in first-seen (base) order. */
  result(): KinshipGroup[] {
    const values = (t: PairTable, metric: 'pcc' | 'cs' | 'cs_abs' | 'ed') => t.outcomes(metric).map((row) => row.map((o) => o.value));
    return [...this.groups].map(([key, e]) => ({
      key, layer: e.layer, group: e.group, tensors: e.tensors, numel: e.numel,
      pcc: values(e.table, 'pcc'), cs: values(e.table, 'cs'), cs_abs: values(e.table, 'cs_abs'), ed: values(e.table, 'ed'),
    }));
  }
}
