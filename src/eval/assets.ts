/**
 * The shipped zoo and eval suites, read through an `AssetReader` so Node (files under public/) and the
 * browser (fetch from /zoo/... and /eval/...) share one loader.
 *
 * Layout: zoo/index.json {"version":1,"name","skills":[...],"models":[{"name","role","skill"?,"path"}]},
 * zoo/<path>{model.safetensors,config.json,vocab.json}, eval/index.json and eval/<skill>.jsonl.
 */
import { KinmergeError } from '../core/errors';
import type { TensorSource } from '../core/types';
import { parseLlamaConfig, type LlamaConfig } from './config';
import { parseSuite, parseSuiteIndex, type Suite } from './suites';
import { parseVocab, type Vocab } from './vocab';

export class ZooError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ZooError';
  }
}

/** Reads assets by path relative to the asset root (`public/` or the site root). */
export interface AssetReader {
  /** Text of a file; throws a ZooError naming the path when it does not exist. */
  text(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  /** A safetensors file as a TensorSource; `close` releases its file (Node). */
  source(path: string, id: string): Promise<TensorSource & { close?(): Promise<void> }>;
}

export type ZooRole = 'base' | 'expert' | 'stranger';
export interface ZooModelEntry { name: string; role: ZooRole; skill?: string; path: string }
export interface ZooIndex { version: number; name: string; skills: string[]; models: ZooModelEntry[] }

export function parseZooIndex(text: string, where = 'zoo/index.json'): ZooIndex {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new ZooError('zoo-index-malformed', `${where} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  if (!o || typeof o !== 'object' || !Array.isArray(o.models)) {
    throw new ZooError('zoo-index-malformed', `${where} must be an object with a "models" array.`);
  }
  const models = (o.models as unknown[]).map((m, i) => {
    const r = m as Record<string, unknown>;
    if (!r || typeof r.name !== 'string' || !['base', 'expert', 'stranger'].includes(r.role as string)) {
      throw new ZooError('zoo-index-malformed', `${where}: model ${i} needs a "name" and a "role" of base, expert or stranger.`);
    }
    let path = typeof r.path === 'string' ? r.path : `${r.name}/`;
    if (!path.endsWith('/')) path += '/';
    return { name: r.name, role: r.role as ZooRole, skill: typeof r.skill === 'string' ? r.skill : undefined, path };
  });
  const skills = Array.isArray(o.skills) ? (o.skills as unknown[]).filter((s): s is string => typeof s === 'string') : [];
  return { version: Number(o.version ?? 1), name: typeof o.name === 'string' ? o.name : 'demo', skills, models };
}

export interface LoadedModel {
  name: string;
  config: LlamaConfig;
  vocab: Vocab;
  source: TensorSource;
  /** Releases the model's file, where there is one. */
  close(): Promise<void>;
}

/** A model folder: `dir` ends with '/' (or is ''), holding config.json, vocab.json, model.safetensors. */
export async function loadModelDir(r: AssetReader, dir: string, name: string, vocab?: Vocab): Promise<LoadedModel> {
  const config = parseLlamaConfig(await r.text(`${dir}config.json`), `${dir}config.json`);
  const v = vocab ?? parseVocab(await r.text(`${dir}vocab.json`), `${dir}vocab.json`, config.vocabSize);
  const source = await r.source(`${dir}model.safetensors`, name);
  return { name, config, vocab: v, source, close: async () => { await source.close?.(); } };
}

export async function loadZooIndex(r: AssetReader): Promise<ZooIndex> {
  return parseZooIndex(await r.text('zoo/index.json'));
}

/**
 * The eval suites, all or the named skills. The list comes from eval/index.json when present, else
 * from the zoo index's skills.
 */
export async function loadSuites(r: AssetReader, vocab: Vocab, maxPositions: number, skills?: string[]): Promise<Suite[]> {
  const list = (await r.exists('eval/index.json'))
    ? parseSuiteIndex(await r.text('eval/index.json'))
    : (await loadZooIndex(r)).skills.map((skill) => ({ skill, file: `${skill}.jsonl` }));
  const chosen = skills ? skills.map((s) => {
    const e = list.find((x) => x.skill === s);
    if (!e) throw new ZooError('unknown-skill', `No eval suite for skill "${s}"; known skills: ${list.map((x) => x.skill).join(', ')}.`);
    return e;
  }) : list;
  return Promise.all(chosen.map(async (e) => parseSuite(e.skill, await r.text(`eval/${e.file}`), vocab, maxPositions, `eval/${e.file}`)));
}
