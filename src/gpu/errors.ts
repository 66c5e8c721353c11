import { KinmergeError } from '../core/errors';

/**
 * A WebGPU failure: no adapter, a lost device, a validation or out-of-memory error the device raised,
 * a kernel the adapter cannot run. `code` says which:
 * 'gpu-unavailable' | 'gpu-device-lost' | 'gpu-uncaptured' | 'gpu-validation' | 'gpu-out-of-memory'
 * | 'gpu-shader-missing' | 'gpu-too-large' | 'gpu-memory-cap'.
 */
export class GpuError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'GpuError';
  }
}

/** True for errors after which the device is gone and a new one (or the CPU) must finish the work. */
export function isDeviceLoss(e: unknown): boolean {
  return e instanceof GpuError && e.code === 'gpu-device-lost';
}
