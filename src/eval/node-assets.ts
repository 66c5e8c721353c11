/**
 * Node AssetReader over a folder (the repo's public/ by default). Node-only: the browser uses
 * fetch-assets.ts. Model files are read by range (src/node/files), never whole by this layer.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openSafetensors } from '../core/checkpoint';
import { fileSource } from '../node/files';
import { ZooError, type AssetReader } from './assets';

/** Reader over `root` (default: ./public). Paths are relative to it. */
export function nodeAssetReader(root = resolve('public')): AssetReader {
  const full = (p: string) => join(root, p);
  return {
    async text(p) {
      try {
        return await readFile(full(p), 'utf8');
      } catch (e) {
        throw new ZooError('asset-not-found', `Cannot read ${full(p)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
      }
    },
    async exists(p) {
      return stat(full(p)).then(() => true, () => false);
    },
    async source(p, id) {
      const file = await fileSource(full(p));
      try {
        return Object.assign(await openSafetensors(file, id), { close: () => file.close() });
      } catch (e) {
        await file.close();
        throw e;
      }
    },
  };
}
