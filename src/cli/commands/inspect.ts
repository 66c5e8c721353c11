/**
 * `kinmerge inspect PATH... [--json] [--summary]`: what is in a checkpoint and whether it is valid.
 * Reads headers only (and shard indexes), never tensor data.
 */
import type { DType, TensorInfo } from '../../core/types';
import { KinmergeError } from '../../core/errors';
import { openModelPath } from '../../node/model-path';
import { UsageError, parseArgs } from '../args';
import type { CliIO, Command } from '../command';

export interface InspectResult {
  path: string;
  valid: boolean;
  error: { name: string; code: string; message: string } | null;
  kind: 'file' | 'sharded' | null;
  files: string[];
  tensorCount: number;
  parameterCount: number;
  dataBytes: number;
  dtypes: Partial<Record<DType, { tensors: number; parameters: number }>>;
  metadata: Record<string, string>;
  config: Record<string, unknown> | null;
  tensors?: { name: string; dtype: DType; shape: number[]; numel: number; byteLength: number }[];
}

const usage = `Usage: kinmerge inspect PATH... [--json] [--summary]

Show the tensors, dtypes, parameter count, metadata and validation result of each PATH: a
.safetensors file, a model.safetensors.index.json, or a Hugging Face style folder (config.json +
model.safetensors, or the index + shards). Only headers are read.

Options:
  --json      one JSON object on stdout (shape below)
  --summary   leave out the per-tensor list

Exit status: 0 when every PATH is valid, 1 when any is not (each still gets its report), 2 on usage errors.

JSON shape:
  { "results": [ {
      "path": string, "valid": boolean,
      "error": null | { "name": string, "code": string, "message": string },
      "kind": "file" | "sharded" | null, "files": [string],
      "tensorCount": number, "parameterCount": number, "dataBytes": number,
      "dtypes": { "<DTYPE>": { "tensors": number, "parameters": number } },
      "metadata": { string: string }, "config": object | null,
      "tensors": [ { "name": string, "dtype": string, "shape": [number], "numel": number, "byteLength": number } ]
  } ] }
  ("tensors" is absent with --summary; an invalid PATH has valid false, its error, and empty fields.)
`;

export async function inspectPath(path: string, withTensors: boolean): Promise<InspectResult> {
  const empty: InspectResult = {
    path, valid: false, error: null, kind: null, files: [], tensorCount: 0, parameterCount: 0, dataBytes: 0,
    dtypes: {}, metadata: {}, config: null, ...(withTensors ? { tensors: [] } : {}),
  };
  let model;
  try {
    model = await openModelPath(path);
  } catch (e) {
    if (!(e instanceof KinmergeError)) throw e;
    return { ...empty, error: { name: e.name, code: e.code, message: e.message } };
  }
  try {
    const tensors: TensorInfo[] = model.source.tensors();
    const dtypes: InspectResult['dtypes'] = {};
    let parameterCount = 0;
    let dataBytes = 0;
    for (const t of tensors) {
      const d = (dtypes[t.dtype] ??= { tensors: 0, parameters: 0 });
      d.tensors++;
      d.parameters += t.numel;
      parameterCount += t.numel;
      dataBytes += t.byteLength;
    }
    return {
      ...empty, valid: true, kind: model.kind, files: model.files, tensorCount: tensors.length, parameterCount, dataBytes,
      dtypes, metadata: model.source.metadata(), config: model.config ?? null,
      ...(withTensors ? { tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, numel: t.numel, byteLength: t.byteLength })) } : {}),
    };
  } finally {
    await model.close();
  }
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(2)} ${units[u]}`;
}

const clip = (s: string, n = 100): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

const CONFIG_KEYS = ['model_type', 'architectures', 'hidden_size', 'num_hidden_layers', 'vocab_size', 'torch_dtype'];

export function formatResult(r: InspectResult): string {
  const lines = [r.path];
  if (!r.valid) {
    lines.push(`  status:     INVALID (${r.error?.name} ${r.error?.code})`, `  error:      ${r.error?.message.replace(/\s*\n\s*/g, ' ')}`);
    return lines.join('\n') + '\n';
  }
  lines.push(
    '  status:     valid',
    `  format:     ${r.kind === 'file' ? 'single safetensors file' : `${r.files.length} shards`}`,
    `  tensors:    ${fmtInt(r.tensorCount)}`,
    `  parameters: ${fmtInt(r.parameterCount)}`,
    `  data:       ${fmtBytes(r.dataBytes)}`,
    `  dtypes:     ${Object.entries(r.dtypes).map(([d, c]) => `${d} (${fmtInt(c.tensors)} tensors, ${fmtInt(c.parameters)} params)`).join(', ') || '-'}`,
  );
  const meta = Object.entries(r.metadata);
  lines.push(meta.length ? '  metadata:' : '  metadata:   -');
  for (const [k, v] of meta) lines.push(`    ${k} = ${clip(v)}`);
  if (r.config) {
    const shown = CONFIG_KEYS.filter((k) => k in r.config!).map((k) => `${k}=${clip(JSON.stringify(r.config![k]), 60)}`);
    lines.push(`  config:     ${shown.join(', ') || '(config.json without the usual keys)'}`);
  }
  if (r.tensors && r.tensors.length) {
    const nameW = Math.min(60, Math.max(4, ...r.tensors.map((t) => t.name.length)));
    lines.push('', `  ${'name'.padEnd(nameW)}  dtype        shape`);
    for (const t of r.tensors) lines.push(`  ${t.name.padEnd(nameW)}  ${t.dtype.padEnd(11)}  [${t.shape.join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'show tensors, dtypes, parameter count, metadata and validation of checkpoints',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags, positionals } = parseArgs(argv, { json: { type: 'boolean' }, summary: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('inspect needs at least one PATH.');
    const results: InspectResult[] = [];
    for (const p of positionals) {
      const r = await inspectPath(p, !flags.summary);
      results.push(r);
      if (!flags.json) io.out((results.length > 1 ? '\n' : '') + formatResult(r));
    }
    if (flags.json) io.out(JSON.stringify({ results }, null, 2) + '\n');
    const bad = results.filter((r) => !r.valid);
    if (bad.length && !flags.json) io.err(`kinmerge: ${bad.length} of ${results.length} path(s) failed validation.\n`);
    return bad.length ? 1 : 0;
  },
};
