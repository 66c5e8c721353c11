/**
 * Planning a whole merge before anything is written: compatibility of the models, the output layout
 * (the reference model's tensor order), each tensor's output dtype and its `TensorPlan`. Everything a
 * user can get wrong (a missing tensor, a shape mismatch, a missing required parameter, a bad
 * layer_range) fails here, so no output is started for a merge that cannot finish.
 */
import { isFloatDType } from '../dtype';
import { CompatibilityError, RecipeError } from '../errors';
import type { FloatDType, TensorInfo, TensorSource } from '../types';
import { countLayers, layerPosition, resolveSetting, type ParamValue } from './params';
import { dtypeOfName, recipeEntries, recipeInputs, type MergeRecipe, type Params } from './recipe';
import { getMethod } from './registry';
import type { ParamSpec, PlanContext, TensorPlan } from './types';

export interface PlannedTensor {
  name: string;
  shape: number[];
  numel: number;
  /** Output dtype: out_dtype, else dtype, else the reference model's. Non-float tensors keep theirs. */
  outDtype: TensorInfo['dtype'];
  /** Float tensors get a plan; others are copied byte for byte from the reference model. */
  plan: TensorPlan | { kind: 'raw'; input: number };
}

export interface MergePlan {
  refs: string[];
  /** Input index whose tensor order, non-float tensors and dtypes the output follows. */
  reference: number;
  nLayers: number;
  tensors: PlannedTensor[];
  notes: string[];
}

const MERGEABLE = ['F32', 'F16', 'BF16'];

export function planMerge(recipe: MergeRecipe, sources: TensorSource[], seed: number): MergePlan {
  const method = getMethod(recipe.merge_method);
  const { refs, base, models } = recipeInputs(recipe);
  if (sources.length !== refs.length) throw new Error(`planMerge: ${refs.length} sources expected, got ${sources.length}`);
  const entries = recipeEntries(recipe);
  const useBase = method.base !== 'none' ? base : -1;
  const mergeInputs = method.base === 'none' ? entries.map((e) => refs.indexOf(e.model)) : models;
  const reference = base >= 0 ? base : mergeInputs[0];
  const refTensors = sources[reference].tensors();
  const notes: string[] = [];
  const nLayers = countLayers(refTensors.map((t) => t.name));
  checkSlices(recipe, nLayers);
  const top = recipe.parameters;
  const globalLevels: (Params | undefined)[] = [recipe.slices?.[0].parameters, top];
  const levelsOf = (input: number): (Params | undefined)[] => {
    const e = entries.find((x) => x.model === refs[input]);
    return [...(e?.levels ?? []), top];
  };
  const castDtype = recipe.dtype ? dtypeOfName(recipe.dtype) : undefined;
  const outName = recipe.out_dtype ?? recipe.dtype;
  const outDtype = outName ? dtypeOfName(outName) : undefined;

  const others = sources.map((s, i) => i).filter((i) => i !== reference);
  const tensors: PlannedTensor[] = [];
  for (const t of refTensors) {
    for (const i of others) {
      const o = sources[i].get(t.name);
      if (!o) {
        throw new CompatibilityError('missing-tensor', `Tensor ${t.name} is in ${sources[reference].id} but not in ${sources[i].id}; the models must have the same architecture.`);
      }
      if (o.shape.length !== t.shape.length || o.shape.some((d, k) => d !== t.shape[k])) {
        throw new CompatibilityError('shape-mismatch', `Tensor ${t.name} has shape [${t.shape}] in ${sources[reference].id} but [${o.shape}] in ${sources[i].id}; the models must have the same architecture.`);
      }
      if (isFloatDType(t.dtype) !== isFloatDType(o.dtype) || (!isFloatDType(t.dtype) && o.dtype !== t.dtype)) {
        throw new CompatibilityError('dtype-mismatch', `Tensor ${t.name} is ${t.dtype} in ${sources[reference].id} but ${o.dtype} in ${sources[i].id}.`);
      }
    }
    if (!isFloatDType(t.dtype)) {
      if (t.dtype === 'F64' || t.dtype.startsWith('F8') || t.dtype.startsWith('F4') || t.dtype.startsWith('F6')) {
        throw new CompatibilityError('dtype-unsupported', `Tensor ${t.name} is ${t.dtype}; merges read ${MERGEABLE.join(', ')}. Convert the model first.`);
      }
      notes.push(`${t.name} (${t.dtype}) is not a float tensor: copied from ${sources[reference].id}.`);
      tensors.push({ name: t.name, shape: t.shape, numel: t.numel, outDtype: t.dtype, plan: { kind: 'raw', input: reference } });
      continue;
    }
    const p = layerPosition(t.name, nLayers);
    const value = (spec: ParamSpec, levels: (Params | undefined)[], who: string): number | boolean => {
      const v = resolveSetting(levels.map((l): ParamValue | undefined => l?.[spec.name]), t.name, p);
      return checkValue(method.name, spec, v ?? spec.default, t.name, who);
    };
    const ctx: PlanContext = {
      tensorName: t.name,
      numel: t.numel,
      base: useBase,
      models: mergeInputs,
      seed,
      global: (name) => value(specOf(method.parameters, name), globalLevels, 'parameters'),
      model: (input, name) => value(specOf(method.modelParameters, name), levelsOf(input), refs[input]),
      note: (m) => notes.push(m),
    };
    const plan = method.planTensor(ctx);
    tensors.push({ name: t.name, shape: t.shape, numel: t.numel, outDtype: outDtype ?? castDtype ?? (t.dtype as FloatDType), plan });
  }
  const extra = new Set<string>();
  for (const i of others) for (const o of sources[i].tensors()) if (!sources[reference].get(o.name)) extra.add(o.name);
  if (extra.size) notes.push(`${extra.size} tensor(s) not in ${sources[reference].id} were ignored (e.g. ${[...extra][0]}).`);
  return { refs, reference, nLayers, tensors, notes };
}

function specOf(specs: ParamSpec[], name: string): ParamSpec {
  const s = specs.find((x) => x.name === name);
  if (!s) throw new Error(`method reads undeclared parameter ${name}`);
  return s;
}

function checkValue(method: string, spec: ParamSpec, v: number | boolean | undefined, tensor: string, who: string): number | boolean {
  if (v === undefined) {
    throw new RecipeError('missing-parameter', `${method} needs parameter ${spec.name} (${spec.description}) for ${who === 'parameters' ? 'tensor ' + tensor : who}; set it in ${who === 'parameters' ? 'parameters' : 'that model\'s parameters or the top-level parameters'}.`);
  }
  if (spec.type === 'boolean') return typeof v === 'boolean' ? v : v !== 0;
  if (typeof v !== 'number') throw new RecipeError('bad-parameter', `${method}: parameter ${spec.name} must be a number, got ${v} (tensor ${tensor}).`);
  if (spec.strict && spec.range && (v < spec.range[0] || v > spec.range[1])) {
    throw new RecipeError('parameter-range', `${method}: ${spec.name} = ${v} for ${tensor} is outside [${spec.range[0]}, ${spec.range[1]}].`);
  }
  return v;
}

function checkSlices(recipe: MergeRecipe, nLayers: number): void {
  const s = recipe.slices?.[0];
  if (!s) return;
  for (const src of s.sources) {
    const lr = src.layer_range;
    if (lr && (lr[0] !== 0 || lr[1] !== nLayers)) {
      throw new RecipeError('layer-range', `slices[0] source ${src.model} has layer_range [${lr}], but kinmerge merges whole models: use [0, ${nLayers}] (the models have ${nLayers} layers).`);
    }
  }
}
