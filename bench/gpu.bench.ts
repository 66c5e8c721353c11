/**
 * GPU figures: each kernel's effective GB/s (bytes it must read + write per dispatch, over the time of
 * R dispatches) next to a same-run copyBufferToBuffer of the same bytes (the adapter's practical
 * bandwidth), then whole merges (TIES, SLERP) and a K = 4 kinship matrix on WebGPU vs the CPU backend,
 * on in-memory synthetic BF16 models (so disk speed is not measured). Without a real GPU the adapter is
 * SwiftShader (software rendering on the CPU): those figures prove the path works, not GPU speed.
 */
import { describeAdapter, requestGpuContext, type GpuContext } from '../src/gpu/context';
import { createNodeGpu } from '../src/gpu/node-gpu';
import { encodeDispatch, grid, submit } from '../src/gpu/dispatch';
import { packInputs, type PackedInputs } from '../src/gpu/packed';
import { combineUniform } from '../src/gpu/kernels/combine';
import { GRAM_BLOCK, gramStride, gramUniform } from '../src/gpu/kernels/gram';
import { gtaUniform, TOP_ALL, TOP_NONE, type GtaKernelModel } from '../src/gpu/kernels/gta';
import { DARE_BLOCK } from '../src/gpu/kernels/dare-l1';
import { radixUniform } from '../src/gpu/kernels/radix-hist';
import { WG } from '../src/gpu/kernels/uniform';
import { createWebGpuBackend } from '../src/gpu/backend/merge';
import { createWebGpuGramBackend } from '../src/gpu/backend/gram';
import { createCpuBackend } from '../src/core/merge/cpu-backend';
import { executeMerge } from '../src/core/merge/execute';
import { parseRecipe } from '../src/core/merge/recipe';
import { computeKinship } from '../src/core/kinship';
import { encodeFromF32, decodeToF32 } from '../src/core/dtype';
import type { TensorInfo, TensorSource } from '../src/core/types';
import type { MergeBackend } from '../src/core/merge/types';
import { loadavg } from 'node:os';
import type { BenchOptions, BenchRow } from './run';

const GB = 1e9;

async function timeDispatches(ctx: GpuContext, reps: number, encode: (enc: GPUCommandEncoder, release: GPUBuffer[]) => void): Promise<number> {
  const once = async () => {
    const release: GPUBuffer[] = [];
    const enc = ctx.device.createCommandEncoder();
    for (let r = 0; r < reps; r++) encode(enc, release);
    submit(ctx, enc, release);
    await ctx.device.queue.onSubmittedWorkDone();
  };
  await once(); // warm-up: compile, allocate
  const t = performance.now();
  await once();
  return (performance.now() - t) / 1000 / reps;
}

function randomBf16(n: number, seed: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; x[i] = s / 2147483648 - 1; }
  return encodeFromF32('BF16', x);
}

