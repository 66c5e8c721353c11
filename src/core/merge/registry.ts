/** The merge methods, as an explicit literal list (no import side effects), like mergekit's registry.py. */
import { RecipeError } from '../errors';
import { breadcrumbs } from './breadcrumbs';
import { breadcrumbsTies } from './breadcrumbs-ties';
import { dareLinear } from './dare-linear';
import { dareTies } from './dare-ties';
import { linear } from './linear';
import { slerp } from './slerp';
import { taskArithmetic } from './task-arithmetic';
import { ties } from './ties';
import type { MergeMethod, MethodName } from './types';

export const METHODS: readonly MergeMethod[] = [
  slerp, linear, taskArithmetic, ties, dareLinear, dareTies, breadcrumbs, breadcrumbsTies,
];

export function methodNames(): MethodName[] {
  return METHODS.map((m) => m.name);
}

export function getMethod(name: string): MergeMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new RecipeError('unknown-method', `Unknown merge_method ${JSON.stringify(name)}. Supported: ${methodNames().join(', ')}.`);
  return m;
}
