/**
 * `kinmerge eval (MODEL... | --zoo demo) [--suite SKILL|all] [--json]`: per-skill greedy exact-match
 * accuracy and the average, scored by onnxruntime-web (wasm) in-process, exactly as the browser does.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinmergeError } from '../../core/errors';
import { loadModelDir, loadSuites, loadZooIndex, ZooError, type AssetReader, type ZooIndex } from '../../eval/assets';
import { parseLlamaConfig, type LlamaConfig } from '../../eval/config';
import { createEvaluator, type EvalResult, type Evaluator } from '../../eval/evaluator';
import { nodeAssetReader } from '../../eval/node-assets';
import { parseVocab, type Vocab } from '../../eval/vocab';
import type { TensorSource } from '../../core/types';
import { openModelPath } from '../../node/model-path';
import { pathKind } from '../../node/files';
import { intFlag, parseArgs, UsageError } from '../args';
import type { CliIO, Command } from '../command';

const usage = `Usage: kinmerge eval (MODEL... | --zoo demo) [--suite SKILL|all] [--json]

Score models on the eval suites (public/eval/<skill>.jsonl): for each skill the fraction of prompts
whose greedy answer is exactly right (every answer token and <eos>), and the average over skills.
A MODEL is a zoo model's name (from public/zoo/index.json) or a path: a model folder (config.json,
model.safetensors, optionally vocab.json) or a .safetensors file (then the zoo's config and
vocabulary are used, and must fit its tensors).

Options:
  --zoo NAME        score every model of the zoo (the shipped one is "demo")
  --suite SKILL     a skill to score (repeatable, or comma-separated); "all" (default) = every suite
  --json            one JSON object on stdout: {"models": [{"model", "scores": {skill: accuracy}, "average"}]}
  --mc              also score multiple-choice log-likelihood accuracy where suites have choices
                    (about twice the work; JSON gets "mc": {skill: accuracy}, the table mc:SKILL columns)
  --assets DIR      the folder holding zoo/ and eval/ (default: the package's public/)
  --batch N         sequences per forward pass (default 256)
  --threads N       onnxruntime wasm threads (default: its own choice)

Exit status: 0 on success, 1 when a model or suite cannot be loaded or scored, 2 on usage errors.
`;

const flags = {
  zoo: { type: 'string' },
  suite: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  mc: { type: 'boolean' },
  assets: { type: 'string' },
  batch: { type: 'string' },
  threads: { type: 'string' },
} as const;

interface Target { label: string; config: LlamaConfig; vocab: Vocab; source: TensorSource; close(): Promise<void> }

async function zooOrNull(r: AssetReader): Promise<ZooIndex | null> {
  return (await r.exists('zoo/index.json')) ? loadZooIndex(r) : null;
}

/** The zoo's shared config and vocabulary, for a bare .safetensors or a folder without vocab.json. */
async function zooDefaults(r: AssetReader, zoo: ZooIndex | null, forWhat: string): Promise<{ config: LlamaConfig; vocab: Vocab }> {
  const first = zoo?.models[0];
  if (!first) throw new ZooError('no-zoo-defaults', `${forWhat} has no config.json/vocab.json beside it and there is no zoo to borrow them from. Put them beside the model.`);
  const dir = `zoo/${first.path}`;
  const config = parseLlamaConfig(await r.text(`${dir}config.json`), `${dir}config.json`);
  return { config, vocab: parseVocab(await r.text(`${dir}vocab.json`), `${dir}vocab.json`, config.vocabSize) };
}

async function resolveModel(arg: string, r: AssetReader, zoo: ZooIndex | null): Promise<Target> {
  const entry = zoo?.models.find((m) => m.name === arg);
  if (entry && (await pathKind(arg)) === 'missing') {
    const m = await loadModelDir(r, `zoo/${entry.path}`, entry.name);
    return { label: entry.name, config: m.config, vocab: m.vocab, source: m.source, close: m.close };
  }
  if ((await pathKind(arg)) === 'missing') {
    const names = zoo ? ` Zoo models: ${zoo.models.map((m) => m.name).join(', ')}.` : '';
    throw new ZooError('model-not-found', `${arg} is neither a zoo model nor an existing path.${names}`);
  }
  const opened = await openModelPath(arg);
  try {
  const isDir = (await pathKind(arg)) === 'dir';
  const local = isDir ? nodeAssetReader(resolve(arg)) : null;
  const fallback = opened.config && local && (await local.exists('vocab.json')) ? null : await zooDefaults(r, zoo, arg);
  const config = opened.config ? parseLlamaConfig(opened.config, `${arg}/config.json`) : fallback!.config;
  const vocab = local && (await local.exists('vocab.json'))
    ? parseVocab(await local.text('vocab.json'), `${arg}/vocab.json`, config.vocabSize)
    : fallback!.vocab;
  return { label: arg, config, vocab, source: opened.source, close: () => opened.close() };
  } catch (e) {
    await opened.close();
    throw e;
  }
}

