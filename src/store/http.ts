/**
 * HTTP access for imports and preflight: Hugging Face–style resolve URLs, Range reads as a ByteSource,
 * and response bodies streamed chunk by chunk with byte progress and cancellation.
 */
import type { ByteSource } from '../core/types';
import { CancelledError, throwIfAborted } from '../core/errors';
import { NetworkError } from './errors';

export type FetchFn = typeof fetch;

export const HF_BASE_URL = 'https://huggingface.co';

export interface HubRef {
  /** `org/name` */
  hfId: string;
  rev: string;
}

/** `org/name` or `org/name@rev` (rev defaults to main). */
export function parseHubRef(ref: string): HubRef {
  const m = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(ref.trim());
  if (!m) {
    throw new NetworkError('bad-hub-id', `"${ref}" is not a Hugging Face model id. Use org/name or org/name@revision, e.g. openai-community/gpt2@main.`);
  }
  return { hfId: m[1], rev: m[2] ?? 'main' };
}

/** The URL a Hub file resolves at, as huggingface_hub builds it (revision URL-encoded: it may hold '/'). */
export function hubFileUrl(ref: HubRef, file: string, baseUrl = HF_BASE_URL): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/${ref.hfId}/resolve/${encodeURIComponent(ref.rev)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

function rethrowFetch(e: unknown, url: string, signal?: AbortSignal): never {
  if (signal?.aborted) throw new CancelledError();
  if (e instanceof NetworkError) throw e;
  throw new NetworkError('unreachable', `Could not reach ${url}: ${(e as Error)?.message ?? e}. Check the address and your connection, then try again.`, { cause: e });
}

/** fetch with named errors for network failures and HTTP statuses. `allow404` returns undefined instead. */
export async function fetchOk(url: string, init: RequestInit = {}, fetchImpl: FetchFn = fetch, allow404 = false): Promise<Response | undefined> {
  let res: Response;
  try {
    res = await fetchImpl(url, init);
  } catch (e) {
    rethrowFetch(e, url, init.signal ?? undefined);
  }
  if (res.ok) return res;
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 404 && allow404) return undefined;
  const what = res.status === 404 ? 'was not found (404). Check the URL, model id and revision.'
    : res.status === 401 || res.status === 403 ? `was refused (${res.status}): the model does not exist, or is gated or private (the Hub answers 401 for all three), which kinmerge cannot open without a login. Check the id.`
    : `failed with HTTP ${res.status}. Try again later.`;
  throw new NetworkError(res.status === 404 ? 'not-found' : 'http-status', `${url} ${what}`, { status: res.status });
}

/** The length a response announces: Content-Range's total for a 206, else Content-Length. */
export function announcedLength(res: Response): number | undefined {
  const cr = res.headers.get('content-range');
  const total = cr ? /\/(\d+)\s*$/.exec(cr)?.[1] : undefined;
  if (total !== undefined && res.status === 206) return Number(total);
  const cl = res.headers.get('content-length');
  return cl !== null && /^\d+$/.test(cl) ? Number(cl) : undefined;
}

/**
 * Reads a body to its end, handing each piece to `onChunk` (which may await: that is the backpressure).
 * A connection that breaks becomes a NetworkError saying how far it got; an abort becomes CancelledError.
 */
export async function streamBody(
  res: Response, url: string, onChunk: (bytes: Uint8Array) => Promise<void>, signal?: AbortSignal, expected?: number,
): Promise<number> {
  if (!res.body) throw new NetworkError('no-body', `${url} returned no body.`);
  const reader = res.body.getReader();
  let got = 0;
  try {
    for (;;) {
      throwIfAborted(signal);
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw new CancelledError();
        const of = expected !== undefined ? ` of ${expected}` : '';
        throw new NetworkError('connection-lost', `The download of ${url} broke off after ${got}${of} bytes (${(e as Error)?.message ?? e}). Nothing was kept; try again.`, { cause: e });
      }
      if (r.done) return got;
      got += r.value.length;
      await onChunk(r.value);
    }
  } finally {
    // Frees the connection when we stop early (an error in onChunk, a cancel).
    reader.cancel().catch(() => undefined);
  }
}

/** Random access to a URL through HTTP Range requests (what preflight uses to read headers only). */
export class HttpByteSource implements ByteSource {
  private constructor(readonly url: string, readonly size: number, private readonly fetchImpl: FetchFn, private readonly first: Uint8Array) {}

