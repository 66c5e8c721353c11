/**
 * Compute pipelines, compiled once per (shader id, overrides) with an explicit bind-group layout:
 * binding 0 the Params uniform, then read-only storage inputs, then read_write outputs (the house
 * convention; 'auto' layouts silently drop bindings a shader does not use). Runtime values go in
 * uniforms, never in the source, so a slider drag never recompiles.
 */
import { shaderCode } from './shaders';
import { GpuError } from './errors';

export interface KernelLayout { inputs: number; outputs: number }

export interface CachedPipeline { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }

export class PipelineCache {
  private readonly cache = new Map<string, Promise<CachedPipeline>>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  compiled = 0;
  constructor(private readonly device: GPUDevice) {}

  get(id: string, shape: KernelLayout, overrides: Record<string, number> = {}): Promise<CachedPipeline> {
    const keys = Object.keys(overrides).sort();
    const key = `${id}|${keys.map((k) => `${k}=${overrides[k]}`).join(',')}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(id, shape, overrides);
      this.cache.set(key, p);
      // Evict on failure so a later call can retry (e.g. after a device is recreated).
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private layoutFor(shape: KernelLayout): GPUBindGroupLayout {
    const key = `${shape.inputs}:${shape.outputs}`;
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
      for (let i = 0; i < shape.inputs; i++) entries.push({ binding: 1 + i, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let o = 0; o < shape.outputs; o++) entries.push({ binding: 1 + shape.inputs + o, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
      l = this.device.createBindGroupLayout({ entries, label: `layout ${key}` });
      this.layouts.set(key, l);
    }
    return l;
  }

  private async compile(id: string, shape: KernelLayout, overrides: Record<string, number>): Promise<CachedPipeline> {
    const layout = this.layoutFor(shape);
    const module = this.device.createShaderModule({ code: shaderCode(id), label: id });
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: id,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main', constants: overrides },
      });
      this.compiled++;
      return { pipeline, layout };
    } catch (e) {
      let detail = '';
      try {
        const info = await module.getCompilationInfo();
        detail = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
      } catch { /* compilation info is best effort */ }
      throw new GpuError('gpu-validation', `Kernel ${id} did not compile on this adapter: ${(e as Error).message}${detail ? ` (${detail})` : ''}`, { cause: e });
    }
  }
}