function table(rows: { model: string; r: EvalResult }[], skills: string[]): string {
  const mcSkills = skills.filter((s) => rows.some(({ r }) => r.mc?.[s] !== undefined));
  const head = ['model', ...skills, 'average', ...mcSkills.map((s) => `mc:${s}`)];
  const body = rows.map(({ model, r }) => [model, ...skills.map((s) => r.scores[s].toFixed(3)), r.average.toFixed(3),
    ...mcSkills.map((s) => r.mc?.[s]?.toFixed(3) ?? '-')]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'score models on the eval suites (per-skill accuracy and the average)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.zoo !== undefined && positionals.length > 0) throw new UsageError('Give MODEL paths/names or --zoo, not both.');
    if (f.zoo === undefined && positionals.length === 0) throw new UsageError('Give at least one MODEL, or --zoo demo.');
    const batchSize = f.batch === undefined ? 256 : intFlag(f.batch, 'batch', 1, 65536);
    const numThreads = f.threads === undefined ? undefined : intFlag(f.threads, 'threads', 1, 64);
    const root = f.assets ? resolve(f.assets) : fileURLToPath(new URL('../../../public/', import.meta.url));
    const r = nodeAssetReader(root);
    const zoo = await zooOrNull(r);
    const skillsArg = f.suite.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const skills = skillsArg.length === 0 || skillsArg.includes('all') ? undefined : skillsArg;

    let names = positionals;
    if (f.zoo !== undefined) {
      if (!zoo) throw new ZooError('zoo-not-found', `No zoo at ${root}/zoo/index.json. Generate it with npm run zoo, or pass --assets.`);
      if (f.zoo !== zoo.name) throw new UsageError(`Unknown zoo "${f.zoo}"; the one at ${root} is "${zoo.name}".`);
      names = zoo.models.map((m) => m.name);
    }
    // One evaluator (one ORT session) per distinct config + vocabulary.
    const evaluators = new Map<string, Evaluator>();
    const rows: { model: string; r: EvalResult }[] = [];
    try {
      for (const name of names) {
        const t = await resolveModel(name, r, zoo);
        const key = JSON.stringify([t.config, t.vocab.tokens]);
        let ev = evaluators.get(key);
        if (!ev) {
          const suites = await loadSuites(r, t.vocab, t.config.maxPositions, skills);
          ev = createEvaluator({ suites, config: t.config, vocab: t.vocab, batchSize, numThreads, multipleChoice: f.mc });
          evaluators.set(key, ev);
          const started = performance.now();
          await ev.ready();
          if (!f.json) io.err(`onnxruntime-web session ready in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
        }
        const started = performance.now();
        let res: EvalResult;
        try {
          res = await ev.score(t.source);
        } finally {
          await t.close();
        }
        if (!f.json) io.err(`${t.label}: scored in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
        rows.push({ model: t.label, r: res });
      }
    } catch (e) {
      if (e instanceof KinmergeError) throw e;
      throw new KinmergeError('eval-failed', `Evaluation failed: ${(e as Error).message}`, { cause: e });
    } finally {
      for (const ev of evaluators.values()) await ev.dispose();
    }
    const skillList = Object.keys(rows[0].r.scores);
    if (f.json) {
      io.out(JSON.stringify({ models: rows.map(({ model, r: x }) => ({ model, scores: x.scores, average: x.average, ...(x.mc ? { mc: x.mc } : {}) })) }, null, 2) + '\n');
    } else {
      io.out(table(rows, skillList));
    }
    return 0;
  },
};
