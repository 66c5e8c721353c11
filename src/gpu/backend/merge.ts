/**
 * The WebGPU MergeBackend: the four plan kinds of src/core/merge on the kernels, chunk by chunk.
 *   copy   -> pass-through of readF32 (nothing to compute)
 *   linear -> combine.wgsl with the plan's coefficients
 *   slerp  -> gram.wgsl (K = 2: aa, ab, bb) -> slerpCoefficients (f64, shared with the CPU) -> combine
 *   gta    -> radix select (magnitude) / dare_l1 (Bernoulli rescale) -> gta.wgsl
 * Scalar math (SLERP angle, divisors, DARE factors) comes from src/core so both backends share the
 * degenerate cases. The kernels write f32; the executor rounds to the output dtype like for the CPU.
 */
import type { MergeBackend, PlanIO, TensorPlan } from '../../core/merge/types';
import { slerpCoefficients } from '../../core/merge/slerp';
import { dareRescaleFactor } from '../../core/merge/cpu-gta';
import { threshold24 } from '../../core/rng';
import { throwIfAborted } from '../../core/errors';
import type { GpuContext } from '../context';
import { chunkElems } from '../chunk';
import { packedBytesPerElem } from '../packed';
import { combineChunk } from '../kernels/combine';
import { accumulateGram, gramPartialBytesPerElem, newGramSums } from '../kernels/gram';
import { gtaChunk, TOP_ALL, TOP_NONE, type GtaKernelModel } from '../kernels/gta';
import { accumulateDareL1 } from '../kernels/dare-l1';
import { MAX_INPUTS } from '../kernels/uniform';
import { selectTopBoundaries, type BoundaryRequest } from '../select';
import { GpuError } from '../errors';
import { inputCode, PlanChunks } from './chunks';

type GtaPlan = Extract<TensorPlan, { kind: 'gta' }>;

export interface WebGpuMergeBackend extends MergeBackend {
  readonly ctx: GpuContext;
}

export interface WebGpuBackendOptions {
  /** A binding limit below the device's (tests force several chunks with it; a tighter memory budget). */
  maxBindingBytes?: number;
}

export function createWebGpuBackend(device: GpuContext, opts: WebGpuBackendOptions = {}): WebGpuMergeBackend {
  const ctx: GpuContext = opts.maxBindingBytes === undefined ? device
    : Object.assign(Object.create(device) as GpuContext, { maxBindingBytes: Math.min(device.maxBindingBytes, opts.maxBindingBytes) });
  return {
    name: 'webgpu',
    ctx,
    async runPlan(plan, io, signal) {
      throwIfAborted(signal);
      switch (plan.kind) {
        case 'copy': return runCopy(plan.input, io, signal);
        case 'linear': return runLinear(ctx, plan.inputs, plan.coeffs, io, signal);
        case 'slerp': return runSlerp(ctx, plan.a, plan.b, plan.t, io, signal);
        case 'gta': return runGta(ctx, plan, io, signal);
      }
    },
  };
}

/** Elements per chunk: the executor's chunk, shrunk until every binding fits the device. */
function planElems(ctx: GpuContext, io: PlanIO, inputs: number[], outBytesPerElem: number): number {
  if (inputs.length > MAX_INPUTS + 1) {
    throw new GpuError('gpu-too-large', `${io.tensorName}: the kernels take up to ${MAX_INPUTS} models per merge, this plan has ${inputs.length}.`);
  }
  return Math.max(1, Math.min(io.chunkElems, chunkElems({ bytesPerElem: packedBytes(io, inputs), outBytesPerElem, maxBindingBytes: ctx.maxBindingBytes, align: 2 })));
}

/** Bytes per element of the packed inputs, with the 16-byte padding of each segment spread out. */
function packedBytes(io: PlanIO, inputs: number[]): number {
  return packedBytesPerElem(inputs.map((i) => inputCode(io, i))) + 16 * inputs.length / 256;
}

async function runCopy(input: number, io: PlanIO, signal?: AbortSignal): Promise<void> {
  for (let start = 0; start < io.numel; start += io.chunkElems) {
    throwIfAborted(signal);
    await io.write(await io.readF32(input, start, Math.min(io.chunkElems, io.numel - start)));
  }
}

