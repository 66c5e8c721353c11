/**
 * The share-link payload and its hand-written validator. Everything in a link is untrusted input:
 * `validateShare` checks types, ranges, lengths and allowed keys before any field is used, and names
 * the offending field in its error. Unknown hide ids are dropped with a warning (a link from a newer
 * version can still open); anything else unknown is an error, an unknown teaching step included (the
 * link would silently open on the wrong lesson otherwise).
 */
import { ShareLinkError } from './errors.ts';
import { isControlId, type ControlId } from '../teach/controls.ts';
import { TEACH_STEP_IDS, type TeachStepId } from '../teach/steps.ts';

export const SHARE_VERSION = 1;
export const VIEWS = ['library', 'kinship', 'merge', 'evolve', 'analysis', 'teach'] as const;
export type ViewId = (typeof VIEWS)[number];
export const STRATEGIES = ['greedy', 'kinship', 'random'] as const;
export const METRICS = ['pcc', 'cs', 'cs_abs', 'ed'] as const;

export type ShareModel = { zoo: string } | { sha256: string; url: string; name?: string };
/**
 * A method parameter as mergekit (and src/core/merge/params.ts) reads it: a scalar, a gradient, or a
 * list of conditionals `{filter, value}` (first match wins; the value may be a gradient).
 */
export interface ShareConditional { filter?: string; value: number | boolean | number[] }
export type ParamValue = number | boolean | number[] | ShareConditional[];
export interface ShareRecipe { method: string; params: Record<string, ParamValue> }
export interface StrategyParams {
  k?: number;
  metric?: (typeof METRICS)[number];
  /** Early-stop threshold on top-k mean kinship; null = off. */
  stopKinship?: number | null;
  /** Early-stop patience in generations (integer 0-64); absent = 0, the plain kinship rule. */
  stopPatience?: number;
  maxGen?: number;
  explorePool?: 'all' | 'topk';
  suite?: string;
}
export interface ShareState {
  version: 1;
  models: ShareModel[];
  recipe: ShareRecipe | null;
  strategy: (typeof STRATEGIES)[number] | null;
  params: StrategyParams;
  seed: number;
  view: ViewId;
  hide: ControlId[];
  /**
   * The teaching step the Teach view opens at (a step id from teach/steps.ts). Absent = step 1, so
   * links made before the field existed open as they always did.
   */
  teach?: TeachStepId;
}

