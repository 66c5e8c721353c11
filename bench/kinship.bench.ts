/**
 * Kinship matrix of K = 4 models against a base, on generated Llama-shaped F32 checkpoints of about
 * 100M parameters each (quick: about 10M), next to a same-run baseline that only reads the same bytes
 * through the same TensorSources in the same chunks. Files go to .bench-data/ (gitignored) and are
 * reused while their size matches.
 */
import { mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { computeKinship, cpuGramBackend, DEFAULT_KINSHIP_CHUNK_ELEMS, type KinshipResult } from '../src/core/kinship';
import { createSafetensorsWriter, type SafetensorsEntry } from '../src/core/safetensors';
import type { TensorSource } from '../src/core/types';
import { fileSink } from '../src/node/files';
import { openModelPath } from '../src/node/model-path';
import type { BenchOptions, BenchRow } from './run';
import { llamaLayout } from './merge-data';

const K = 4;
const DIR = join(new URL('..', import.meta.url).pathname, '.bench-data');

function layout(quick: boolean): SafetensorsEntry[] {
  // 100M: vocab 32000 x 1024 embed + head (65.5M) and 3 layers of 12.8M. Quick: ~9.7M.
  return quick ? llamaLayout(8000, 256, 704, 7) : llamaLayout(32000, 1024, 2816, 3);
}

const numel = (e: SafetensorsEntry) => e.shape.reduce((a, b) => a * b, 1);

/** xorshift32 mapped to roughly uniform [-1, 1): cheap enough to generate 500M values. */
function filler(seed: number): (out: Float32Array) => void {
  let s = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13; s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5; s >>>= 0;
      out[i] = s / 2147483648 - 1;
    }
  };
}

/** Base plus K models whose deltas share a common component (pairwise pcc around 0.3..0.6). */
async function generate(quick: boolean): Promise<string[]> {
  const tag = quick ? '10m' : '100m';
  const paths = [`kinship-${tag}-base.safetensors`, ...Array.from({ length: K }, (_, i) => `kinship-${tag}-m${i + 1}.safetensors`)].map((f) => join(DIR, f));
  const entries = layout(quick);
  const dataBytes = entries.reduce((s, e) => s + numel(e) * 4, 0);
  const exists = paths.every((p) => {
    try {
      return statSync(p).size > dataBytes && statSync(p).size < dataBytes + 65536;
    } catch {
      return false;
    }
  });
  if (exists) return paths;
  mkdirSync(DIR, { recursive: true });
  const writers = await Promise.all(paths.map(async (p) => createSafetensorsWriter(await fileSink(p), entries, { generator: 'bench/kinship.bench.ts' })));
  const fills = [filler(1), filler(2), ...Array.from({ length: K }, (_, i) => filler(10 + i))];
  const CH = 1 << 20;
  const base = new Float32Array(CH), shared = new Float32Array(CH), noise = new Float32Array(CH);
  for (const e of entries) {
    for (let start = 0; start < numel(e); start += CH) {
      const len = Math.min(CH, numel(e) - start);
      const b = base.subarray(0, len);
      fills[0](b);
      for (let i = 0; i < len; i++) b[i] *= 0.05;
      fills[1](shared.subarray(0, len));
      const outs: Uint8Array[] = [new Uint8Array(b.slice().buffer)];
      for (let m = 0; m < K; m++) {
        fills[2 + m](noise.subarray(0, len));
        const mix = 0.3 + 0.2 * m;
        const out = new Float32Array(len);
        for (let i = 0; i < len; i++) out[i] = b[i] + 0.002 * (mix * shared[i] + noise[i]);
        outs.push(new Uint8Array(out.buffer));
      }
      await Promise.all(writers.map((w, i) => w.write(outs[i])));
    }
  }
  await Promise.all(writers.map((w) => w.finish()));
  return paths;
}

/** The baseline: every tensor of every source read in the same chunks, decoded, nothing computed. */
async function readAll(sources: TensorSource[], chunkElems: number): Promise<number> {
  let bytes = 0;
  for (const t of sources[0].tensors()) {
    for (let start = 0; start < t.numel; start += chunkElems) {
      const n = Math.min(chunkElems, t.numel - start);
      const chunks = await Promise.all(sources.map((s) => s.readF32(t.name, start, n)));
      bytes += chunks.reduce((a, c) => a + c.byteLength, 0);
    }
  }
  return bytes;
}

/** The Gram arithmetic alone on in-memory chunks: what the CPU backend costs without any I/O. */
async function computeOnly(n: number, chunkElems: number): Promise<number> {
  const inputs = Array.from({ length: K + 1 }, (_, i) => {
    const a = new Float32Array(n);
    filler(100 + i)(a);
    return a;
  });
  const read = async (i: number, start: number, len: number) => inputs[i].subarray(start, start + len);
  const t0 = performance.now();
  await cpuGramBackend.accumulate({ name: 'bench', numel: n, models: K, chunkElems }, read);
  return (performance.now() - t0) / 1000;
}

export async function run({ quick }: BenchOptions): Promise<BenchRow[]> {
  const paths = await generate(quick);
  const opened = await Promise.all(paths.map((p) => openModelPath(p)));
  try {
    const sources = opened.map((o) => o.source);
    const [base, ...models] = sources;
    const params = base.tensors().reduce((s, t) => s + t.numel, 0);
    const chunkElems = DEFAULT_KINSHIP_CHUNK_ELEMS;
    await readAll(sources, chunkElems); // warm the page cache
    // Interleaved repeats, best of each: the machine is shared, so single runs are noisy.
    let readS = Infinity, kinS = Infinity, bytes = 0;
    let r: KinshipResult | undefined;
    for (let rep = 0; rep < (quick ? 3 : 2); rep++) {
      let t0 = performance.now();
      bytes = await readAll(sources, chunkElems);
      readS = Math.min(readS, (performance.now() - t0) / 1000);
      t0 = performance.now();
      r = await computeKinship({ base, models, chunkElems });
      kinS = Math.min(kinS, (performance.now() - t0) / 1000);
    }
    if (r!.bytesRead !== bytes) throw new Error(`kinship read ${r!.bytesRead} bytes, the baseline ${bytes}`);
    const memN = quick ? 1 << 22 : 1 << 24;
    let memS = Infinity;
    for (let rep = 0; rep < 3; rep++) memS = Math.min(memS, await computeOnly(memN, chunkElems));
    const size = quick ? '10M' : '100M';
    // The machine may be shared: the 1-minute load average says how much to trust the absolute figures.
    const extra = { params, K, bytesRead: r!.bytesRead, chunkElems, pcc01: r!.metrics.pcc![0][1], loadavg1: loadavg()[0], maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
    return [
      { bench: 'kinship', case: `read-only baseline, base + ${K} F32 ${size}`, value: params / readS, unit: 'params/s', seconds: readS, extra: { bytes, GBps: bytes / readS / 1e9 } },
      { bench: 'kinship', case: `kinship ${K}x${K} matrix (pcc, cs, cs_abs, ed), F32 ${size}`, value: params / kinS, unit: 'params/s', seconds: kinS, baseline: `${(kinS / readS).toFixed(2)}x read-only time`, extra: { ...extra, GBps: r!.bytesRead / kinS / 1e9 } },
      { bench: 'kinship', case: `Gram arithmetic only (K=${K}, in memory, ${memN} elements)`, value: memN / memS, unit: 'params/s', seconds: memS, extra: { loadavg1: loadavg()[0] } },
    ];
  } finally {
    await Promise.all(opened.map((o) => o.close()));
  }
}
