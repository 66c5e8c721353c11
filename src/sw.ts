/// <reference lib="webworker" />
/**
 * Service worker: precaches the built app, the onnxruntime-web wasm the browser evaluator uses (the
 * unused ORT variants are left out, see scripts/vite-precache.ts), the demo zoo and the eval sets
 * (the list is written into this file at build time by scripts/vite-precache.ts), so after one visit
 * the playground loads and runs with the network off. Cache first for precached files (they are
 * content-versioned); network first for page loads, falling back to the cached app shell.
 */
declare const __PRECACHE_MANIFEST__: { version: string; files: string[] };

// The project tsconfig mixes DOM and WebWorker libs, where `self` is a Window; this file runs as a service worker.
const sw = self as unknown as ServiceWorkerGlobalScope;
const MANIFEST = __PRECACHE_MANIFEST__;
const CACHE = `kinmerge-${MANIFEST.version}`;
const SHELL = new URL('./index.html', sw.registration.scope).href;

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' bypasses the HTTP cache so a new version never stores stale bytes.
    await cache.addAll(MANIFEST.files.map((f) => new Request(new URL(f, sw.registration.scope), { cache: 'reload' })));
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('kinmerge-') && key !== CACHE) await caches.delete(key);
    await sw.clients.claim();
  })());
});

/** A 206 slice of a cached full response, for Range reads of zoo files (the Cache API ignores Range). */
async function rangeFrom(res: Response, range: string): Promise<Response> {
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const body = await res.arrayBuffer();
  const size = body.byteLength;
  if (!m || (m[1] === '' && m[2] === '')) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  let start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  let end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  if (start >= size || start > end) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  const headers = new Headers(res.headers);
  headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
  headers.set('Content-Length', String(end - start + 1));
  return new Response(body.slice(start, end + 1), { status: 206, headers });
}

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== sw.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (req.mode === 'navigate') {
      try {
        return await fetch(req);
      } catch {
        return (await cache.match(SHELL)) ?? Response.error();
      }
    }
    const hit = await cache.match(req, { ignoreSearch: true });
    if (hit) {
      const range = req.headers.get('Range');
      return range ? rangeFrom(hit, range) : hit;
    }
    return fetch(req);
  })());
});
