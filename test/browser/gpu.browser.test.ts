import { describe, expect, it } from 'vitest';

interface Report { adapter: string; results: string[]; failures: string[]; notes: string[] }

function inWorker(timeoutMs = 170_000): Promise<Report> {
  const w = new Worker(new URL('./gpu-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<Report>((resolve, reject) => {
    const timer = setTimeout(() => { w.terminate(); reject(new Error('GPU worker timed out')); }, timeoutMs);
    w.onmessage = (e: MessageEvent<{ ok: boolean; result?: Report; error?: string }>) => {
      clearTimeout(timer);
      w.terminate();
      if (e.data.ok) resolve(e.data.result!);
      else reject(new Error(e.data.error));
    };
    w.onerror = (e) => { clearTimeout(timer); w.terminate(); reject(new Error(e.message)); };
    w.postMessage(null);
  });
}

// navigator.gpu in a dedicated worker: Chromium with --enable-unsafe-webgpu (SwiftShader here).
const hasGpu = typeof navigator !== 'undefined' && 'gpu' in navigator && (await navigator.gpu.requestAdapter()) !== null;
if (!hasGpu) console.warn('[gpu browser tests skipped] no WebGPU adapter in this browser (needs --enable-unsafe-webgpu)');

describe.skipIf(!hasGpu)('WebGPU engine inside a module Web Worker (Chromium)', () => {
  it('merge plans match the CPU backend, Gram matches, reruns are bit-identical, device loss recovers', async () => {
    const r = await inWorker();
    console.log(`[gpu worker] adapter: ${r.adapter}\n${r.results.join('\n')}\nnotes: ${r.notes.join(' | ')}`);
    expect(r.failures).toEqual([]);
    expect(r.results.length).toBeGreaterThan(20);
    expect(r.notes.join(' ')).toMatch(/Recreated the GPU device/);
  }, 180_000);
});
