import type { KinshipMatrixData } from '../lib/record.ts';
import type { Metric } from '../lib/color.ts';

/** Kinship view: the chosen metric (small, editable) and the loaded matrices (big, replaced whole). */
export class KinshipSession {
  metric = $state<Metric>('pcc');
  /** One matrix per metric, from the engine or an opened file. */
  matrices = $state.raw<Partial<Record<Metric, KinshipMatrixData>>>({});
  source = $state('');

  current(): KinshipMatrixData | null {
    return this.matrices[this.metric] ?? null;
  }
  load(list: KinshipMatrixData[], source: string): void {
    const next: Partial<Record<Metric, KinshipMatrixData>> = {};
    for (const m of list) next[m.metric] = m;
    this.matrices = next;
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
