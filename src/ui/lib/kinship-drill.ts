/**
 * The kinship drill-down's data: the engine's per-tensor-group results (core/kinship/groups.ts) laid out
 * as labelled grids for one pair (layers x tensor groups) or one model against all others (groups x
 * models), a CSV of them, and a check for groups read from a file. Pure, so it is tested in Node.
 *
 * Two kinds of "no value" are kept apart: `undefined` = the grid has no such group there (layer rows
 * have no embedding), drawn blank; `null` = the group exists but the metric is undefined on it (a task
 * vector that is zero or constant on those tensors, e.g. norms an expert never trained), drawn grey and
 * named as undefined. Neither is ever shown as 0.
 */
import type { KinshipGroup, TensorGroupKind } from '../../core/kinship/groups.ts';
import type { Metric } from './color.ts';
import { RecordFileError } from './record.ts';

/** The metrics the engine computes per group (moments per group give pcc and cs exactly). */
export type DrillMetric = 'pcc' | 'cs';
export const drillMetricFor = (m: Metric): DrillMetric => (m === 'cs' ? 'cs' : 'pcc');

export type Cell = number | null | undefined;

export interface DrillGrid {
  rows: string[];
  cols: string[];
  /** values[r][c]; see the module comment for undefined vs null. */
  values: Cell[][];
  /** The group behind each cell (for the readout: key, tensors, elements), undefined where none. */
  groups: (KinshipGroup | undefined)[][];
}

const KIND_ORDER: TensorGroupKind[] = ['embed', 'self_attn', 'mlp', 'norm', 'head', 'other'];
export const KIND_LABEL: Record<TensorGroupKind, string> = {
  embed: 'embeddings', self_attn: 'attention', mlp: 'mlp', norm: 'norms', head: 'lm head', other: 'other',
};
const OUTSIDE = 'outside layers';

/** Pair (i, j): one row per decoder layer (plus one for the tensors outside the layers), one column per group kind. */
export function pairGrid(groups: KinshipGroup[], i: number, j: number, metric: DrillMetric): DrillGrid {
  const kinds = KIND_ORDER.filter((k) => groups.some((g) => g.group === k));
  const layers = [...new Set(groups.flatMap((g) => (g.layer === null ? [] : [g.layer])))].sort((a, b) => a - b);
  const hasOutside = groups.some((g) => g.layer === null);
  const rowKeys: (number | null)[] = [...(hasOutside ? [null] : []), ...layers];
  const at = (layer: number | null, kind: TensorGroupKind) => groups.find((g) => g.layer === layer && g.group === kind);
  const cells = rowKeys.map((layer) => kinds.map((k) => at(layer, k)));
  return {
    rows: rowKeys.map((l) => (l === null ? OUTSIDE : `layer ${l}`)),
    cols: kinds.map((k) => KIND_LABEL[k]),
    values: cells.map((row) => row.map((g) => (g ? (g[metric][i]?.[j] ?? null) : undefined))),
    groups: cells,
  };
}

/** Model i against every other model: one row per group (base order), one column per other model. */
export function modelVsAllGrid(groups: KinshipGroup[], models: string[], i: number, metric: DrillMetric): DrillGrid {
  const others = models.map((_, j) => j).filter((j) => j !== i);
  return {
    rows: groups.map((g) => g.key),
    cols: others.map((j) => models[j]),
    values: groups.map((g) => others.map((j) => g[metric][i]?.[j] ?? null)),
    groups: groups.map((g) => others.map(() => g)),
  };
}

/** Lowest and highest defined cell of a grid, for a one-line summary; null when none is defined. */
export function gridRange(grid: DrillGrid): { lo: { row: string; col: string; v: number }; hi: { row: string; col: string; v: number } } | null {
  let lo = null, hi = null;
  for (let r = 0; r < grid.rows.length; r++) {
    for (let c = 0; c < grid.cols.length; c++) {
      const v = grid.values[r][c];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (!lo || v < lo.v) lo = { row: grid.rows[r], col: grid.cols[c], v };
      if (!hi || v > hi.v) hi = { row: grid.rows[r], col: grid.cols[c], v };
    }
  }
  return lo && hi ? { lo, hi } : null;
}

/** CSV: one row per group, one column per pair i < j; undefined values are empty fields. */
export function groupsCsv(groups: KinshipGroup[], models: string[], metric: DrillMetric): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const pairs: [number, number][] = [];
  for (let i = 0; i < models.length; i++) for (let j = i + 1; j < models.length; j++) pairs.push([i, j]);
  const head = ['key', 'layer', 'group', 'tensors', 'elements', ...pairs.map(([i, j]) => `${metric} ${models[i]} vs ${models[j]}`)];
  const rows = [head.map(q).join(',')];
  for (const g of groups) {
    const vals = pairs.map(([i, j]) => { const v = g[metric][i]?.[j]; return v === null || v === undefined ? '' : String(v); });
    rows.push([q(g.key), g.layer === null ? '' : String(g.layer), g.group, String(g.tensors), String(g.numel), ...vals].join(','));
  }
  return rows.join('\n') + '\n';
}

const KINDS = new Set<string>(KIND_ORDER);
/** Checks the `groups` of an opened kinship file (the engine's KinshipGroup[] for k models). */
export function parseKinshipGroups(v: unknown, k: number): KinshipGroup[] {
  const no = (what: string): never => { throw new RecordFileError(`This file's "groups" are not kinship groups: ${what}. Remove "groups" to open only the matrix, or export the file again.`); };
  if (!Array.isArray(v)) no('"groups" must be a list');
  const square = (m: unknown, name: string) => {
    if (!Array.isArray(m) || m.length !== k || !m.every((r) => Array.isArray(r) && r.length === k && r.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))))) {
      no(`${name} must be ${k} x ${k} numbers or nulls`);
    }
  };
  return (v as unknown[]).map((g, n) => {
    const o = g as Record<string, unknown>;
    if (!o || typeof o !== 'object') no(`entry ${n} is not an object`);
    if (typeof o.key !== 'string') no(`entry ${n} has no "key"`);
    if (!(o.layer === null || (Number.isInteger(o.layer) && (o.layer as number) >= 0))) no(`"${o.key}": "layer" must be a layer index or null`);
    if (!KINDS.has(o.group as string)) no(`"${o.key}": "group" must be one of ${KIND_ORDER.join(', ')}`);
    square(o.pcc, `"${o.key}".pcc`);
    square(o.cs, `"${o.key}".cs`);
    return { key: o.key, layer: o.layer, group: o.group, tensors: Number(o.tensors) || 0, numel: Number(o.numel) || 0, pcc: o.pcc, cs: o.cs } as KinshipGroup;
  });
}
