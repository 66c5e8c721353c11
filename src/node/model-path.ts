/**
 * Open a model given on the command line: a `.safetensors` file, a `model.safetensors.index.json`,
 * or a Hugging Face style folder (config.json + model.safetensors, or the index + its shards).
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { TensorSource } from '../core/types';
import { KinmergeError } from '../core/errors';
import { openSafetensors, openSharded, parseShardIndex } from '../core/checkpoint';
import { FileError, fileError, fileSource, pathKind } from './files';
import type { FileSource } from './files';

/** A path that does not lead to a model. */
export class ModelPathError extends KinmergeError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ModelPathError';
  }
}

export interface OpenedModel {
  source: TensorSource;
  /** The path given. */
  path: string;
  kind: 'file' | 'sharded';
  /** Every safetensors file read (one, or the shards). */
  files: string[];
  /** config.json of the folder, when present. */
  config?: Record<string, unknown>;
  /** Shard index metadata (total_size, ...) for sharded models. */
  indexMetadata?: Record<string, unknown>;
  close(): Promise<void>;
}

const INDEX = 'model.safetensors.index.json';

export async function openModelPath(path: string, signal?: AbortSignal): Promise<OpenedModel> {
  const kind = await pathKind(path);
  if (kind === 'missing') throw new ModelPathError('model-path-not-found', `${path} does not exist. Give a .safetensors file or a model folder.`);
  if (kind === 'file') {
    if (path.endsWith('.index.json')) return openIndex(path, dirname(path), await readConfig(join(dirname(path), 'config.json')), signal);
    return openSingle(path, path, undefined, signal);
  }
  const config = await readConfig(join(path, 'config.json'));
  if ((await pathKind(join(path, 'model.safetensors'))) === 'file') return openSingle(path, join(path, 'model.safetensors'), config, signal);
  if ((await pathKind(join(path, INDEX))) === 'file') return openIndex(path, path, config, signal);
  let found: string[] = [];
  try {
    found = (await readdir(path)).filter((f) => f.endsWith('.safetensors'));
  } catch (e) {
    throw fileError(e, path, 'list');
  }
  const bins = (await readdir(path).catch(() => [] as string[])).filter((f) => /^pytorch_model.*\.bin$/.test(f));
  if (found.length === 0 && bins.length > 0) {
    throw new ModelPathError('model-path-no-weights', `${path} holds PyTorch .bin weights (${bins[0]}), which kinmerge does not read (pickle is unsafe to load). Convert them to safetensors first.`);
  }
  throw new ModelPathError('model-path-no-weights',
    `${path} has neither model.safetensors nor ${INDEX}` +
    (found.length ? ` (it has ${found.slice(0, 5).join(', ')}${found.length > 5 ? ', ...' : ''}: pass one of those files directly).` : ', and no .safetensors files.'));
}

async function readConfig(file: string): Promise<Record<string, unknown> | undefined> {
  if ((await pathKind(file)) !== 'file') return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw fileError(e, file, 'read');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelPathError('config-invalid', `${file} is not valid JSON (${(e as Error).message}). Fix or remove it.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelPathError('config-invalid', `${file} must hold a JSON object.`);
  }
  return value as Record<string, unknown>;
}

async function openSingle(path: string, file: string, config: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<OpenedModel> {
  const src = await fileSource(file);
  try {
    const source = await openSafetensors(src, file, signal);
    return { source, path, kind: 'file', files: [file], config, close: () => src.close() };
  } catch (e) {
    await src.close();
    throw e;
  }
}

async function openIndex(path: string, dir: string, config: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<OpenedModel> {
  const indexFile = path.endsWith('.json') ? path : join(dir, INDEX);
  let text: string;
  try {
    text = await readFile(indexFile, 'utf8');
  } catch (e) {
    throw fileError(e, indexFile, 'read');
  }
  const index = parseShardIndex(text);
  const opened: FileSource[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
  };
  try {
    const source = await openSharded(index, async (file) => {
      try {
        const s = await fileSource(join(dir, file));
        opened.push(s);
        return s;
      } catch (e) {
        if (e instanceof FileError && e.code === 'file-not-found') {
          throw new ModelPathError('shard-not-found', `${basename(indexFile)} lists ${file}, which is not in ${dir}. The download is incomplete.`);
        }
        throw e;
      }
    }, path, signal);
    return {
      source, path, kind: 'sharded', files: index.files.map((f) => join(dir, f)), config,
      indexMetadata: index.metadata, close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
