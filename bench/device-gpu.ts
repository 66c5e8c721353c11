/**
 * One script for a lent GPU machine (no npm there): bundled by `node bench/device-gpu-pack.mjs` into
 * .devgpu/ with a Node binary and Dawn, then run as `node .devgpu/bench.mjs OUT_DIR`. It checks every
 * WebGPU merge method and the kinship matrix against the CPU reference on the real adapter (largest
 * difference in ULPs of the output dtype, and relative for kinship), then runs bench/gpu.bench.ts at
 * full size, and writes everything to OUT_DIR/gpu-device.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { describeAdapter, requestGpuContext } from '../src/gpu/context';
import { createNodeGpu } from '../src/gpu/node-gpu';
import { createWebGpuBackend } from '../src/gpu/backend/merge';
import { createWebGpuGramBackend } from '../src/gpu/backend/gram';
import { createCpuBackend } from '../src/core/merge/cpu-backend';
import { executeMerge } from '../src/core/merge/execute';
import { parseRecipe } from '../src/core/merge/recipe';
import { computeKinship } from '../src/core/kinship';
import { openSafetensors } from '../src/core/checkpoint';
import { decodeToF32, encodeFromF32 } from '../src/core/dtype';
import type { ByteSink, TensorInfo, TensorSource } from '../src/core/types';
import type { MergeBackend } from '../src/core/merge/types';
import { run as gpuBench } from './gpu.bench';

function model(id: string, seed: number, shapes: [string, number[]][]): TensorSource {
  const infos: TensorInfo[] = [];
  const data = new Map<string, Uint8Array>();
  let s = seed >>> 0 || 1;
  let offset = 0;
  for (const [name, shape] of shapes) {
    const numel = shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(numel);
    for (let i = 0; i < numel; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; x[i] = (s / 2147483648 - 1) * 0.05; }
    if (name.includes('zero')) x.fill(0);
    const bytes = encodeFromF32('BF16', x);
    data.set(name, bytes);
    infos.push({ name, dtype: 'BF16', shape, numel, byteOffset: offset, byteLength: bytes.byteLength });
    offset += bytes.byteLength;
  }
  return {
    id, tensors: () => infos, get: (n) => infos.find((t) => t.name === n), metadata: () => ({}),
    readRaw: async (name, start, n) => data.get(name)!.slice(2 * start, 2 * (start + n)),
    readF32: async (name, start, n) => decodeToF32('BF16', data.get(name)!.subarray(2 * start, 2 * (start + n)), n),
  };
}

function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write: async (c) => { parts.push(c.slice()); },
    close: async () => {}, abort: async () => {},
    bytes() { const n = parts.reduce((a, p) => a + p.length, 0); const o = new Uint8Array(n); let at = 0; for (const p of parts) { o.set(p, at); at += p.length; } return o; },
  };
}

/**
 * Largest |gpu - cpu| over the two files' tensors, in units in the last place of the output dtype at
 * each element's scale (the largest |value| among the inputs and the CPU result there), as the GPU tests
 * measure it: near-cancelling sums are judged against the inputs' magnitude, not the tiny result.
 */
async function maxUlp(a: Uint8Array, b: Uint8Array, inputs: TensorSource[]): Promise<{ maxUlp: number; differing: number; values: number }> {
  const src = (x: Uint8Array) => ({ size: x.length, read: async (o: number, l: number) => x.subarray(o, o + l) });
  const [fa, fb] = await Promise.all([openSafetensors(src(a), 'cpu'), openSafetensors(src(b), 'gpu')]);
  let worst = 0, differing = 0, values = 0;
  for (const t of fa.tensors()) {
    const [va, vb] = await Promise.all([fa.readF32(t.name, 0, t.numel), fb.readF32(t.name, 0, t.numel)]);
    const xs = await Promise.all(inputs.map((m) => m.readF32(t.name, 0, t.numel)));
    const ulp = t.dtype === 'F32' ? 2 ** -23 : t.dtype === 'F16' ? 2 ** -10 : 2 ** -7;
    for (let i = 0; i < va.length; i++) {
      values++;
      if (Object.is(va[i], vb[i])) continue;
      differing++;
      let scale = Math.abs(va[i]);
      for (const x of xs) scale = Math.max(scale, Math.abs(x[i]));
      worst = Math.max(worst, Math.abs(va[i] - vb[i]) / (Math.max(scale, 1e-30) * ulp));
    }
  }
  return { maxUlp: worst, differing, values };
}

