/**
 * `kinmerge kinship --base BASE M1 M2 [M...]`: the K x K kinship matrices of models against a base
 * (ModelKinship's merge_cal, for K models in one read of each checkpoint).
 */
import { KinmergeError } from '../../core/errors';
import { computeKinship, KINSHIP_METRICS, METRIC_TITLES, type GramBackend, type KinshipGroup, type KinshipMetric, type KinshipResult } from '../../core/kinship';
import type { TensorSource } from '../../core/types';
import { openModelPath, type OpenedModel } from '../../node/model-path';
import { UsageError, choiceFlag, intFlag, parseArgs } from '../args';
import type { CliIO, Command } from '../command';

const usage = `Usage: kinmerge kinship --base BASE M1 M2 [M...] [--metric pcc,cs,cs_abs,ed|all] [--split] [--json]
                        [--backend cpu|webgpu] [--chunk-elems N]

Model kinship (Hu et al., 2024): similarity of the task vectors d_i = M_i - BASE, as a full K x K
matrix per metric, from one streaming pass that reads each checkpoint once. Paths are .safetensors
files, model.safetensors.index.json files, or Hugging Face style folders.

Metrics (default all):
  pcc      Pearson correlation of task vectors (the paper's metric)
  cs       signed cosine similarity of task vectors
  cs_abs   |cosine|: what ModelKinship reports as "cs" (exactly opposite task vectors give 1)
  ed       Euclidean distance between the models (the base cancels)
  Separate several with commas or spaces ("pcc,ed" or "pcc ed"), or repeat --metric.

As ModelKinship does: every tensor of BASE in order; a tensor missing in a model is skipped for that
model's pairs (with a note); each model tensor keeps its first V rows, V = rows of BASE's
lm_head.weight (model.embed_tokens.weight when BASE has no lm_head), which drops added vocabulary
rows. A model with fewer rows than BASE, or any other shape mismatch, is an error.

Options:
  --split            ModelKinship's --split-calculation: the metric per tensor, tensors where it is
                     undefined skipped, then the mean weighted by element count
  --json             exactly one JSON object on stdout (shape below)
  --backend B        cpu (default) or webgpu
  --chunk-elems N    elements per read (default 262144); about 8 * (K+1) * N bytes in flight

Undefined values (a model equal to the base has no task-vector direction) are null, with a note
saying which model and metric.

JSON shape:
  { "base": string, "models": [string],  "split": boolean,
    "metrics": { "<metric>": [[number | null]] },   (K x K, only the metrics asked for)
    "notes": [string],
    "groups": [ { "key": string, "layer": integer | null,
                  "group": "embed" | "self_attn" | "mlp" | "norm" | "head" | "other",
                  "tensors": integer, "numel": integer,
                  "pcc": [[number | null]], "cs": [[number | null]],
                  "cs_abs": [[number | null]], "ed": [[number]] } ] }   (per layer and tensor group)
  The playground's Kinship view opens this file and draws the per-layer drill-down from "groups".

Exit status: 0 success, 1 failure (unreadable or incompatible models), 2 usage error.
`;

