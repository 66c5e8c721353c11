/**
 * A size-bucketed buffer pool with a byte cap. Buffers come in power-of-two buckets (>= 256 B) per
 * usage, so chunk after chunk reuses the same few allocations. Peak bytes are tracked so tests can show
 * GPU memory stays bounded by the chunk size, whatever the model size.
 */
import { GpuError } from './errors';

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly sizes = new WeakMap<GPUBuffer, string>();
  /** Bytes held by live and pooled buffers. */
  allocatedBytes = 0;
  peakBytes = 0;
  constructor(private readonly device: GPUDevice, readonly capBytes: number) {}

  static bucket(bytes: number): number {
    return Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
  }

  acquire(bytes: number, usage: GPUBufferUsageFlags, label = 'pool'): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    const hit = list?.pop();
    if (hit) return hit;
    if (this.allocatedBytes + size > this.capBytes) this.trim();
    if (this.allocatedBytes + size > this.capBytes) {
      throw new GpuError('gpu-memory-cap', `The GPU buffer pool would exceed its cap of ${this.capBytes} bytes (${this.allocatedBytes} held, ${size} asked). Lower the chunk size or raise poolCapBytes.`);
    }
    const buf = this.device.createBuffer({ size, usage, label });
    this.sizes.set(buf, key);
    this.allocatedBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.allocatedBytes);
    return buf;
  }

  /** Return a buffer for reuse. Only after the work that uses it has been submitted. */
  release(buf: GPUBuffer): void {
    const key = this.sizes.get(buf);
    if (!key) { buf.destroy(); return; }
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** Destroy pooled (unused) buffers. */
  trim(): void {
    for (const [key, list] of this.free) {
      const size = Number(key.split(':')[1]);
      for (const b of list) { b.destroy(); this.allocatedBytes -= size; }
    }
    this.free.clear();
  }

  /** Start a new peak measurement (from the bytes held now). */
  resetPeak(): void { this.peakBytes = this.allocatedBytes; }

  destroyAll(): void { this.trim(); this.allocatedBytes = 0; }
}
