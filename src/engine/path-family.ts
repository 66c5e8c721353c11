/** A family from paths (Node): `--base BASE --models PATH...`, config and vocabulary from the base. */
import { resolve } from 'node:path';
import type { TensorSource } from '../core/types';
import { loadSuites, ZooError, type AssetReader } from '../eval/assets';
import { parseLlamaConfig } from '../eval/config';
import { createEvaluator } from '../eval/evaluator';
import { nodeAssetReader } from '../eval/node-assets';
import { parseVocab } from '../eval/vocab';
import { openModelPath } from '../node/model-path';
import { pathKind } from '../node/files';
import type { ZooFamily } from './zoo-family';

export async function loadPathFamily(basePath: string, modelPaths: string[], assets: AssetReader, skills?: string[]): Promise<ZooFamily> {
  if ((await pathKind(basePath)) !== 'dir') {
    throw new ZooError('base-not-folder', `--base ${basePath} must be a model folder with config.json and vocab.json (the evaluation needs them).`);
  }
  const base = await openModelPath(basePath);
  if (!base.config) throw new ZooError('base-no-config', `${basePath} has no config.json.`);
  const config = parseLlamaConfig(base.config, `${basePath}/config.json`);
  const local = nodeAssetReader(resolve(basePath));
  const vocab = parseVocab(await local.text('vocab.json'), `${basePath}/vocab.json`, config.vocabSize);
  const foundation = new Map<string, TensorSource>();
  for (const p of modelPaths) {
    if (foundation.has(p)) throw new ZooError('duplicate-model', `Model ${p} is given twice.`);
    foundation.set(p, (await openModelPath(p)).source);
  }
  const suites = await loadSuites(assets, vocab, config.maxPositions, skills);
  return {
    zoo: { version: 1, name: 'paths', skills: suites.map((s) => s.skill), models: [] },
    base: base.source, baseName: basePath, foundation, config, vocab,
    evaluator: createEvaluator({ suites, config, vocab }),
  };
}