/** Metric names from --metric values: commas or whitespace separate them; "all" means all four. */
export function parseMetrics(values: string[]): KinshipMetric[] {
  if (values.length === 0) return [...KINSHIP_METRICS];
  const names = values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--metric needs at least one of ${KINSHIP_METRICS.join(', ')}, all.`);
  const out: KinshipMetric[] = [];
  for (const n of names) {
    const lower = n.toLowerCase();
    if (lower === 'all') return [...KINSHIP_METRICS];
    if (!(KINSHIP_METRICS as readonly string[]).includes(lower)) {
      throw new UsageError(`Unknown metric ${JSON.stringify(n)}: use ${KINSHIP_METRICS.join(', ')} or all.`);
    }
    if (!out.includes(lower as KinshipMetric)) out.push(lower as KinshipMetric);
  }
  // Report in the canonical order whatever order they were asked in.
  return KINSHIP_METRICS.filter((m) => out.includes(m));
}

/** The same source under the path the user gave, so notes and JSON name models as typed. */
function named(src: TensorSource, id: string): TensorSource {
  return {
    id,
    tensors: () => src.tensors(),
    get: (n) => src.get(n),
    metadata: () => src.metadata(),
    readF32: (n, s, k, sig) => src.readF32(n, s, k, sig),
    readRaw: (n, s, k, sig) => src.readRaw(n, s, k, sig),
  };
}

/**
 * Hook for the GPU engine: src/gpu/kinship-backend.ts exports
 * `createGramBackend(): Promise<GramBackend>`. Loaded only when asked for, so the CPU path never
 * pulls in WebGPU.
 */
async function loadBackend(name: 'cpu' | 'webgpu'): Promise<GramBackend | undefined> {
  if (name === 'cpu') return undefined;
  const spec = '../../gpu/kinship-backend';
  let mod: { createGramBackend?: () => Promise<GramBackend> };
  try {
    mod = await import(/* @vite-ignore */ spec);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new KinmergeError('backend-unavailable', 'The webgpu backend for kinship is not available yet in this build: use --backend cpu.');
    }
    throw e;
  }
  if (typeof mod.createGramBackend !== 'function') {
    throw new KinmergeError('backend-unavailable', 'The webgpu backend for kinship is not available yet in this build: use --backend cpu.');
  }
  return mod.createGramBackend();
}

function fmt(metric: KinshipMetric, v: number | null): string {
  if (v === null) return 'null';
  return metric === 'ed' ? v.toPrecision(6) : v.toFixed(4);
}

/**
 * The per-group results as the JSON's "groups": the engine's KinshipGroup fields, listed explicitly so
 * the file's shape (which the playground parses, src/ui/lib/kinship-drill.ts) is fixed here, not by
 * whatever the engine's objects happen to carry. Always pcc and cs pooled over each group's elements,
 * whatever --metric and --split say (the drill-down reads those two).
 */
export function groupsJson(groups: KinshipGroup[]): KinshipGroup[] {
  return groups.map((g) => ({ key: g.key, layer: g.layer, group: g.group, tensors: g.tensors, numel: g.numel, pcc: g.pcc, cs: g.cs, cs_abs: g.cs_abs, ed: g.ed }));
}

export function formatKinship(r: KinshipResult, seconds: number): string {
  const K = r.models.length;
  const lines = [`Base: ${r.base}`, 'Models:', ...r.models.map((m, i) => `  [${i + 1}] ${m}`)];
  for (const metric of KINSHIP_METRICS) {
    const m = r.metrics[metric];
    if (!m) continue;
    const cells = m.map((row) => row.map((v) => fmt(metric, v)));
    const w = Math.max(6, ...cells.flat().map((c) => c.length));
    lines.push('', `${METRIC_TITLES[metric]}${r.split ? ', split (numel-weighted per-tensor mean)' : ''}:`);
    lines.push('      ' + Array.from({ length: K }, (_, j) => `[${j + 1}]`.padStart(w)).join('  '));
    cells.forEach((row, i) => lines.push(`  ${`[${i + 1}]`.padEnd(4)}${row.map((c) => c.padStart(w)).join('  ')}`));
  }
  if (r.notes.length > 0) lines.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  const b = r.bytesRead;
  const size = b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`;
  lines.push('', `${r.tensors} tensors, ${r.params.toLocaleString('en-US')} parameters per task vector; read ${size} in ${seconds.toFixed(2)} s (${(r.params / Math.max(seconds, 1e-9) / 1e6).toFixed(1)}M params/s, backend ${r.backend}).`);
  return lines.join('\n') + '\n';
}

export const kinship: Command = {
  name: 'kinship',
  summary: 'model kinship (pcc, cs, cs_abs, ed) of models against a base, K x K',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags, positionals } = parseArgs(argv, {
      base: { type: 'string' },
      metric: { type: 'string', multiple: true },
      split: { type: 'boolean' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      'chunk-elems': { type: 'string' },
    });
    if (flags.base === undefined) throw new UsageError('--base BASE is required (the pre-trained model the others were fine-tuned from).');
    if (positionals.length < 2) throw new UsageError(`Give at least two models after --base (got ${positionals.length}).`);
    const metrics = parseMetrics(flags.metric);
    const backendName = choiceFlag(flags.backend ?? 'cpu', 'backend', ['cpu', 'webgpu'] as const);
    const chunkElems = flags['chunk-elems'] === undefined ? undefined : intFlag(flags['chunk-elems'], 'chunk-elems', 1, 1 << 28);
    const backend = await loadBackend(backendName);

    const opened: OpenedModel[] = [];
    try {
      for (const p of [flags.base, ...positionals]) opened.push(await openModelPath(p));
      const [base, ...models] = opened.map((o, i) => named(o.source, i === 0 ? flags.base! : positionals[i - 1]));
      const t0 = performance.now();
      const r = await computeKinship({ base, models, metrics, split: flags.split, chunkElems, backend, signal: io.signal });
      const seconds = (performance.now() - t0) / 1000;
      if (flags.json) {
        io.out(JSON.stringify({ base: r.base, models: r.models, split: r.split, metrics: r.metrics, notes: r.notes, groups: groupsJson(r.groups) }) + '\n');
      } else {
        io.out(formatKinship(r, seconds));
      }
      return 0;
    } finally {
      await Promise.all(opened.map((o) => o.close().catch(() => {})));
    }
  },
};
