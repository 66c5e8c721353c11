/**
 * Vite plugin: builds the service worker (src/sw.ts) as `sw.js` at the root of the output, and writes
 * into it the precache manifest: every file of the build (app chunks, CSS, the onnxruntime-web wasm
 * once the engine imports it) plus public/zoo/** and public/eval/**, with a version hash over their
 * contents. Inlining the manifest changes sw.js whenever any cached file changes, which is what makes
 * the browser install the new worker and drop the old cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';

const SW_ENTRY = 'src/sw.ts';
const PLACEHOLDER = '__PRECACHE_MANIFEST__';
/** Public folders the playground needs offline. */
const PUBLIC_DIRS = ['zoo', 'eval', 'ort'];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function precache(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'kinmerge-precache',
    apply: 'build',
    config() {
      return {
        build: {
          rolldownOptions: {
            input: { index: 'index.html', sw: SW_ENTRY },
            output: { entryFileNames: (chunk: { name: string }) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
          },
        },
      };
    },
    configResolved(c) { config = c; },
    generateBundle(_options, bundle) {
      const hash = createHash('sha256');
      const files: string[] = [];
      for (const [name, item] of Object.entries(bundle)) {
        if (name === 'sw.js' || name.endsWith('.map')) continue;
        files.push(name);
        hash.update(name);
        hash.update(item.type === 'chunk' ? item.code : typeof item.source === 'string' ? item.source : Buffer.from(item.source));
      }
      const pub = config.publicDir;
      for (const d of PUBLIC_DIRS) {
        for (const p of walk(join(pub, d))) {
          const rel = relative(pub, p).split(sep).join('/');
          files.push(rel);
          hash.update(rel);
          hash.update(readFileSync(p));
        }
      }
      files.sort();
      const manifest = { version: hash.digest('hex').slice(0, 16), files: ['./', ...files.filter((f) => f !== 'index.html'), 'index.html'] };
      const sw = bundle['sw.js'];
      if (!sw || sw.type !== 'chunk') this.error(`${SW_ENTRY} was not built as sw.js; check the build input.`);
      if (!sw.code.includes(PLACEHOLDER)) this.error(`sw.js lost its ${PLACEHOLDER} placeholder; the minifier must keep free globals.`);
      sw.code = sw.code.replace(PLACEHOLDER, JSON.stringify(manifest));
      this.emitFile({ type: 'asset', fileName: 'precache-manifest.json', source: JSON.stringify(manifest, null, 1) });
    },
  };
}
