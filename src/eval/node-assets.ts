/**
 * Node AssetReader over a folder (the repo's public/ by default). Node-only: the browser uses
 * fetch-assets.ts. Files are read by range through a file handle, so a model file is never read whole
 * by this layer.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openSafetensors } from '../core/checkpoint';
import type { ByteSource } from '../core/types';
import { ZooError, type AssetReader } from './assets';

async function fileByteSource(path: string): Promise<ByteSource> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw new ZooError('file-truncated', `${path}: wanted ${length} bytes at ${offset}, the file ends first.`);
        got += bytesRead;
      }
      return buf;
    },
  };
}

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
      let src: ByteSource;
      try {
        src = await fileByteSource(full(p));
      } catch (e) {
        if (e instanceof ZooError) throw e;
        throw new ZooError('asset-not-found', `Cannot open ${full(p)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
      }
      return openSafetensors(src, id);
    },
  };
}
