/**
 * Finding a GPU in any of the three shells: navigator.gpu in browsers and workers, Dawn (the `webgpu`
 * package, loaded by a variable dynamic import so bundles never include it) in Node.
 */
import { requestGpuContext, type GpuContext, type GpuContextOptions } from './context';

export interface WebGpuSetupOptions extends Omit<GpuContextOptions, 'gpu'> {
  gpu?: GPU;
  /** Where notes about device loss and CPU fallbacks go (default: console.warn). */
  onNote?: (message: string) => void;
}

const NODE_GPU = './node-gpu';

export async function findGpu(): Promise<GPU | undefined> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (typeof process !== 'undefined' && process.versions?.node) {
    const mod = (await import(/* @vite-ignore */ NODE_GPU)) as typeof import('./node-gpu');
    return mod.createNodeGpu();
  }
  return undefined;
}

export async function contextFactory(opts: WebGpuSetupOptions): Promise<() => Promise<GpuContext>> {
  const gpu = opts.gpu ?? (await findGpu());
  return () => requestGpuContext({ ...opts, gpu });
}

export const defaultNote = (m: string): void => console.warn(`kinmerge webgpu: ${m}`);
