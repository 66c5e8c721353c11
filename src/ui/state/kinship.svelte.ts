import type { KinshipMatrixData } from '../lib/record.ts';
import type { Metric } from '../lib/color.ts';
import type { KinshipGroup } from '../../core/kinship/groups.ts';

/** A picked heatmap cell: a pair of models, or one model against all others when i === j. */
export interface Picked { i: number; j: number }

/**
 * Kinship view: the chosen metric and picked cell (small, editable) and the loaded matrices and
 * per-group results (big, replaced whole, so `$state.raw`: plain arrays, never proxied).
 */
export class KinshipSession {
  metric = $state<Metric>('pcc');
  /** One matrix per metric, from the engine or an opened file. */
  matrices = $state.raw<Partial<Record<Metric, KinshipMatrixData>>>({});
  /** Per layer and tensor group pcc/cs (the engine's `groups`), indexed like the matrices' models; null when the source had none. */
  groups = $state.raw<KinshipGroup[] | null>(null);
  /** Why `groups` is null for an opened file (none in it, or malformed), shown where the drill-down would be. */
  groupsProblem = $state<string | null>(null);
  /** Whether the matrices are split-mode means (per-group values are always pooled over each group). */
  split = $state(false);
  picked = $state<Picked | null>(null);
  source = $state('');

  current(): KinshipMatrixData | null {
    return this.matrices[this.metric] ?? null;
  }
  load(list: KinshipMatrixData[], source: string, groups: KinshipGroup[] | null = null, extra: { groupsProblem?: string | null; split?: boolean } = {}): void {
    const next: Partial<Record<Metric, KinshipMatrixData>> = {};
    for (const m of list) next[m.metric] = m;
    this.matrices = next;
    this.groups = groups;
    this.groupsProblem = extra.groupsProblem ?? null;
    this.split = extra.split ?? false;
    this.picked = null;
    this.source = source;
    if (!next[this.metric]) this.metric = list[0].metric;
  }
}

/** CSV of a matrix: a header row of model names, then one row per model. */
export function matrixCsv(m: KinshipMatrixData): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [[m.metric, ...m.models].map(q).join(',')];
  m.matrix.forEach((r, i) => rows.push([q(m.models[i]), ...r.map((v) => (v === null ? '' : String(v)))].join(',')));
  return rows.join('\n') + '\n';
}
