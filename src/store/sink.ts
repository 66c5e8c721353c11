/**
 * A ByteSink that lands a new model in the library: the engine streams a merged .safetensors file
 * through it (chunk by chunk, never one buffer), and `close` commits the manifest with the model's
 * parents, recipe and seed. `abort` deletes everything written.
 */
import type { ByteSink } from '../core/types';
import { SafetensorsError } from '../core/errors';
import type { Library } from './library';
import type { ModelWriter, FileWriter } from './writer';
import { ImportError, isQuotaExceeded } from './errors';
import { quotaError } from './quota';
import type { ModelManifest, ParentRef, TensorIndex } from './manifest';

export interface ModelSinkOptions {
  name: string;
  fileName?: string;
  parents?: ParentRef[];
  recipe?: unknown;
  seed?: number;
  config?: Record<string, unknown>;
  /** Expected size (the writer's totalBytes): a shorter stream is refused at close. */
  expectedBytes?: number;
}

export interface ModelSink extends ByteSink {
  /** The committed manifest (after close). */
  readonly manifest: ModelManifest | undefined;
  readonly id: string;
}

/** Opens a sink for a new model. The manifest is written only by a successful close(). */
export async function importFromSink(lib: Library, opts: ModelSinkOptions): Promise<ModelSink> {
  const writer: ModelWriter = await lib.beginWrite(opts.name);
  const fileName = opts.fileName ?? 'model.safetensors';
  let fw: FileWriter;
  try {
    fw = writer.file(fileName, opts.expectedBytes);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  let manifest: ModelManifest | undefined;
  const fail = async (e: unknown): Promise<never> => {
    await writer.abort().catch(() => undefined);
    if (isQuotaExceeded(e)) throw await quotaError(lib, e, `the merged model "${opts.name}"`, opts.expectedBytes);
    if (e instanceof SafetensorsError || (e instanceof ImportError && e.code === 'size-mismatch')) {
      // The producer is our own engine: a bad stream is a bug or an interrupted merge, not a bad download.
      throw new ImportError('malformed-output', `The merged model "${opts.name}" was not stored: its stream is not a complete safetensors file (${e.code}: ${e.message}) Run the merge again.`, { cause: e });
    }
    throw e;
  };
  return {
    id: writer.id,
    get manifest() { return manifest; },
    async write(chunk) {
      try {
        await fw.write(chunk);
      } catch (e) {
        await fail(e);
      }
    },
    async close() {
      try {
        const f = await fw.finish();
        const tensorIndex: TensorIndex = {};
        for (const t of f.safetensors!.tensors) tensorIndex[t.name] = { file: 0, byteOffset: t.byteOffset, byteLength: t.byteLength };
        manifest = await writer.commit({
          name: opts.name,
          source: { kind: 'merge', files: [fileName] },
          tensorIndex,
          config: opts.config,
          bytes: f.bytes,
          params: f.safetensors!.tensors.reduce((s, t) => s + t.numel, 0),
          created: Date.now(),
          parents: opts.parents,
          recipe: opts.recipe,
          seed: opts.seed,
        });
      } catch (e) {
        await fail(e);
      }
    },
    async abort() {
      await writer.abort();
    },
  };
}
