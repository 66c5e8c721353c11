/**
 * A loopback HTTP server for tests that serves in-memory files the way Hugging Face resolve URLs do:
 * GET with `Range: bytes=a-b` answers 206 + Content-Range, plain GET answers 200, unknown paths 404.
 * Knobs per file inject faults: an HTTP status, a connection dropped after N bytes, a file served
 * truncated, a wrong Content-Length, a server that ignores Range. ETag + If-Range as HF's CDN does.
 * Never touches the real network.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Faults {
  /** Answer every request for this file with this status (e.g. 404, 500). */
  status?: number;
  /** Announce the full length, send this many body bytes, then destroy the connection (every response). */
  dropAfter?: number;
  /** Serve only the first N bytes, consistently (a truncated file on the server). */
  truncateTo?: number;
  /** Announce this Content-Length whatever is sent; when larger than the body, the connection is then destroyed. */
  contentLength?: number;
  /** Answer Range requests with the whole file and 200 (servers that do not support ranges). */
  ignoreRange?: boolean;
  /** Pause before each body write (ms), so a test can cancel mid-download. */
  delayMs?: number;
}

export interface RangeServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** Every request: path, Range header, status, body bytes sent. */
  readonly log: { path: string; range?: string; status: number; bytes: number }[];
  put(path: string, bytes: Uint8Array, faults?: Faults): string;
  /** A Hub file at `/<hfId>/resolve/<rev>/<file>`; returns its URL. */
  putHub(hfId: string, rev: string, file: string, bytes: Uint8Array, faults?: Faults): string;
  setFaults(path: string, faults: Faults | undefined): void;
  close(): Promise<void>;
}

const SEND_PIECE = 64 * 1024;

export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, { bytes: Uint8Array; faults: Faults; etag: string }>();
  let version = 0;
  const log: RangeServer['log'] = [];

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const entry = files.get(path);
    const range = req.headers.range;
    const rec = { path, range, status: 0, bytes: 0 };
    log.push(rec);
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (!entry) return void (rec.status = 404, res.writeHead(404).end('Entry not found'));
    const { faults } = entry;
    if (faults.status) return void (rec.status = faults.status, res.writeHead(faults.status).end(`status ${faults.status}`));
    const file = faults.truncateTo !== undefined ? entry.bytes.subarray(0, faults.truncateTo) : entry.bytes;
    let start = 0;
    let end = file.length; // exclusive
    let status = 200;
    const etag = entry.etag;
    const ifRange = req.headers['if-range'];
    // If-Range: send the range only when the file is still the one the client started on.
    const rangeOk = range && !faults.ignoreRange && (ifRange === undefined || ifRange === etag);
    const m = rangeOk ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      end = m[2] === '' ? file.length : Math.min(Number(m[2]) + 1, file.length);
      if (start >= file.length || start >= end) {
        rec.status = 416;
        return void res.writeHead(416, { 'Content-Range': `bytes */${file.length}` }).end();
      }
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${file.length}`);
    }
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Content-Type', 'application/octet-stream');
    let body = file.subarray(start, end);
    const announced = faults.contentLength ?? body.length;
    res.setHeader('Content-Length', String(announced));
    rec.status = status;
    res.writeHead(status);
    if (req.method === 'HEAD') return void res.end();
    const limit = Math.min(body.length, faults.dropAfter ?? Infinity, announced);
    body = body.subarray(0, limit);
    for (let o = 0; o < body.length; o += SEND_PIECE) {
      if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (res.destroyed) return;
      const piece = body.subarray(o, o + SEND_PIECE);
      rec.bytes += piece.length;
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
    }
    if (limit < announced) {
      // Let the sent bytes reach the client, then break the connection mid-body.
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const put = (path: string, bytes: Uint8Array, faults: Faults = {}): string => {
    files.set(path, { bytes, faults, etag: `"v${++version}-${bytes.length}"` }); // a new put is a changed file
    return baseUrl + path;
  };
  return {
    baseUrl,
    log,
    put,
    putHub: (hfId, rev, file, bytes, faults = {}) => put(`/${hfId}/resolve/${rev}/${file}`, bytes, faults),
    setFaults(path, faults) {
      const e = files.get(path);
      if (e) e.faults = faults ?? {};
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