const SHAPES: [string, number[]][] = [
  ['model.embed_tokens.weight', [3000, 256]],
  ['model.layers.0.self_attn.q_proj.weight', [256, 256]],
  ['model.layers.0.mlp.up_proj.weight', [704, 256]],
  ['model.layers.1.self_attn.zero.weight', [256, 8]],
  ['model.layers.1.mlp.down_proj.weight', [256, 704]],
  ['model.norm.weight', [1]],
  ['lm_head.weight', [3000, 256]],
];

const RECIPES: Record<string, string> = {
  slerp: 'merge_method: slerp\nbase_model: base\nmodels: [{model: base}, {model: m1}]\nparameters:\n  t:\n    - filter: self_attn\n      value: [0, 0.5, 1]\n    - value: 0.4\n',
  linear: 'merge_method: linear\nmodels:\n  - model: m1\n    parameters: {weight: 0.3}\n  - model: m2\n    parameters: {weight: 0.9}\n',
  task_arithmetic: 'merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 0.7}\n  - model: m2\n    parameters: {weight: 0.5}\n',
  ties: 'merge_method: ties\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 1, density: 0.3}\n  - model: m2\n    parameters: {weight: 0.7, density: 0.5}\ndtype: bfloat16\n',
  dare_ties: 'merge_method: dare_ties\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 1, density: 0.4}\n  - model: m2\n    parameters: {weight: 0.6, density: 0.6}\n',
  dare_linear: 'merge_method: dare_linear\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 0.5, density: 0.5}\n  - model: m2\n    parameters: {weight: 0.5, density: 0.5}\n',
  breadcrumbs_ties: 'merge_method: breadcrumbs_ties\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 1, density: 0.8, gamma: 0.05}\n  - model: m2\n    parameters: {weight: 1, density: 0.8, gamma: 0.05}\n',
};

const outDir = process.argv[2] ?? '.';
const report: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
const ctx = await requestGpuContext({ gpu: await createNodeGpu() });
report.adapter = describeAdapter(ctx.info);
console.log(`adapter: ${report.adapter}`);
const models = Object.fromEntries(['base', 'm1', 'm2', 'm3'].map((id, i) => [id, model(id, 11 + i, SHAPES)]));
const checks: Record<string, unknown> = {};
for (const [name, yaml] of Object.entries(RECIPES)) {
  const out: Uint8Array[] = [];
  for (const backend of [createCpuBackend(), createWebGpuBackend(ctx)] as MergeBackend[]) {
    const sink = memorySink();
    await executeMerge({ recipe: parseRecipe(yaml), resolve: async (r) => models[r], sink, backend, seed: 7, chunkElems: 1 << 18 });
    out.push(sink.bytes());
  }
  checks[name] = await maxUlp(out[0], out[1], Object.values(models));
  console.log(`check ${name}: ${JSON.stringify(checks[name])}`);
}
const kin: Record<string, unknown> = {};
{
  const opts = { base: models.base, models: [models.m1, models.m2, models.m3] };
  const [c, g] = [await computeKinship(opts), await computeKinship({ ...opts, backend: createWebGpuGramBackend(ctx) })];
  for (const metric of ['pcc', 'cs', 'ed'] as const) {
    const mc = (c.metrics as Record<string, (number | null)[][]>)[metric], mg = (g.metrics as Record<string, (number | null)[][]>)[metric];
    let worst = 0;
    mc.forEach((row, i) => row.forEach((v, j) => { const w = mg[i][j]; if (v !== null && w !== null && v !== 0) worst = Math.max(worst, Math.abs(v - w) / Math.abs(v)); }));
    kin[metric] = worst;
  }
  console.log(`check kinship max relative difference: ${JSON.stringify(kin)}`);
}
ctx.destroy();
report.mergeChecks = checks;
report.kinshipMaxRel = kin;
report.bench = await gpuBench({ quick: false } as Parameters<typeof gpuBench>[0]);
for (const r of report.bench as { case: string; value: number; unit: string; baseline?: string }[]) console.log(`${r.case}: ${r.value.toPrecision(4)} ${r.unit} (${r.baseline ?? ''})`);
writeFileSync(join(outDir, 'gpu-device.json'), JSON.stringify(report, null, 2));
process.exit(0);