async function kernelRows(ctx: GpuContext, quick: boolean): Promise<BenchRow[]> {
  // KINMERGE_GPU_ELEMS: a larger size for a real GPU (launch and timing overheads hide bandwidth at 8M).
  const n = quick ? 1 << 20 : Number(process.env.KINMERGE_GPU_ELEMS ?? 1 << 23);
  const reps = quick ? 2 : 4;
  const K = 4; // models; segment K = base
  const packed: PackedInputs = packInputs(ctx, n, Array.from({ length: K + 1 }, (_, j) => ({ code: 2, bytes: randomBf16(n, 7 + j) })));
  const inBytes = packed.byteLength;
  const out = ctx.pool.acquire(4 * n, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'bench out');
  const copyDst = ctx.pool.acquire(inBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'bench copy');
  const adapter = describeAdapter(ctx.info);
  const rows: BenchRow[] = [];
  const copyBw = async (bytes: number) => {
    const s = await timeDispatches(ctx, reps, (enc) => enc.copyBufferToBuffer(packed.buffer, 0, copyDst, 0, Math.floor(bytes / 4) * 4));
    return bytes / s / GB;
  };
  const kernel = async (name: string, bytes: number, run: (enc: GPUCommandEncoder, release: GPUBuffer[]) => Promise<void> | void, pipe: Promise<unknown>) => {
    await pipe;
    const encs: ((enc: GPUCommandEncoder, release: GPUBuffer[]) => void)[] = [];
    // Pipelines resolve asynchronously; encode synchronously inside timeDispatches.
    encs.push((enc, rel) => void run(enc, rel));
    const s = await timeDispatches(ctx, reps, encs[0]);
    const gbs = bytes / s / GB;
    const copy = await copyBw(Math.min(bytes, inBytes));
    rows.push({ bench: 'gpu', case: `${name} kernel (${n} elems, BF16)`, value: gbs, unit: 'GB/s', seconds: s, baseline: `copy ${copy.toFixed(2)} GB/s (${((100 * gbs) / copy).toFixed(0)}%)`, extra: { adapter, bytes, copyGBs: copy } });
  };
  const gram = await ctx.pipelines.get('gram', { inputs: 1, outputs: 1 }, { WG, K, BLOCK: GRAM_BLOCK });
  const blocks = Math.ceil(n / GRAM_BLOCK);
  const partials = ctx.pool.acquire(blocks * gramStride(K) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'bench partials');
  await kernel(`gram K=${K}+base`, inBytes, (enc, rel) => encodeDispatch(ctx, enc, gram, gramUniform(packed, K, true).buf, [packed.buffer, partials], grid(ctx, Math.min(Math.ceil(blocks / WG), ctx.maxGroups)), rel), Promise.resolve());
  const combine = await ctx.pipelines.get('combine', { inputs: 1, outputs: 1 }, { WG });
  await kernel('combine 2 inputs -> F32', 2 * 2 * n + 4 * n, (enc, rel) => encodeDispatch(ctx, enc, combine, combineUniform(packed, [0.4, 0.6], 0).buf, [packed.buffer, out], grid(ctx, Math.min(Math.ceil(n / 2 / WG), ctx.maxGroups)), rel), Promise.resolve());
  const models: GtaKernelModel[] = Array.from({ length: K }, (_, j) => ({ weight: 0.5, scale: 1.2, kind: 2, key: 1234 + j, thr24: 1 << 23, hi: TOP_ALL, lo: TOP_NONE }));
  const gta = await ctx.pipelines.get('gta', { inputs: 1, outputs: 1 }, { WG });
  await kernel(`gta (DARE-TIES) ${K} models -> F32`, inBytes + 4 * n, (enc, rel) => encodeDispatch(ctx, enc, gta, gtaUniform(packed, 0, models, { consensus: true, normalize: false, div: 1, lambda: 1 }, 0), [packed.buffer, out], grid(ctx, Math.min(Math.ceil(n / 2 / WG), ctx.maxGroups)), rel), Promise.resolve());
  const dare = await ctx.pipelines.get('dare_l1', { inputs: 1, outputs: 1 }, { WG, BLOCK: DARE_BLOCK });
  await kernel(`dare_l1 ${K} models`, inBytes, (enc, rel) => encodeDispatch(ctx, enc, dare, gtaUniform(packed, 0, models, { consensus: false, normalize: false, div: 1, lambda: 1 }, 0), [packed.buffer, partials], grid(ctx, Math.min(Math.ceil(Math.ceil(n / DARE_BLOCK) / WG), ctx.maxGroups)), rel), Promise.resolve());
  const radix = await ctx.pipelines.get('radix_hist', { inputs: 1, outputs: 1 }, { WG });
  const queries = Array.from({ length: K }, (_, m) => ({ model: m, phase: 0 as const, shift: 24, valPrefix: 0, valMask: 0, ikPrefix: 0, ikMask: 0 }));
  await kernel(`radix_hist pass, ${K} queries`, inBytes, (enc, rel) => encodeDispatch(ctx, enc, radix, radixUniform(packed, K, 0, true, queries).buf, [packed.buffer, partials], grid(ctx, Math.min(Math.ceil(n / WG), ctx.maxGroups)), rel), Promise.resolve());
  packed.release();
  for (const b of [out, copyDst, partials]) ctx.pool.release(b);
  return rows;
}

/** An in-memory BF16 model: a few Llama-named tensors. */
function memoryModel(id: string, shapes: [string, number[]][], seed: number): TensorSource {
  const infos: TensorInfo[] = [];
  const data = new Map<string, Uint8Array>();
  let offset = 0;
  shapes.forEach(([name, shape], i) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const bytes = randomBf16(numel, seed * 1000 + i);
    data.set(name, bytes);
    infos.push({ name, dtype: 'BF16', shape, numel, byteOffset: offset, byteLength: bytes.byteLength });
    offset += bytes.byteLength;
  });
  const get = (name: string) => infos.find((t) => t.name === name);
  return {
    id, tensors: () => infos, get, metadata: () => ({}),
    readRaw: async (name, start, n) => data.get(name)!.slice(2 * start, 2 * (start + n)),
    readF32: async (name, start, n) => decodeToF32('BF16', data.get(name)!.subarray(2 * start, 2 * (start + n)), n),
  };
}

function shapes(quick: boolean): [string, number[]][] {
  const [h, inter, vocab] = quick ? [256, 704, 2000] : [512, 1408, Number(process.env.KINMERGE_GPU_VOCAB ?? 8000)];
  return [
    ['model.embed_tokens.weight', [vocab, h]],
    ['model.layers.0.self_attn.q_proj.weight', [h, h]],
    ['model.layers.0.mlp.up_proj.weight', [inter, h]],
    ['model.layers.0.mlp.down_proj.weight', [h, inter]],
    ['model.norm.weight', [h]],
    ['lm_head.weight', [vocab, h]],
  ];
}

const nullSink = { write: async () => {}, close: async () => {}, abort: async () => {} };

