/**
 * Loads the pieces of an evolution run from an asset reader (Node files under public/, or fetch in the
 * browser): the zoo's base, the chosen foundation models (default: every expert), one evaluator.
 */
import type { TensorSource } from '../core/types';
import { loadModelDir, loadSuites, loadZooIndex, ZooError, type AssetReader, type ZooIndex } from '../eval/assets';
import type { LlamaConfig } from '../eval/config';
import { createEvaluator, type Evaluator, type EvaluatorOptions } from '../eval/evaluator';
import type { Vocab } from '../eval/vocab';

export interface ZooFamily {
  zoo: ZooIndex;
  base: TensorSource;
  baseName: string;
  foundation: Map<string, TensorSource>;
  config: LlamaConfig;
  vocab: Vocab;
  evaluator: Evaluator;
}

export interface ZooFamilyOptions {
  /** Foundation model names (default: every expert of the zoo). */
  models?: string[];
  /** Skills to score (default: every suite). */
  skills?: string[];
  evaluator?: Partial<Omit<EvaluatorOptions, 'suites' | 'config' | 'vocab'>>;
}

export async function loadZooFamily(r: AssetReader, o: ZooFamilyOptions = {}): Promise<ZooFamily> {
  const zoo = await loadZooIndex(r);
  const baseEntry = zoo.models.find((m) => m.role === 'base');
  if (!baseEntry) throw new ZooError('zoo-no-base', 'The zoo index lists no model with role "base"; kinship needs the shared base.');
  const names = o.models ?? zoo.models.filter((m) => m.role === 'expert').map((m) => m.name);
  if (names.length < 2) throw new ZooError('too-few-models', `Evolution needs at least two foundation models; got ${names.length}.`);
  const base = await loadModelDir(r, `zoo/${baseEntry.path}`, baseEntry.name);
  const foundation = new Map<string, TensorSource>();
  for (const n of names) {
    const e = zoo.models.find((m) => m.name === n);
    if (!e) throw new ZooError('model-not-found', `No zoo model named "${n}". Zoo models: ${zoo.models.map((m) => m.name).join(', ')}.`);
    foundation.set(n, (await loadModelDir(r, `zoo/${e.path}`, e.name, base.vocab)).source);
  }
  const suites = await loadSuites(r, base.vocab, base.config.maxPositions, o.skills);
  const evaluator = createEvaluator({ ...o.evaluator, suites, config: base.config, vocab: base.vocab });
  return { zoo, base: base.source, baseName: baseEntry.name, foundation, config: base.config, vocab: base.vocab, evaluator };
}
