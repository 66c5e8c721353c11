/**
 * `kinmerge evolve`: the paper's Top-k greedy merging (with kinship-guided exploration and kinship
 * early stopping) on the demo zoo or on models given by path.
 */
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecipe, recipeToYaml } from '../../core/merge/recipe';
import { readFile } from 'node:fs/promises';
import { createFamily, BASE_ID } from '../../engine/family';
import { loadZooFamily } from '../../engine/zoo-family';
import { nodeAssetReader } from '../../eval/node-assets';
import { runEvolution } from '../../evolve/loop';
import { MAX_STOP_PATIENCE } from '../../evolve/early-stop';
import { DEFAULT_CONFIG, type EvolveConfig, type EvolveRecord, type KinshipMetric, type Strategy } from '../../evolve/types';
import { lineageYaml } from '../../store/export-formats';
import { intFlag, parseArgs, UsageError } from '../args';
import type { CliIO, Command } from '../command';
import { loadBackend } from '../load-backend';

const usage = `Usage: kinmerge evolve (--zoo NAME [--models NAME...] | --base BASE --models PATH...)
                      [--strategy greedy|kinship|random] [--k 3] [--metric pcc] [--stop-kinship 0.9|off]
                      [--stop-patience 0] [--max-gen 8] [--seed N] [--suite all] [--out DIR] [--json]

Iterative Top-k greedy merging (Hu et al. 2024, Algorithm 1). Generation 1 merges every pair of the
foundation models; each next generation merges every new pair of the top-k; "kinship" adds one
exploration merge per generation: the best model (as SLERP base_model) with the model of lowest
kinship to it among all evaluated models; "random" merges random pairs (the paper's Algorithm 2).
The run stops when the top-k no longer changes, before a generation whose top-k mean kinship exceeds
--stop-kinship (with --stop-patience P > 0: and whose best average has not risen over the last P
generations), or at --max-gen.

Options:
  --zoo NAME            the zoo (the shipped one is "demo"); foundation = every expert unless --models
  --models NAME|PATH    foundation models (repeatable or comma-separated)
  --base PATH           the shared base (with --models PATH...): kinship is measured against it
  --strategy S          greedy | kinship (default) | random
  --k N                 size of the top-k set (default 3)
  --metric M            kinship metric for exploration and early stop: pcc (default), cs, cs_abs, ed
  --stop-kinship X|off  early-stop threshold (default 0.9); off disables it
  --stop-patience P     early stop also needs the best unchanged for P generations (default 0 =
                        kinship alone; 2 = how the paper's greedy run stopped)
  --max-gen N           generation cap (default 8)
  --seed N              seed (DARE masks, random strategy; default 0)
  --explore-pool P      all (default: every evaluated model except the best) | topk
  --recipe FILE         merge operator as a mergekit YAML whose models are "$A" (better parent, SLERP
                        base_model), "$B" and optionally "$BASE" (default: the paper's gradient SLERP)
  --suite SKILL|all     skills to score (default all)
  --backend cpu|webgpu  merge and kinship backend (default cpu)
  --out DIR             also write the best model, its mergekit_config.yml, the lineage as
                        mergekit-multi YAML (lineage.yml) and the record (record.json)
  --json                print the whole record as one JSON object
  --assets DIR          folder with zoo/ and eval/ (default: the package's public/)
`;

const flags = {
  zoo: { type: 'string' }, models: { type: 'string', multiple: true }, base: { type: 'string' },
  strategy: { type: 'string' }, k: { type: 'string' }, metric: { type: 'string' },
  'stop-kinship': { type: 'string' }, 'stop-patience': { type: 'string' }, 'max-gen': { type: 'string' }, seed: { type: 'string' },
  'explore-pool': { type: 'string' }, recipe: { type: 'string' }, suite: { type: 'string', multiple: true },
  backend: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, assets: { type: 'string' },
} as const;

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], name: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${v}".`);
  return v as T;
}

export function formatTable(rec: EvolveRecord): string {
  const lines = ['gen  merges  best_avg  topk_avg  topk_kin  stage       best / top-k'];
  for (const g of rec.generations) {
    lines.push(`${String(g.generation).padStart(3)}  ${String(g.merges.length).padStart(6)}  ${g.best_average.toFixed(4).padStart(8)}  `
      + `${g.topk_average.toFixed(4).padStart(8)}  ${(g.topk_kinship === null ? 'n/a' : g.topk_kinship.toFixed(3)).padStart(8)}  `
      + `${g.stage.padEnd(10)}  ${g.best_id} / ${g.topk.join(', ')}`);
  }
  lines.push(`stopped: ${rec.stopped}; best ${rec.best.id} = ${rec.best.average.toFixed(4)}; `
    + `${rec.models.filter((m) => m.parents.length).length} merges`);
  return lines.join('\n') + '\n';
}

