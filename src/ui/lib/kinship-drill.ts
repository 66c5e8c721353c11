/**
 * The kinship drill-down's data: the engine's per-tensor-group results (core/kinship/groups.ts) laid out
 * as labelled grids for one pair (layers x tensor groups) or one model against all others (groups x
 * models), a CSV of them, and the reader of opened kinship files (matrices plus groups). Pure, so it
 * is tested in Node.
 *
 * Two kinds of "no value" are kept apart: `undefined` = the grid has no such group there (layer rows
 * have no embedding), drawn blank; `null` = the group exists but the metric is undefined on it (a task
 * vector that is zero or constant on those tensors, e.g. norms an expert never trained), drawn grey and
 * named as undefined. Neither is ever shown as 0.
 */
import type { KinshipGroup, TensorGroupKind } from '../../core/kinship/groups.ts';
import type { Metric } from './color.ts';
import { RecordFileError, parseKinshipMatrix, type KinshipMatrixData } from './record.ts';

/** The per-group metric drawn for a heatmap metric: the same one (per-group moments give all four
 * exactly), or pcc when the groups lack it (files written before cs_abs and ed were added). */
export type DrillMetric = 'pcc' | 'cs' | 'cs_abs' | 'ed';
export const drillMetricFor = (m: Metric, groups: readonly KinshipGroup[] = []): DrillMetric =>
  (groups.every((g) => g[m] !== undefined) ? m : 'pcc');
const groupValue = (g: KinshipGroup, metric: DrillMetric, i: number, j: number): number | null => g[metric]?.[i]?.[j] ?? null;

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
    values: cells.map((row) => row.map((g) => (g ? groupValue(g, metric, i, j) : undefined))),
    groups: cells,
  };
}

/** Model i against every other model: one row per group (base order), one column per other model. */
export function modelVsAllGrid(groups: KinshipGroup[], models: string[], i: number, metric: DrillMetric): DrillGrid {
  const others = models.map((_, j) => j).filter((j) => j !== i);
  return {
    rows: groups.map((g) => g.key),
    cols: others.map((j) => models[j]),
    values: groups.map((g) => others.map((j) => groupValue(g, metric, i, j))),
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
    const vals = pairs.map(([i, j]) => { const v = groupValue(g, metric, i, j); return v === null ? '' : String(v); });
    rows.push([q(g.key), g.layer === null ? '' : String(g.layer), g.group, String(g.tensors), String(g.numel), ...vals].join(','));
  }
  return rows.join('\n') + '\n';
}

const KINDS = new Set<string>(KIND_ORDER);
/** pcc and cs lie in [-1, 1] and cs_abs in [0, 1]; f64 rounding may step past by a few ulps, nothing more. */
const UNIT = 1 + 1e-9;
const RANGES = { pcc: [-UNIT, UNIT], cs: [-UNIT, UNIT], cs_abs: [0, UNIT], ed: [0, Infinity] } as const;

/**
 * Checks the `groups` of an opened kinship file (the engine's KinshipGroup[] for k models, as
 * `kinmerge kinship --json` writes them) as hostile input: every field's type and range, K x K
 * symmetric matrices, one entry per key and per (layer, group), so the grids never meet a shape they
 * cannot draw. Throws a RecordFileError naming the first problem.
 */
