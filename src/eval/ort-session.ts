/**
 * The only onnxruntime-web import in the project. Under Node, `onnxruntime-web` resolves to ORT's Node
 * build. In a browser (page or worker) the wasm backend loads `onnxruntime-web/wasm`, whose binary is
 * half the size of the default bundle's (14 vs 28 MB: compiling it is most of a session's start-up),
 * and the webgpu backend loads `onnxruntime-web/webgpu`. The imports are dynamic, so a page that never
 * evaluates never downloads ORT.
 *
 * One session per graph (per config); weights are graph inputs, so scoring another model is a new set
 * of feeds, not a new session. ORT sessions must not run concurrently, so runs go through a promise
 * chain (transformers.js does the same).
 */
import type * as Ort from 'onnxruntime-web';
import { KinmergeError } from '../core/errors';

export type Backend = 'wasm' | 'webgpu';

/** ORT failed to create a session or to run it. */
export class OrtError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'OrtError';
  }
}

export interface OrtOptions {
  backend?: Backend;
  /** webgpu only: the engine's device, shared so merged weights and ORT live on one GPU. */
  device?: GPUDevice;
  /** wasm threads; default: ORT's choice (needs cross-origin isolation in browsers). */
  numThreads?: number;
}

/** A tensor as plain data; `int64` data is a BigInt64Array. */
export interface Feed {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/** Weights prepared for repeated runs (on the GPU for webgpu), released by dispose(). */
export interface WeightFeeds {
  readonly tensors: Record<string, unknown>;
  dispose(): void;
}

export interface OrtSession {
  readonly backend: Backend;
  /** webgpu: ORT runs on the GPUDevice passed in `device`. */
  readonly sharedDevice: boolean;
  prepareWeights(weights: Record<string, Feed>): WeightFeeds;
  /** One run: returns the named output as f32 with its dims. */
  run(feeds: Record<string, Feed>, weights: WeightFeeds, output: string): Promise<{ data: Float32Array; dims: number[] }>;
  dispose(): Promise<void>;
}

const GPU_STORAGE = 0x80, GPU_COPY_SRC = 0x4, GPU_COPY_DST = 0x8;
type OrtModule = typeof Ort;
const isNode = (globalThis as { process?: { release?: { name?: string } } }).process?.release?.name === 'node';
const modules = new Map<string, Promise<OrtModule>>();
/** One module per variant, imported once; env settings are per module, applied on first load. */
function loadOrt(backend: Backend, numThreads?: number): Promise<OrtModule> {
  const key = isNode ? 'node' : backend;
  let m = modules.get(key);
  if (!m) {
    const imported: Promise<OrtModule> = isNode ? import('onnxruntime-web')
      : backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm');
    m = imported.then((ort) => {
      // env settings only take effect before the module's first session.
      if (numThreads !== undefined) ort.env.wasm.numThreads = numThreads;
      ort.env.logLevel = 'error';
      return ort;
    });
    m.catch(() => modules.delete(key));
    modules.set(key, m);
  }
  return m;
}
let webgpuStarted = false;

function toTensor(ort: OrtModule, f: Feed): Ort.Tensor {
  return f.data instanceof BigInt64Array
    ? new ort.Tensor('int64', f.data, f.dims)
    : new ort.Tensor('float32', f.data, f.dims);
}

export async function createOrtSession(graph: Uint8Array, opts: OrtOptions = {}): Promise<OrtSession> {
  const backend = opts.backend ?? 'wasm';
  let ort: OrtModule;
  try {
    ort = await loadOrt(backend, opts.numThreads);
  } catch (e) {
    throw new OrtError('ort-load-failed', `Could not load onnxruntime-web (${backend}): ${(e as Error).message ?? e}`, { cause: e });
  }
  if (backend === 'webgpu' && opts.device && !webgpuStarted) {
    // ORT's WebGPU backend is process-wide and keeps the first device it gets; share the engine's.
    ort.env.webgpu.device = opts.device;
  }
  if (backend === 'webgpu') webgpuStarted = true;
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(graph, {
      // ORT 1.30's webgpu bundle takes the device from the EP option (env.webgpu.device alone was
      // ignored: it reported a device of its own, measured in the browser test).
      executionProviders: backend === 'webgpu' && opts.device ? [{ name: 'webgpu', device: opts.device }] : [backend],
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new OrtError('ort-create-failed', `onnxruntime-web could not create a ${backend} session: ${(e as Error).message ?? e}${backend === 'webgpu' ? ' (try the wasm backend)' : ''}`, { cause: e });
  }
  // Weights are uploaded to the device ORT really runs on (the shared one when it accepted it).
  const device = backend === 'webgpu' ? await ort.env.webgpu.device : undefined;
  /** Whether ORT runs on the caller's GPUDevice (false: it had started on its own before). */
  const sharedDevice = !!opts.device && device === opts.device;
  let chain: Promise<unknown> = Promise.resolve();

  return {
    backend,
    sharedDevice,
    prepareWeights(weights) {
      const tensors: Record<string, Ort.Tensor> = {};
      const buffers: GPUBuffer[] = [];
      for (const [name, f] of Object.entries(weights)) {
        if (!device || f.data instanceof BigInt64Array) {
          tensors[name] = toTensor(ort, f);
          continue;
        }
        // Upload once per model: every batch of the score reuses the same GPU buffers.
        const buf = device.createBuffer({ size: Math.max(16, Math.ceil(f.data.byteLength / 16) * 16), usage: GPU_STORAGE | GPU_COPY_SRC | GPU_COPY_DST });
        device.queue.writeBuffer(buf, 0, f.data.buffer, f.data.byteOffset, f.data.byteLength);
        buffers.push(buf);
        tensors[name] = ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims: f.dims });
      }
      return {
        tensors,
        dispose() {
          for (const t of Object.values(tensors)) if (t.location === 'gpu-buffer') t.dispose();
          for (const b of buffers) b.destroy();
        },
      };
    },
    run(feeds, weights, output) {
      const next = chain.then(async () => {
        const all: Record<string, Ort.Tensor> = { ...(weights.tensors as Record<string, Ort.Tensor>) };
        for (const [k, f] of Object.entries(feeds)) all[k] = toTensor(ort, f);
        let out: Ort.InferenceSession.OnnxValueMapType;
        try {
          out = await session.run(all, [output]);
        } catch (e) {
          throw new OrtError('ort-run-failed', `onnxruntime-web (${backend}) failed to run the model: ${(e as Error).message ?? e}`, { cause: e });
        }
        const t = out[output];
        const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array;
        const dims = [...t.dims];
        return { data: data.slice(), dims, release: () => t.dispose() };
      });
      chain = next.catch(() => undefined);
      return next.then(({ data, dims, release }) => {
        release();
        return { data, dims };
      });
    },
    async dispose() {
      await chain;
      await session.release();
    },
  };
}