async function writeF32(io: PlanIO, raw: Uint8Array): Promise<void> {
  await io.write(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
}

async function runLinear(ctx: GpuContext, inputs: number[], coeffs: number[], io: PlanIO, signal?: AbortSignal): Promise<void> {
  const chunks = new PlanChunks(ctx, io, inputs, planElems(ctx, io, inputs, 4), signal);
  try {
    await chunks.visit(async (packed) => writeF32(io, await combineChunk(ctx, packed, coeffs, 0)));
  } finally { chunks.close(); }
}

async function runSlerp(ctx: GpuContext, a: number, b: number, t: number, io: PlanIO, signal?: AbortSignal): Promise<void> {
  const inputs = [a, b];
  const chunks = new PlanChunks(ctx, io, inputs, planElems(ctx, io, inputs, Math.max(4, gramPartialBytesPerElem(2))), signal);
  try {
    const g = newGramSums(2);
    await chunks.visit((packed) => accumulateGram(ctx, packed, 2, false, g));
    const { s0, s1 } = slerpCoefficients(t, { aa: g.g[0], ab: g.g[1], bb: g.g[3] });
    await chunks.visit(async (packed) => writeF32(io, await combineChunk(ctx, packed, [s0, s1], 0)));
  } finally { chunks.close(); }
}

async function runGta(ctx: GpuContext, plan: GtaPlan, io: PlanIO, signal?: AbortSignal): Promise<void> {
  const k = plan.models.length;
  // Segments 0..k-1 are the models, segment k the base (the kernels' convention).
  const inputs = [...plan.models.map((m) => m.input), plan.base];
  const chunks = new PlanChunks(ctx, io, inputs, planElems(ctx, io, inputs, 4), signal);
  let passes = chunks;
  try {
    const models: GtaKernelModel[] = plan.models.map((m) => ({
      weight: m.weight, scale: 1, key: 0, thr24: 0, hi: TOP_ALL, lo: TOP_NONE,
      kind: m.sparsify.kind === 'magnitude' ? 1 : m.sparsify.kind === 'bernoulli' ? 2 : 0,
    }));
    const reqs: BoundaryRequest[] = [];
    plan.models.forEach((m, j) => {
      if (m.sparsify.kind === 'magnitude') reqs.push({ model: j, m: m.sparsify.hi }, { model: j, m: m.sparsify.lo });
      if (m.sparsify.kind === 'bernoulli') { models[j].key = m.sparsify.key; models[j].thr24 = threshold24(m.sparsify.density); }
    });
    const rescale = plan.models.some((m) => m.sparsify.kind === 'bernoulli' && m.sparsify.rescale);
    // The magnitude selection and DARE's L1 sums read the inputs once per pass: a tensor that fits the
    // resident budget is uploaded once for all of them (TIES at 16M elements was 5x faster on an H200).
    if (chunks.ranges.length > 1 && (reqs.length > 0 || rescale) && io.numel <= residentElems(ctx, io, inputs)) {
      passes = new PlanChunks(ctx, io, inputs, io.numel, signal, true);
    }
    if (reqs.length) {
      const found = await selectTopBoundaries(ctx, io.numel, k, true, reqs, passes.visit);
      reqs.forEach((r, q) => { if (q % 2 === 0) models[r.model].hi = found[q]; else models[r.model].lo = found[q]; });
    }
    if (rescale) {
      const all = new Float64Array(k), kept = new Float64Array(k);
      await passes.visit((packed, start) => accumulateDareL1(ctx, packed, start, models, all, kept));
      plan.models.forEach((m, j) => { if (m.sparsify.kind === 'bernoulli' && m.sparsify.rescale) models[j].scale = dareRescaleFactor(all[j], kept[j]); });
    }
    // The output pass streams in chunks again: its readback is the size of the chunk on the host.
    if (passes !== chunks) { passes.close(); passes = chunks; }
    const sumW = plan.models.reduce((s, m) => s + m.weight, 0);
    const opts = { consensus: plan.consensus, normalize: plan.normalize, div: Math.abs(sumW) < 1e-8 ? 1 : sumW, lambda: plan.lambda };
    await chunks.visit(async (packed, start) => writeF32(io, await gtaChunk(ctx, packed, start, models, opts, 0)));
  } finally {
    if (passes !== chunks) passes.close();
    chunks.close();
  }
}

/** GPU memory one plan may keep resident across passes (a budget independent of the model). */
export const RESIDENT_BYTES = 512 * 2 ** 20;

/** Largest tensor (elements) whose packed inputs fit one binding and the resident budget. */
function residentElems(ctx: GpuContext, io: PlanIO, inputs: number[]): number {
  return Math.floor(Math.min(ctx.maxBindingBytes, RESIDENT_BYTES) / packedBytes(io, inputs));
}
