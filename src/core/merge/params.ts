/**
 * Parameter settings as mergekit evaluates them (`config.py::evaluate_setting`): a scalar, a gradient
 * (list of numbers interpolated piecewise-linearly over the layer position) or a list of conditionals
 * `{filter, value}` (first match wins, substring filter, the value may itself be a gradient).
 */
import { RecipeError } from '../errors';

export type Gradient = number[];
export interface Conditional { filter?: string; value: number | boolean | Gradient }
export type ParamValue = number | boolean | Gradient | Conditional[];

/** Layer index from a tensor name (`...layers.<i>....`, also `h.<i>.` and `blocks.<i>.`), or -1. */
export function layerIndex(tensorName: string): number {
  const m = /(?:^|\.)(?:layers|h|blocks|layer)\.(\d+)\./.exec(tensorName);
  return m ? Number(m[1]) : -1;
}

/** Number of layers L = 1 + the largest layer index among the names (0 when none has one). */
export function countLayers(tensorNames: Iterable<string>): number {
  let max = -1;
  for (const n of tensorNames) max = Math.max(max, layerIndex(n));
  return max + 1;
}

/**
 * Position p in [0, 1] of a tensor: i/(L-1) for layer i (1 when L = 1); tensors outside the layers
 * (embeddings, final norm, lm_head) sit at p = 0, as in mergekit's current planner.
 */
export function layerPosition(tensorName: string, nLayers: number): number {
  const i = layerIndex(tensorName);
  if (i < 0) return 0;
  return nLayers <= 1 ? 1 : i / (nLayers - 1);
}

/** mergekit's gradient interpolation at position p. */
export function interpolateGradient(g: Gradient, p: number): number {
  if (g.length === 0) throw new RecipeError('empty-gradient', 'A gradient needs at least one value.');
  const scaled = p * (g.length - 1);
  const i0 = Math.floor(scaled);
  const i1 = Math.min(g.length - 1, i0 + 1);
  const f = scaled - i0;
  return (1 - f) * g[i0] + f * g[i1];
}

function isConditionalList(v: unknown): v is Conditional[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e));
}

/**
 * Value of a setting for one tensor, or undefined when a conditional list has no matching entry
 * (the caller then falls back to the next level of precedence, as mergekit does).
 */
export function evaluateSetting(v: ParamValue | undefined, tensorName: string, p: number): number | boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (isConditionalList(v)) {
    for (const c of v) {
      if (c.filter === undefined || c.filter === null || c.filter === '*' || tensorName.includes(c.filter)) {
        return evaluateSetting(c.value as ParamValue, tensorName, p);
      }
    }
    return undefined;
  }
  return interpolateGradient(v as Gradient, p);
}

/** Checks the shape of a setting from YAML/JSON; returns it typed or throws a RecipeError naming `where`. */
export function validateSetting(v: unknown, where: string): ParamValue {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RecipeError('bad-parameter', `${where}: ${v} is not a finite number.`);
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) throw new RecipeError('bad-parameter', `${where}: an empty list is not a valid setting.`);
    if (v.every((x) => typeof x === 'number')) {
      v.forEach((x, i) => validateSetting(x, `${where}[${i}]`));
      return v as Gradient;
    }
    return v.map((c, i) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) {
        throw new RecipeError('bad-parameter',
          `${where}[${i}]: expected a number (gradient) or {filter, value} (conditional), got ${JSON.stringify(c)}.`);
      }
      const extra = Object.keys(c).filter((k) => k !== 'filter' && k !== 'value');
      if (extra.length) throw new RecipeError('bad-parameter', `${where}[${i}]: unknown key(s) ${extra.join(', ')}; a conditional has filter and value.`);
      const o = c as Record<string, unknown>;
      if (o.filter !== undefined && o.filter !== null && typeof o.filter !== 'string') {
        throw new RecipeError('bad-parameter', `${where}[${i}].filter must be a string.`);
      }
      if (!('value' in o)) throw new RecipeError('bad-parameter', `${where}[${i}] has no value.`);
      const value = validateSetting(o.value, `${where}[${i}].value`);
      if (isConditionalList(value)) throw new RecipeError('bad-parameter', `${where}[${i}].value: conditionals do not nest.`);
      const out: Conditional = { value: value as number | boolean | Gradient };
      if (typeof o.filter === 'string') out.filter = o.filter;
      return out;
    });
  }
  throw new RecipeError('bad-parameter', `${where}: expected a number, a boolean, a gradient list or a list of {filter, value}, got ${JSON.stringify(v)}.`);
}

/**
 * The first defined value in precedence order (most specific first), e.g.
 * [slice source params, slice params, model params, top-level params]; conditionals that match nothing
 * fall through to the next level.
 */
export function resolveSetting(levels: (ParamValue | undefined)[], tensorName: string, p: number): number | boolean | undefined {
  for (const v of levels) {
    const r = evaluateSetting(v, tensorName, p);
    if (r !== undefined) return r;
  }
  return undefined;
}
