/**
 * Browser AssetReader: fetches from the site root (`/zoo/...`, `/eval/...`), in a page or a worker.
 * A model file is fetched whole (the zoo's are ~1.6 MB) and wrapped as an in-memory ByteSource.
 */
import { openSafetensors } from '../core/checkpoint';
import type { ByteSource } from '../core/types';
import { ZooError, type AssetReader } from './assets';

async function get(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ZooError('asset-fetch-failed', `Could not fetch ${url}: ${(e as Error).message}.`, { cause: e });
  }
  if (!res.ok) throw new ZooError('asset-not-found', `Fetching ${url} gave HTTP ${res.status}.`);
  // Vite's dev server answers unknown paths with index.html; our assets are never HTML.
  if ((res.headers.get('content-type') ?? '').includes('text/html')) throw new ZooError('asset-not-found', `${url} does not exist (the server sent an HTML page).`);
  return res;
}

export function memoryByteSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    async read(offset, length) {
      if (offset < 0 || offset + length > bytes.byteLength) {
        throw new ZooError('file-truncated', `Read of ${length} bytes at ${offset} is past the end (${bytes.byteLength} bytes).`);
      }
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reader over `base` (default: the site root, resolved against the page or worker location). */
export function fetchAssetReader(base = '/'): AssetReader {
  const url = (p: string) => new URL(p, new URL(base, globalThis.location?.href)).href;
  return {
    async text(p) {
      return (await get(url(p))).text();
    },
    async exists(p) {
      try {
        const res = await fetch(url(p), { method: 'HEAD' });
        // Vite's dev server answers unknown paths with index.html; a JSON/jsonl asset is never HTML.
        return res.ok && !(res.headers.get('content-type') ?? '').includes('text/html');
      } catch {
        return false;
      }
    },
    async source(p, id) {
      const bytes = new Uint8Array(await (await get(url(p))).arrayBuffer());
      return openSafetensors(memoryByteSource(bytes), id);
    },
  };
}