export const evolve: Command = {
  name: 'evolve',
  summary: 'Top-k greedy merging with kinship-guided exploration and early stopping',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length) throw new UsageError(`Unexpected argument ${positionals[0]}.`);
    if ((f.zoo === undefined) === (f.base === undefined)) throw new UsageError('Give either --zoo NAME or --base BASE --models PATH...');
    const models = f.models.flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
    const stop = f['stop-kinship'];
    const config: EvolveConfig = {
      ...DEFAULT_CONFIG,
      strategy: oneOf<Strategy>(f.strategy, ['greedy', 'kinship', 'random'], 'strategy', 'kinship'),
      k: f.k === undefined ? 3 : intFlag(f.k, 'k', 2, 64),
      metric: oneOf<KinshipMetric>(f.metric, ['pcc', 'cs', 'cs_abs', 'ed'], 'metric', 'pcc'),
      stopKinship: stop === undefined ? 0.9 : stop === 'off' ? null : Number(stop),
      stopPatience: f['stop-patience'] === undefined ? DEFAULT_CONFIG.stopPatience : intFlag(f['stop-patience'], 'stop-patience', 0, MAX_STOP_PATIENCE),
      maxGen: f['max-gen'] === undefined ? 8 : intFlag(f['max-gen'], 'max-gen', 1, 1000),
      seed: f.seed === undefined ? 0 : intFlag(f.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
      explorePool: oneOf(f['explore-pool'], ['all', 'topk'] as const, 'explore-pool', 'all'),
    };
    if (config.stopKinship !== null && !Number.isFinite(config.stopKinship)) throw new UsageError(`--stop-kinship must be a number or "off"; got "${stop}".`);
    const backendName = oneOf(f.backend, ['cpu', 'webgpu'] as const, 'backend', 'cpu');
    const root = f.assets ? resolve(f.assets) : fileURLToPath(new URL('../../../public/', import.meta.url));
    const skillsArg = f.suite.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const skills = skillsArg.length === 0 || skillsArg.includes('all') ? undefined : skillsArg;
    let template;
    if (f.recipe) template = parseRecipe(await readFile(f.recipe, 'utf8'));

    let fam;
    if (f.zoo !== undefined) {
      fam = await loadZooFamily(nodeAssetReader(root), { models: models.length ? models : undefined, skills });
      if (fam.zoo.name !== f.zoo) throw new UsageError(`Unknown zoo "${f.zoo}"; the one at ${root} is "${fam.zoo.name}".`);
    } else {
      if (models.length < 2) throw new UsageError('--base needs at least two --models.');
      const { loadPathFamily } = await import('../../engine/path-family');
      fam = await loadPathFamily(f.base!, models, nodeAssetReader(root), skills);
    }
    const mergeBackend = backendName === 'cpu' ? undefined : await loadBackend('webgpu');
    const family = createFamily({ base: fam.base, foundation: fam.foundation, evaluator: fam.evaluator, template, seed: config.seed, mergeBackend });
    try {
      const rec = await runEvolution([...fam.foundation.keys()], config, family.deps, {
        signal: io.signal,
        onEvent: (e) => {
          if (!f.json && e.type === 'generation') {
            const g = e.generation;
            io.err(`generation ${g.generation}: ${g.merges.length} merges, best ${g.best_average.toFixed(4)} (${g.best_id}), top-${config.k} kinship ${g.topk_kinship?.toFixed(3) ?? 'n/a'}\n`);
          }
        },
      });
      if (f.out) {
        const dir = resolve(f.out);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'record.json'), JSON.stringify(rec, null, 2) + '\n');
        const nodes = rec.models.filter((m) => m.parents.length).map((m) => ({ id: m.id, name: m.id, recipe: family.recipeOf(m.id)! }));
        const ext = (id: string) => (id === BASE_ID ? fam.baseName : id);
        await writeFile(join(dir, 'lineage.yml'), lineageYaml(nodes, ext));
        const best = family.bytes(rec.best.id);
        if (best) {
          await writeFile(join(dir, `${rec.best.id}.safetensors`), best);
          const { mapRecipeRefs } = await import('../../store/export-formats');
          await writeFile(join(dir, 'mergekit_config.yml'), recipeToYaml(mapRecipeRefs(family.recipeOf(rec.best.id)!, ext)));
        } else if (f.zoo !== undefined) {
          const e = fam.zoo.models.find((m) => m.name === rec.best.id)!;
          await copyFile(join(root, 'zoo', e.path, 'model.safetensors'), join(dir, `${rec.best.id}.safetensors`));
        }
      }
      io.out(f.json ? JSON.stringify(rec) + '\n' : formatTable(rec));
      return 0;
    } finally {
      await fam.evaluator.dispose();
      await mergeBackend?.dispose?.();
    }
  },
};