async function wholeRows(ctx: GpuContext, quick: boolean): Promise<BenchRow[]> {
  const sh = shapes(quick);
  const names = ['base', 'm1', 'm2', 'm3', 'm4'];
  const models = Object.fromEntries(names.map((id, i) => [id, memoryModel(id, sh, i + 1)]));
  const params = sh.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  const rows: BenchRow[] = [];
  const recipes: Record<string, string> = {
    ties: 'merge_method: ties\nbase_model: base\nmodels:\n  - model: m1\n    parameters: {weight: 1, density: 0.3}\n  - model: m2\n    parameters: {weight: 0.7, density: 0.5}\ndtype: bfloat16\n',
    slerp: 'merge_method: slerp\nbase_model: base\nmodels:\n  - model: base\n  - model: m1\nparameters:\n  t: 0.4\n',
  };
  // KINMERGE_GPU_CHUNKS (comma-separated element counts): also time the WebGPU runs at other chunk
  // sizes; each chunk costs a submit and a readback, so on a real GPU larger chunks may pay.
  const chunkList = (process.env.KINMERGE_GPU_CHUNKS ?? '').split(',').map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  for (const [name, yaml] of Object.entries(recipes)) {
    const secs: Record<string, number> = {};
    const run = (backend?: MergeBackend, chunkElems?: number) => executeMerge({ recipe: parseRecipe(yaml), resolve: async (r) => models[r], sink: nullSink, backend, chunkElems });
    const timeRun = async (backend?: MergeBackend, chunkElems?: number) => { const t = performance.now(); await run(backend, chunkElems); return (performance.now() - t) / 1000; };
    secs.cpu = await timeRun(createCpuBackend());
    const gpu = createWebGpuBackend(ctx);
    await run(gpu); // compile
    secs.webgpu = await timeRun(gpu);
    rows.push({ bench: 'gpu', case: `merge ${name} ${(params / 1e6).toFixed(1)}M params BF16, webgpu`, value: params / secs.webgpu / 1e6, unit: 'M params/s', seconds: secs.webgpu, baseline: `cpu ${(params / secs.cpu / 1e6).toFixed(1)} M params/s (${secs.cpu.toFixed(2)} s)`, extra: { cpuSeconds: secs.cpu } });
    for (const c of chunkList) {
      const s = await timeRun(gpu, c);
      rows.push({ bench: 'gpu', case: `merge ${name} ${(params / 1e6).toFixed(1)}M params BF16, webgpu, chunk ${c}`, value: params / s / 1e6, unit: 'M params/s', seconds: s, baseline: `default chunk ${(params / secs.webgpu / 1e6).toFixed(1)} M params/s` });
    }
  }
  const kin: Record<string, { s: number; bytes: number }> = {};
  for (const [label, backend] of [['cpu', undefined], ['webgpu', createWebGpuGramBackend(ctx)]] as const) {
    const opts = { base: models.base, models: [models.m1, models.m2, models.m3, models.m4], backend };
    if (backend) await computeKinship(opts);
    const t = performance.now();
    const r = await computeKinship(opts);
    kin[label] = { s: (performance.now() - t) / 1000, bytes: r.bytesRead };
  }
  for (const c of chunkList) {
    const backend = createWebGpuGramBackend(ctx);
    const t = performance.now();
    await computeKinship({ base: models.base, models: [models.m1, models.m2, models.m3, models.m4], backend, chunkElems: c });
    const sec = (performance.now() - t) / 1000;
    rows.push({ bench: 'gpu', case: `kinship K=4 ${(params / 1e6).toFixed(1)}M params BF16, webgpu, chunk ${c}`, value: params / sec / 1e6, unit: 'M params/s', seconds: sec });
  }
  const totalBytes = 5 * params * 2;
  rows.push({ bench: 'gpu', case: `kinship K=4 ${(params / 1e6).toFixed(1)}M params BF16, webgpu`, value: params / kin.webgpu.s / 1e6, unit: 'M params/s', seconds: kin.webgpu.s, baseline: `cpu ${(params / kin.cpu.s / 1e6).toFixed(1)} M params/s; read ${kin.webgpu.bytes} B = ${(kin.webgpu.bytes / totalBytes).toFixed(2)} x the 5 checkpoints`, extra: { bytesRead: kin.webgpu.bytes, checkpointBytes: totalBytes, cpuSeconds: kin.cpu.s } });
  return rows;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  let ctx: GpuContext;
  try {
    ctx = await requestGpuContext({ gpu: await createNodeGpu() });
  } catch (e) {
    console.error(`# gpu bench skipped: ${(e as Error).message}`);
    return [];
  }
  console.error(`# adapter: ${describeAdapter(ctx.info)}`);
  // A software adapter (SwiftShader) needs minutes for the full sizes and proves nothing about GPU
  // speed there: it runs the quick sizes, and the rows say which adapter produced them.
  const quick = opts.quick || ctx.maxGroups < 1024;
  try {
    const rows = [...(await kernelRows(ctx, quick)), ...(await wholeRows(ctx, quick))];
    ctx.check();
    const adapter = describeAdapter(ctx.info);
    for (const r of rows) r.extra = { ...r.extra, adapter, loadavg1: loadavg()[0] };
    return rows;
  } finally {
    ctx.destroy();
  }
}
