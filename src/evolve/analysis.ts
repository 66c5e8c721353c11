/**
 * Analyses over a run: kinship vs merge gain and vs |gain| (the paper's Table 1), and the per-layer
 * weight change between a model and a child (the paper's Figure 6).
 */
import type { TensorSource } from '../core/types';
import { pearson, type Correlation } from './stats';
import type { EvolveRecord } from './types';

export interface GainCorrelation {
  metric: string;
  points: Array<{ id: string; kinship: number; gain: number; generation: number; exploration: boolean }>;
  gain: Correlation;
  absGain: Correlation;
}

export function gainCorrelation(rec: EvolveRecord): GainCorrelation {
  const points = rec.models
    .filter((m) => m.parents.length === 2 && m.gain !== null && m.parent_kinship !== null)
    .map((m) => ({ id: m.id, kinship: m.parent_kinship!, gain: m.gain!, generation: m.generation, exploration: m.exploration }));
  const k = points.map((p) => p.kinship);
  return {
    metric: rec.config.metric,
    points,
    gain: pearson(k, points.map((p) => p.gain)),
    absGain: pearson(k, points.map((p) => Math.abs(p.gain))),
  };
}

export interface LayerChange {
  /** 'embed', 'layer 0', ..., 'final' (model.norm + lm_head). */
  group: string;
  /** ||child - parent||_2 over the group's tensors. */
  l2: number;
  /** l2 / ||parent||_2 over the group. */
  relative: number;
}

/** Group a Llama tensor name: per decoder layer, embeddings, and the final norm + head. */
export function layerGroup(name: string): string {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(name);
  if (m) return `layer ${m[1]}`;
  if (name.includes('embed')) return 'embed';
  return 'final';
}

/** Per-layer weight change from `parent` to `child`, streamed in chunks (f64 sums). */
export async function weightChange(parent: TensorSource, child: TensorSource, chunkElems = 1 << 20, signal?: AbortSignal): Promise<LayerChange[]> {
  const acc = new Map<string, { d: number; p: number }>();
  for (const t of parent.tensors()) {
    const c = child.get(t.name);
    if (!c || c.numel !== t.numel) continue;
    const g = acc.get(layerGroup(t.name)) ?? { d: 0, p: 0 };
    for (let s = 0; s < t.numel; s += chunkElems) {
      const n = Math.min(chunkElems, t.numel - s);
      const [a, b] = await Promise.all([parent.readF32(t.name, s, n, signal), child.readF32(t.name, s, n, signal)]);
      for (let i = 0; i < n; i++) { const d = b[i] - a[i]; g.d += d * d; g.p += a[i] * a[i]; }
    }
    acc.set(layerGroup(t.name), g);
  }
  const key = (g: string) => (g === 'embed' ? -1 : g === 'final' ? 1e9 : Number(g.slice(6)));
  return [...acc.entries()].sort((x, y) => key(x[0]) - key(y[0]))
    .map(([group, { d, p }]) => ({ group, l2: Math.sqrt(d), relative: p > 0 ? Math.sqrt(d / p) : 0 }));
}