  /**
   * Asks for `bytes=0-7` (a safetensors length prefix): the answer's Content-Range gives the size, and
   * the 8 bytes are kept so a header read then needs one more request. HEAD is avoided (CORS setups).
   */
  static async open(url: string, signal?: AbortSignal, fetchImpl: FetchFn = fetch): Promise<HttpByteSource> {
    const res = (await fetchOk(url, { headers: { Range: 'bytes=0-7' }, signal }, fetchImpl))!;
    const size = res.status === 206 ? announcedLength(res) : undefined;
    if (size === undefined) {
      await res.body?.cancel().catch(() => undefined);
      throw new NetworkError('no-range', `${url} does not answer Range requests with a total size, so its header cannot be read without downloading the whole file. Import it instead.`);
    }
    const first = new Uint8Array(Math.min(8, size));
    let pos = 0;
    await streamBody(res, url, async (b) => { first.set(b.subarray(0, first.length - pos), pos); pos = Math.min(first.length, pos + b.length); }, signal);
    return new HttpByteSource(url, size, fetchImpl, first.subarray(0, pos));
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    if (length === 0) return new Uint8Array(0);
    if (offset + length <= this.first.length) return this.first.slice(offset, offset + length);
    const res = (await fetchOk(this.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` }, signal }, this.fetchImpl))!;
    if (res.status !== 206) {
      await res.body?.cancel().catch(() => undefined);
      throw new NetworkError('no-range', `${this.url} ignored a Range request (HTTP ${res.status}); it cannot be read in pieces.`);
    }
    const out = new Uint8Array(length);
    let pos = 0;
    await streamBody(res, this.url, async (b) => {
      if (pos + b.length > length) throw new NetworkError('bad-range', `${this.url} sent more bytes than the range asked for.`);
      out.set(b, pos);
      pos += b.length;
    }, signal, length);
    if (pos !== length) throw new NetworkError('short-range', `${this.url} sent ${pos} of the ${length} bytes asked for at ${offset}. Try again.`);
    return out;
  }
}

/** Waits `ms`, or throws CancelledError when `signal` aborts first. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new CancelledError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface ResumeOptions {
  /** Further attempts after a broken connection (default 3); each resumes where the last stopped. */
  retries?: number;
  /** Wait before the first retry (doubles each time); default 500 ms. */
  backoffMs?: number;
}

/**
 * `streamBody` that survives broken connections: when the body breaks off, it asks for the rest with
 * `Range: bytes=<got>-` (and `If-Range: <etag>`, so a file that changed meanwhile is not spliced) and
 * goes on feeding `onChunk`, whose consumer (hash, chunk writer) never sees the seam.
 */
export async function streamResumable(
  first: Response, url: string, onChunk: (bytes: Uint8Array) => Promise<void>, fetchImpl: FetchFn,
  signal?: AbortSignal, expected?: number, opts: ResumeOptions = {},
): Promise<number> {
  const retries = opts.retries ?? 3;
  const etag = first.headers.get('etag');
  let got = 0;
  let res = first;
  for (let attempt = 0; ; attempt++) {
    try {
      await streamBody(res, url, async (b) => { got += b.length; await onChunk(b); }, signal, expected);
      return got;
    } catch (e) {
      const lost = e instanceof NetworkError && e.code === 'connection-lost';
      if (!lost || attempt >= retries || expected === undefined || got >= expected) throw e;
    }
    await pause((opts.backoffMs ?? 500) * 2 ** attempt, signal);
    const headers: Record<string, string> = { Range: `bytes=${got}-` };
    if (etag) headers['If-Range'] = etag;
    try {
      res = (await fetchOk(url, { headers, signal }, fetchImpl))!;
    } catch (e) {
      if (e instanceof NetworkError && e.status === 416) {
        throw new NetworkError('wrong-length', `${url} announced ${expected} bytes but holds only ${got}: the server reports a wrong length. Nothing was kept; try again later or another source.`, { cause: e, status: 416 });
      }
      throw e;
    }
    const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
    if (res.status !== 206 || (start !== undefined && Number(start) !== got)) {
      await res.body?.cancel().catch(() => undefined);
      throw new NetworkError('cannot-resume', `The download of ${url} broke off after ${got} of ${expected} bytes, and the server would not send the rest (HTTP ${res.status}${res.status === 200 ? ': the file changed or ranges are not supported' : ''}). Nothing was kept; try again.`);
    }
  }
}