export function parseKinshipGroups(v: unknown, k: number): KinshipGroup[] {
  const no = (what: string): never => { throw new RecordFileError(`This file's "groups" are not kinship groups: ${what}. The whole-model matrix still opens without them; write the file again with "kinmerge kinship --json".`); };
  if (!Array.isArray(v)) no('"groups" must be a list');
  const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  const square = (m: unknown, name: string, [lo, hi]: readonly [number, number]): (number | null)[][] => {
    if (!Array.isArray(m) || m.length !== k || !m.every((r) => Array.isArray(r) && r.length === k)) no(`${name} must be ${k} x ${k} (one row and column per model)`);
    const rows = m as unknown[][];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const x = rows[i][j];
        if (x !== null && !(typeof x === 'number' && Number.isFinite(x))) no(`${name}[${i}][${j}] must be a number or null`);
        if (typeof x === 'number' && (x < lo || x > hi)) no(`${name}[${i}][${j}] = ${x} is outside [${lo < 0 ? -1 : 0}, ${hi === Infinity ? '∞' : 1}]`);
        const y = rows[j][i];
        if ((x === null) !== (y === null) || (typeof x === 'number' && Math.abs(x - (y as number)) > 1e-9)) no(`${name} must be symmetric ([${i}][${j}] differs from [${j}][${i}])`);
      }
    }
    return rows.map((r) => [...r]) as (number | null)[][];
  };
  const keys = new Set<string>();
  const slots = new Set<string>();
  return (v as unknown[]).map((g, n) => {
    if (!g || typeof g !== 'object' || Array.isArray(g)) no(`entry ${n} is not an object`);
    const o = g as Record<string, unknown>;
    if (typeof o.key !== 'string' || o.key === '') no(`entry ${n} has no "key" (a name such as "layers.0.mlp")`);
    const key = o.key as string;
    const at = `"${key.slice(0, 80)}"`;
    if (keys.has(key)) no(`${at} appears twice`);
    keys.add(key);
    if (!(o.layer === null || count(o.layer))) no(`${at}: "layer" must be a layer index (0, 1, ...) or null`);
    if (typeof o.group !== 'string' || !KINDS.has(o.group)) no(`${at}: "group" must be one of ${KIND_ORDER.join(', ')}`);
    const slot = `${o.layer}/${o.group}`;
    if (slots.has(slot)) no(`${at}: a second entry for layer ${o.layer} and group ${o.group}`);
    slots.add(slot);
    if (!count(o.tensors)) no(`${at}: "tensors" must be a count (0, 1, ...)`);
    if (!count(o.numel)) no(`${at}: "numel" must be an element count (0, 1, ...)`);
    const pcc = square(o.pcc, `${at}.pcc`, RANGES.pcc);
    const cs = square(o.cs, `${at}.cs`, RANGES.cs);
    // cs_abs and ed came later: optional, but checked like the others when present.
    const cs_abs = o.cs_abs === undefined ? undefined : square(o.cs_abs, `${at}.cs_abs`, RANGES.cs_abs);
    const ed = o.ed === undefined ? undefined : square(o.ed, `${at}.ed`, RANGES.ed);
    return { key, layer: o.layer as number | null, group: o.group as TensorGroupKind, tensors: o.tensors as number, numel: o.numel as number, pcc, cs, ...(cs_abs ? { cs_abs } : {}), ...(ed ? { ed } : {}) };
  });
}

/** An opened kinship file: its matrices, and its per-group values or why there are none. */
export interface KinshipFile {
  matrices: KinshipMatrixData[];
  split: boolean;
  groups: KinshipGroup[] | null;
  /** Why `groups` is null: the file has none, or they are malformed (the message says how). */
  groupsProblem: string | null;
}

/**
 * Reads a kinship JSON file: the `kinmerge kinship --json` object ({models, metrics, groups, ...}) or
 * one matrix ({metric, models, matrix}). A bad matrix rejects the file (RecordFileError); bad or
 * missing groups only cost the drill-down, so the matrix still opens and `groupsProblem` says why.
 */
export function parseKinshipFile(v: unknown, name: string): KinshipFile {
  const o = (v && typeof v === 'object' ? v : {}) as { models?: unknown; metrics?: unknown; groups?: unknown; split?: unknown };
  const matrices: KinshipMatrixData[] = [];
  if (o.metrics !== undefined && !Array.isArray(v)) {
    if (!o.metrics || typeof o.metrics !== 'object' || Array.isArray(o.metrics)) throw new RecordFileError('This file is not a kinship matrix: "metrics" must be an object of K x K matrices, as "kinmerge kinship --json" writes.');
    for (const [metric, matrix] of Object.entries(o.metrics)) matrices.push(parseKinshipMatrix({ metric, models: o.models, matrix }));
    if (matrices.length === 0) throw new RecordFileError('This file is not a kinship matrix: "metrics" is empty. Run "kinmerge kinship --json" with at least one --metric.');
  } else matrices.push(parseKinshipMatrix(v));
  let groups: KinshipGroup[] | null = null;
  let groupsProblem: string | null = null;
  if (o.groups === undefined || o.groups === null) {
    groupsProblem = `${name} has no per-group values ("groups"), only the whole-model matrix; the per-layer drill-down needs them. Files written by "kinmerge kinship --json" carry them, or compute kinship here.`;
  } else {
    try {
      groups = parseKinshipGroups(o.groups, matrices[0].models.length);
    } catch (e) {
      if (!(e instanceof RecordFileError)) throw e;
      groupsProblem = e.message;
    }
  }
  return { matrices, split: o.split === true, groups, groupsProblem };
}