export const LIMITS = { models: 64, hide: 64, params: 32, gradient: 64, filters: 16, string: 200, url: 2048 } as const;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_.]{0,39}$/;
const SHA_RE = /^[0-9a-f]{64}$/;

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new ShareLinkError('share-invalid', `This share link is invalid: ${path} ${what}. Ask for a fresh link or start from the Library.`);
}
function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}
function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${path}.${k}`, `is not a known field (allowed: ${allowed.join(', ')})`);
}
function finite(v: unknown, path: string, lo = -1e6, hi = 1e6): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a finite number');
  if (v < lo || v > hi) fail(path, `must be in [${lo}, ${hi}]`);
  return v;
}
function int(v: unknown, path: string, lo: number, hi: number): number {
  const n = finite(v, path, lo, hi);
  if (!Number.isInteger(n)) fail(path, 'must be an integer');
  return n;
}
function str(v: unknown, path: string, re?: RegExp, max: number = LIMITS.string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (v.length > max) fail(path, `is longer than ${max} characters`);
  if (re && !re.test(v)) fail(path, `has characters that are not allowed ("${v.slice(0, 40)}")`);
  return v;
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `must be one of ${allowed.join(', ')}`);
  return v as T;
}
function list(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be a list');
  if (v.length > max) fail(path, `has more than ${max} entries`);
  return v;
}
function gradient(v: unknown, path: string): number[] {
  const xs = list(v, path, LIMITS.gradient);
  if (xs.length === 0) fail(path, 'must not be empty');
  return xs.map((x, i) => finite(x, `${path}[${i}]`));
}

function model(v: unknown, path: string): ShareModel {
  const o = obj(v, path);
  if ('zoo' in o) {
    onlyKeys(o, ['zoo'], path);
    return { zoo: str(o.zoo, `${path}.zoo`, NAME_RE) };
  }
  onlyKeys(o, ['sha256', 'url', 'name'], path);
  const sha256 = str(o.sha256, `${path}.sha256`, SHA_RE);
  const url = str(o.url, `${path}.url`, undefined, LIMITS.url);
  let parsed: URL;
  try { parsed = new URL(url); } catch { fail(`${path}.url`, 'is not an absolute URL'); }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(`${path}.url`, 'must be an http(s) URL');
  const out: ShareModel = { sha256, url };
  if (o.name !== undefined) out.name = str(o.name, `${path}.name`, NAME_RE);
  return out;
}

function paramValue(v: unknown, path: string): ParamValue {
  if (typeof v === 'number') return finite(v, path);
  if (typeof v === 'boolean') return v;
  const xs = list(v, path, LIMITS.gradient);
  if (xs.length === 0) fail(path, 'must not be an empty list');
  if (xs.every((x) => typeof x === 'number')) return gradient(xs, path);
  if (xs.length > LIMITS.filters) fail(path, `has more than ${LIMITS.filters} conditionals`);
  return xs.map((c, i) => {
    const at = `${path}[${i}]`;
    const o = obj(c, at);
    onlyKeys(o, ['filter', 'value'], at);
    const out: ShareConditional = { value: 0 };
    if (o.filter !== undefined) out.filter = str(o.filter, `${at}.filter`, /^[A-Za-z0-9_.*-]{1,64}$/);
    if (typeof o.value === 'boolean') out.value = o.value;
    else if (Array.isArray(o.value)) out.value = gradient(o.value, `${at}.value`);
    else out.value = finite(o.value, `${at}.value`);
    return out;
  });
}

function recipe(v: unknown, path: string): ShareRecipe | null {
  if (v === null) return null;
  const o = obj(v, path);
  onlyKeys(o, ['method', 'params'], path);
  const method = str(o.method, `${path}.method`, IDENT_RE);
  const p = obj(o.params ?? {}, `${path}.params`);
  const keys = Object.keys(p);
  if (keys.length > LIMITS.params) fail(`${path}.params`, `has more than ${LIMITS.params} entries`);
  const params: Record<string, ParamValue> = {};
  for (const k of keys) params[str(k, `${path}.params key`, IDENT_RE)] = paramValue(p[k], `${path}.params.${k}`);
  return { method, params };
}

function strategyParams(v: unknown, path: string): StrategyParams {
  const o = obj(v ?? {}, path);
  onlyKeys(o, ['k', 'metric', 'stopKinship', 'stopPatience', 'maxGen', 'explorePool', 'suite'], path);
  const out: StrategyParams = {};
  if (o.k !== undefined) out.k = int(o.k, `${path}.k`, 1, 16);
  if (o.metric !== undefined) out.metric = oneOf(o.metric, METRICS, `${path}.metric`);
  if (o.stopKinship !== undefined) out.stopKinship = o.stopKinship === null ? null : finite(o.stopKinship, `${path}.stopKinship`, -1, 1e6);
  if (o.stopPatience !== undefined) out.stopPatience = int(o.stopPatience, `${path}.stopPatience`, 0, 64);
  if (o.maxGen !== undefined) out.maxGen = int(o.maxGen, `${path}.maxGen`, 1, 64);
  if (o.explorePool !== undefined) out.explorePool = oneOf(o.explorePool, ['all', 'topk'] as const, `${path}.explorePool`);
  if (o.suite !== undefined) out.suite = str(o.suite, `${path}.suite`, NAME_RE);
  return out;
}

export interface Validated { state: ShareState; warnings: string[] }

/** Checks an untrusted parsed JSON value; throws ShareLinkError naming the first bad field. */
export function validateShare(v: unknown): Validated {
  const o = obj(v, 'link');
  if (o.version !== SHARE_VERSION) {
    throw new ShareLinkError('share-version', `This share link has format version ${JSON.stringify(o.version)}, but this kinmerge reads version ${SHARE_VERSION}. Open it with the kinmerge release that made it, or ask for a fresh link.`);
  }
  onlyKeys(o, ['version', 'models', 'recipe', 'strategy', 'params', 'seed', 'view', 'hide', 'teach'], 'link');
  const models = list(o.models ?? [], 'link.models', LIMITS.models).map((m, i) => model(m, `link.models[${i}]`));
  const warnings: string[] = [];
  const hide: ControlId[] = [];
  for (const [i, h] of list(o.hide ?? [], 'link.hide', LIMITS.hide).entries()) {
    const id = str(h, `link.hide[${i}]`, /^[a-z]+\.[a-z]+$/, 40);
    if (isControlId(id)) { if (!hide.includes(id)) hide.push(id); } else warnings.push(`Ignored unknown control "${id}" in the link's hide list.`);
  }
  const state: ShareState = {
    version: 1,
    models,
    recipe: recipe(o.recipe ?? null, 'link.recipe'),
    strategy: o.strategy === undefined || o.strategy === null ? null : oneOf(o.strategy, STRATEGIES, 'link.strategy'),
    params: strategyParams(o.params, 'link.params'),
    seed: o.seed === undefined ? 0 : int(o.seed, 'link.seed', 0, Number.MAX_SAFE_INTEGER),
    view: o.view === undefined ? 'library' : oneOf(o.view, VIEWS, 'link.view'),
    hide,
  };
  if (o.teach !== undefined) state.teach = oneOf(o.teach, TEACH_STEP_IDS, 'link.teach');
  return { state, warnings };
}
