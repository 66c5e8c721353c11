/**
 * Share-link codec: state -> JSON -> deflate-raw (CompressionStream) -> base64url -> `v1.<data>`.
 * Decoding checks size first, then the version prefix, then inflates with an output cap (a tiny link
 * must not expand into megabytes), then parses and validates. It never fetches anything: models in a
 * link are only named; the Library offers to import them when the user clicks.
 */
import { ShareLinkError } from './errors.ts';
import { fromBase64url, toBase64url } from './base64url.ts';
import { SHARE_VERSION, validateShare, type ShareState, type Validated } from './schema.ts';

/** Longest accepted token (characters after `s=`). Browsers keep far longer URLs, but a link this big is not hand-made. */
export const MAX_TOKEN_CHARS = 16 * 1024;
/** Largest accepted JSON after inflating. */
export const MAX_JSON_BYTES = 64 * 1024;

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, maxOut: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Errors surface on the reader; the writer's promises would otherwise reject unhandled.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxOut) {
      await reader.cancel().catch(() => {});
      throw new ShareLinkError('share-oversized', `This share link expands to more than ${maxOut / 1024} KiB of settings, which is more than kinmerge accepts. Ask for a smaller link.`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

export async function encodeShare(state: ShareState): Promise<string> {
  // Validate on the way out too: a link we cannot read back is a bug, better caught here.
  validateShare(JSON.parse(JSON.stringify(state)));
  const json = new TextEncoder().encode(JSON.stringify(state));
  const packed = await pipe(json, new CompressionStream('deflate-raw'), Number.MAX_SAFE_INTEGER);
  const token = `v${SHARE_VERSION}.${toBase64url(packed)}`;
  if (token.length > MAX_TOKEN_CHARS) {
    throw new ShareLinkError('share-oversized', `This experiment needs a ${Math.ceil(token.length / 1024)} KiB link, over the ${MAX_TOKEN_CHARS / 1024} KiB limit. Use fewer models or export the run as a file instead.`);
  }
  return token;
}

export async function decodeShare(token: string): Promise<Validated> {
  if (token.length > MAX_TOKEN_CHARS) {
    throw new ShareLinkError('share-oversized', `This share link is ${Math.ceil(token.length / 1024)} KiB, over the ${MAX_TOKEN_CHARS / 1024} KiB limit. It was probably corrupted or not made by kinmerge.`);
  }
  const m = /^v(\d{1,6})\.([A-Za-z0-9_-]*)$/.exec(token);
  if (!m) {
    throw new ShareLinkError('share-malformed', 'This share link is damaged (it should look like "v1." followed by letters, digits, "-" and "_"). Copy the whole link again.');
  }
  if (Number(m[1]) !== SHARE_VERSION) {
    throw new ShareLinkError('share-version', `This share link has format version ${m[1]}, but this kinmerge reads version ${SHARE_VERSION}. Open it with the kinmerge release that made it, or ask for a fresh link.`);
  }
  const packed = fromBase64url(m[2]);
  if (!packed || packed.length === 0) {
    throw new ShareLinkError('share-malformed', 'This share link is damaged (its data is not valid base64url). Copy the whole link again.');
  }
  let json: Uint8Array;
  try {
    json = await pipe(packed, new DecompressionStream('deflate-raw'), MAX_JSON_BYTES);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError('share-malformed', 'This share link is damaged (its data does not decompress). Copy the whole link again.', { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new ShareLinkError('share-malformed', 'This share link is damaged (its data is not JSON). Copy the whole link again.', { cause: e });
  }
  return validateShare(value);
}
