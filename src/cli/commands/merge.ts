/**
 * `kinmerge merge CONFIG.yml --out OUT.safetensors [--seed N] [--backend cpu|webgpu] [--chunk-elems N]`:
 * runs a mergekit recipe and streams the result to one safetensors file (written to a temporary name
 * and renamed at the end, so a failure leaves nothing behind).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { executeMerge, prepareMerge } from '../../core/merge/execute';
import { dtypeOfName, parseRecipe } from '../../core/merge/recipe';
import type { ProgressFn } from '../../core/types';
import { availableParallelism } from 'node:os';
import { DEFAULT_CHUNK_ELEMS } from '../../core/merge/cpu-backend';
import { fileError, fileSink } from '../../node/files';
import { openModelPath, type OpenedModel } from '../../node/model-path';
import { UsageError, choiceFlag, intFlag, parseArgs } from '../args';
import type { CliIO, Command } from '../command';
import { BACKENDS, loadBackend } from '../load-backend';
import { parallelEligible, parallelFileMerge } from '../../node/parallel-merge';

const usage = `Usage: kinmerge merge CONFIG.yml --out OUT.safetensors [--seed N] [--backend cpu|webgpu] [--chunk-elems N] [--threads N] [--quiet]

Run a mergekit YAML recipe and write the merged model as one .safetensors file.

Supported recipe keys: merge_method (slerp, linear, task_arithmetic, ties, dare_linear, dare_ties,
breadcrumbs, breadcrumbs_ties), base_model, models[].model, models[].parameters, parameters, dtype,
out_dtype, and slices with one slice whose sources cover all layers. A model is a .safetensors file or a
Hugging Face style folder; relative paths are resolved against the folder of CONFIG.yml.

Options:
  --out PATH         output .safetensors file (required)
  --seed N           seed of DARE's random masks (default 0); the same seed gives the same file
  --backend NAME     cpu (default) or webgpu
  --chunk-elems N    elements per chunk and input held in memory (default ${DEFAULT_CHUNK_ELEMS})
  --threads N        worker threads for the cpu backend (default: the number of cores, at most 8);
                     1 runs in process. The output is byte-identical for any N
  --quiet            no progress or notes on stderr

The output's __metadata__ records the recipe, the seed, the kinmerge version and the parents.
Exit status: 0 success, 1 failure, 2 usage error.
`;

function kinmergeVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch { return 'unknown'; }
}

export const merge: Command = {
  name: 'merge',
  summary: 'merge models with a mergekit YAML recipe (slerp, linear, task_arithmetic, ties, dare, breadcrumbs)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags, positionals } = parseArgs(argv, {
      out: { type: 'string', short: 'o' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      'chunk-elems': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      threads: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError(`merge takes one CONFIG.yml, got ${positionals.length}.`);
    if (!flags.out) throw new UsageError('merge needs --out OUT.safetensors.');
    const seed = flags.seed === undefined ? 0 : intFlag(flags.seed, 'seed', 0);
    const chunkElems = flags['chunk-elems'] === undefined ? DEFAULT_CHUNK_ELEMS : intFlag(flags['chunk-elems'], 'chunk-elems', 1, 1 << 28);
    const backendName = choiceFlag(flags.backend ?? 'cpu', 'backend', BACKENDS);
    const threads = flags.threads === undefined ? Math.min(8, availableParallelism()) : intFlag(flags.threads, 'threads', 1, 64);

    const configPath = positionals[0];
    let text: string;
    try { text = await readFile(configPath, 'utf8'); } catch (e) { throw fileError(e, configPath, 'read'); }
    const recipe = parseRecipe(text);
    const backend = await loadBackend(backendName);
    const base = dirname(resolve(configPath));
    const opened = new Map<string, OpenedModel>();
    const t0 = performance.now();
    let lastLine = 0;
    const onProgress: ProgressFn = (p) => {
      const now = performance.now();
      if (flags.quiet || (now - lastLine < 1000 && p.done < p.total)) return;
      lastLine = now;
      io.err(`merge: ${p.done}/${p.total} tensors${p.detail ? ` (${p.detail})` : ''}\n`);
    };
    try {
      // Everything is opened and checked before any output exists.
      const prepared = await prepareMerge({
        recipe, seed, version: kinmergeVersion(), signal: io.signal,
        // A reference that is a path relative to the recipe resolves against the recipe's folder.
        resolve: async (ref) => {
          const m = await openModelPath(isAbsolute(ref) ? ref : resolve(base, ref));
          opened.set(ref, m);
          return m.source;
        },
      });
      const paths = prepared.plan.refs.map((r) => { const m = opened.get(r); return m?.kind === 'file' ? m.files[0] : undefined; });
      const hasCast = recipe.dtype !== undefined && dtypeOfName(recipe.dtype) !== 'F32';
      const out = flags.out;
      const inProcess = async () => executeMerge({ recipe, seed, backend, chunkElems, prepared, sink: await fileSink(out), onProgress, signal: io.signal });
      const result = backendName === 'cpu' && threads > 1 && parallelEligible(prepared.plan, paths, hasCast, chunkElems)
        ? await parallelFileMerge({ prepared, paths: paths as string[], out: flags.out, threads, chunkElems, onProgress, signal: io.signal })
          .catch((e) => { if ((e as { code?: string }).code === 'parallel-unavailable') return inProcess(); throw e; })
        : await inProcess();
      const s = (performance.now() - t0) / 1000;
      if (!flags.quiet) {
        for (const n of result.notes) io.err(`note: ${n}\n`);
        io.err(`merged ${result.tensors} tensors, ${result.params} parameters in ${s.toFixed(2)} s (${(result.params / s / 1e6).toFixed(1)} M params/s) -> ${flags.out}\n`);
      }
      return 0;
    } finally {
      await Promise.all([...opened.values()].map((m) => m.close().catch(() => {})));
      await backend.dispose?.();
    }
  },
};
