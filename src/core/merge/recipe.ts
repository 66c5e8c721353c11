/**
 * mergekit YAML/JSON recipes: parse into a typed `MergeRecipe`, validate against the method registry, and
 * write back YAML that mergekit can run. Model references stay strings (paths or names); whoever runs the
 * recipe resolves them.
 *
 * Supported subset: merge_method, base_model, models[].model/.parameters, parameters, dtype, out_dtype,
 * and `slices` with ONE slice whose sources list the models (layer_range must cover every layer; the
 * executor checks that once it knows the layer count).
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { RecipeError } from '../errors';
import type { FloatDType } from '../types';
import { validateSetting, type ParamValue } from './params';
import { getMethod, methodNames } from './registry';
import type { MethodName } from './types';

export type DTypeName = 'float32' | 'bfloat16' | 'float16';
export type Params = Record<string, ParamValue>;

export interface ModelEntry { model: string; parameters?: Params }
export interface SliceSource { model: string; layer_range?: [number, number]; parameters?: Params }
export interface Slice { sources: SliceSource[]; parameters?: Params }

export interface MergeRecipe {
  merge_method: MethodName;
  base_model?: string;
  models?: ModelEntry[];
  slices?: [Slice];
  parameters?: Params;
  dtype?: DTypeName;
  out_dtype?: DTypeName;
}

const TOP_KEYS = ['merge_method', 'base_model', 'models', 'slices', 'parameters', 'dtype', 'out_dtype'];
const DTYPE_ALIASES: Record<string, DTypeName> = {
  float32: 'float32', fp32: 'float32', f32: 'float32',
  bfloat16: 'bfloat16', bf16: 'bfloat16',
  float16: 'float16', fp16: 'float16', f16: 'float16', half: 'float16',
};

export function dtypeOfName(n: DTypeName): FloatDType {
  return n === 'float32' ? 'F32' : n === 'bfloat16' ? 'BF16' : 'F16';
}

function fail(code: string, msg: string): never { throw new RecipeError(code, msg); }

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('bad-recipe', `${where} must be a mapping (key: value), got ${JSON.stringify(v)}.`);
  return v as Record<string, unknown>;
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  const bad = Object.keys(o).filter((k) => !allowed.includes(k));
  if (bad.length) fail('unknown-key', `${where}: unsupported key(s) ${bad.join(', ')}. Supported: ${allowed.join(', ')}.`);
}

function modelRef(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail('bad-model', `${where} must be a model path or name (a non-empty string).`);
  return v;
}

function dtypeName(v: unknown, where: string): DTypeName {
  const d = typeof v === 'string' ? DTYPE_ALIASES[v.toLowerCase()] : undefined;
  if (!d) fail('bad-dtype', `${where}: unsupported dtype ${JSON.stringify(v)}. Supported: float32, bfloat16, float16.`);
  return d;
}

function params(v: unknown, where: string, allowed: string[]): Params | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, where);
  const out: Params = {};
  for (const [k, val] of Object.entries(o)) {
    if (!allowed.includes(k)) {
      fail('unknown-parameter', `${where}: unknown parameter ${k}. This method reads: ${allowed.join(', ') || '(none)'}.`);
    }
    out[k] = validateSetting(val, `${where}.${k}`);
  }
  return out;
}

/** Parse and validate a recipe from YAML (or JSON, which is YAML) text or an already parsed object. */
export function parseRecipe(input: string | unknown): MergeRecipe {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try { raw = parseYaml(input); } catch (e) {
      throw new RecipeError('bad-yaml', `The recipe is not valid YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  const o = obj(raw, 'The recipe');
  checkKeys(o, TOP_KEYS, 'The recipe');
  if (typeof o.merge_method !== 'string') fail('no-method', `The recipe needs merge_method. Supported: ${methodNames().join(', ')}.`);
  const method = getMethod(o.merge_method);
  const globalNames = method.parameters.map((p) => p.name);
  const allNames = [...globalNames, ...method.modelParameters.map((p) => p.name)];
  const modelNames = method.modelParameters.map((p) => p.name);

  const r: MergeRecipe = { merge_method: method.name };
  if (o.base_model !== undefined && o.base_model !== null) r.base_model = modelRef(o.base_model, 'base_model');
  // Top-level parameters may hold per-model defaults too (mergekit reads them as the fallback).
  const top = params(o.parameters, 'parameters', allNames);
  if (top) r.parameters = top;
  if (o.dtype !== undefined) r.dtype = dtypeName(o.dtype, 'dtype');
  if (o.out_dtype !== undefined) r.out_dtype = dtypeName(o.out_dtype, 'out_dtype');

  if (o.models !== undefined && o.slices !== undefined) fail('models-and-slices', 'Give either models or slices, not both (mergekit refuses both).');
  if (o.models !== undefined) {
    if (!Array.isArray(o.models) || o.models.length === 0) fail('bad-models', 'models must be a non-empty list of {model, parameters}.');
    r.models = o.models.map((m, i) => {
      const e = obj(m, `models[${i}]`);
      checkKeys(e, ['model', 'parameters'], `models[${i}]`);
      const entry: ModelEntry = { model: modelRef(e.model, `models[${i}].model`) };
      const p = params(e.parameters, `models[${i}].parameters`, modelNames);
      if (p) entry.parameters = p;
      return entry;
    });
  } else if (o.slices !== undefined) {
    if (!Array.isArray(o.slices) || o.slices.length !== 1) {
      fail('slices', `kinmerge supports slices with exactly one slice covering all layers (got ${Array.isArray(o.slices) ? o.slices.length : 'no list'}); use models: for whole-model merges.`);
    }
    const s = obj(o.slices[0], 'slices[0]');
    checkKeys(s, ['sources', 'parameters'], 'slices[0]');
    if (!Array.isArray(s.sources) || s.sources.length === 0) fail('bad-slices', 'slices[0].sources must be a non-empty list of {model, layer_range}.');
    const slice: Slice = {
      sources: s.sources.map((m, i) => {
        const e = obj(m, `slices[0].sources[${i}]`);
        checkKeys(e, ['model', 'layer_range', 'parameters'], `slices[0].sources[${i}]`);
        const src: SliceSource = { model: modelRef(e.model, `slices[0].sources[${i}].model`) };
        if (e.layer_range !== undefined) {
          const lr = e.layer_range;
          if (!Array.isArray(lr) || lr.length !== 2 || !lr.every((x) => Number.isInteger(x) && x >= 0) || lr[0] >= lr[1]) {
            fail('bad-layer-range', `slices[0].sources[${i}].layer_range must be [start, end] with 0 <= start < end.`);
          }
          src.layer_range = [lr[0], lr[1]];
        }
        const p = params(e.parameters, `slices[0].sources[${i}].parameters`, allNames);
        if (p) src.parameters = p;
        return src;
      }),
    };
    const sp = params(s.parameters, 'slices[0].parameters', allNames);
    if (sp) slice.parameters = sp;
    r.slices = [slice];
  } else {
    fail('no-models', 'The recipe lists no models: give models: [{model: ...}] or slices: [{sources: [...]}].');
  }
  checkModelCounts(r);
  return r;
}

/** The model entries (recipe order) with their per-model parameter levels, most specific first. */
export interface ResolvedEntry { model: string; levels: (Params | undefined)[] }
export function recipeEntries(r: MergeRecipe): ResolvedEntry[] {
  if (r.models) return r.models.map((m) => ({ model: m.model, levels: [m.parameters] }));
  const s = r.slices![0];
  return s.sources.map((src) => ({ model: src.model, levels: [src.parameters, s.parameters] }));
}

/** Distinct model references: the base first (when there is one), then the others in recipe order. */
export function recipeInputs(r: MergeRecipe): { refs: string[]; base: number; models: number[] } {
  const refs: string[] = [];
  if (r.base_model !== undefined) refs.push(r.base_model);
  for (const e of recipeEntries(r)) if (!refs.includes(e.model)) refs.push(e.model);
  const base = r.base_model !== undefined ? 0 : -1;
  const models = refs.map((_, i) => i).filter((i) => i !== base);
  return { refs, base, models };
}

function checkModelCounts(r: MergeRecipe): void {
  const m = getMethod(r.merge_method);
  const { refs, models } = recipeInputs(r);
  if (m.base === 'required' && r.base_model === undefined) fail('no-base', `${m.name} needs base_model.`);
  const entries = recipeEntries(r).map((e) => e.model);
  const dup = entries.find((e, i) => entries.indexOf(e) !== i);
  if (dup) fail('duplicate-model', `Model ${dup} is listed twice; list each model once.`);
  const n = m.name === 'linear' ? entries.length : refs.length;
  if (n < m.minModels || n > m.maxModels) {
    const want = m.minModels === m.maxModels ? `exactly ${m.minModels}` : `${m.minModels} to ${m.maxModels === Infinity ? 'any number of' : m.maxModels}`;
    fail('model-count', `${m.name} merges ${want} models (base included), got ${n}.`);
  }
  if (m.name !== 'linear' && models.length === 0) fail('model-count', `${m.name} needs at least one model besides the base.`);
}

/** YAML that mergekit can run and that parses back to the same recipe. */
export function recipeToYaml(r: MergeRecipe): string {
  const out: Record<string, unknown> = {};
  if (r.slices) out.slices = r.slices;
  else out.models = r.models;
  out.merge_method = r.merge_method;
  if (r.base_model !== undefined) out.base_model = r.base_model;
  if (r.parameters) out.parameters = r.parameters;
  if (r.dtype) out.dtype = r.dtype;
  if (r.out_dtype) out.out_dtype = r.out_dtype;
  return stringifyYaml(out);
}
