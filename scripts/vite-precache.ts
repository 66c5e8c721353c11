/**
 * Vite plugin: builds the service worker (src/sw.ts) as `sw.js` at the root of the output, and writes
 * into it the precache manifest: every file of the build (app chunks, CSS, the onnxruntime-web wasm
 * the browser evaluator loads; not the ones it never loads, see BROWSER_UNUSED) plus public/zoo/** and
 * public/eval/**, with a version hash over their contents. Inlining the manifest changes sw.js whenever any cached file changes, which is what makes
 * the browser install the new worker and drop the old cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin, ResolvedConfig, Rolldown } from 'vite';

const SW_ENTRY = 'src/sw.ts';
const PLACEHOLDER = '__PRECACHE_MANIFEST__';
/** Public folders the playground needs offline. */
const PUBLIC_DIRS = ['zoo', 'eval', 'ort'];
/**
 * onnxruntime-web bundles the playground never loads in a browser: the default bundle is imported only
 * under Node (src/eval/ort-session.ts), and the browser evaluator runs the wasm backend, not webgpu. The
 * wasm binaries only these chunks reference (the jsep and asyncify builds, 55 of the 69 MB) are left
 * out of the precache (listed as `skipped` in precache-manifest.json): each new profile installed ~80
 * MB before, ~25 MB now. test/e2e/offline.e2e.test.ts proves a merge and its evaluation still run with
 * the server gone. Should the browser ever evaluate on webgpu, that path would need its wasm online.
 */
const BROWSER_UNUSED = [/(^|\/)ort\.bundle\.min-[\w-]+\.js$/, /(^|\/)ort\.webgpu\.bundle\.min-[\w-]+\.js$/];

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
      const skipped = unusedWasm(bundle);
      for (const [name, item] of Object.entries(bundle)) {
        if (name === 'sw.js' || name.endsWith('.map') || skipped.includes(name)) continue;
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
      const manifest = { version: hash.digest('hex').slice(0, 16), files: ['./', ...files.filter((f) => f !== 'index.html'), 'index.html'], skipped };
      const sw = bundle['sw.js'];
      if (!sw || sw.type !== 'chunk') this.error(`${SW_ENTRY} was not built as sw.js; check the build input.`);
      if (!sw.code.includes(PLACEHOLDER)) this.error(`sw.js lost its ${PLACEHOLDER} placeholder; the minifier must keep free globals.`);
      sw.code = sw.code.replace(PLACEHOLDER, JSON.stringify(manifest));
      this.emitFile({ type: 'asset', fileName: 'precache-manifest.json', source: JSON.stringify(manifest, null, 1) });
    },
  };
}

/**
 * Wasm assets referenced only by the BROWSER_UNUSED bundles (by file name in their code). Those bundles
 * come from the engine worker's own build, so here they are plain assets named after their module.
 */
function unusedWasm(bundle: Rolldown.OutputBundle): string[] {
  const code = (item: Rolldown.OutputBundle[string]) => (item.type === 'chunk' ? item.code : typeof item.source === 'string' ? item.source : Buffer.from(item.source).toString('latin1'));
  const scripts = Object.entries(bundle).filter(([name]) => name.endsWith('.js')).map(([name, item]) => ({ name, code: code(item) }));
  const unused = (name: string) => BROWSER_UNUSED.some((re) => re.test(name));
  return Object.keys(bundle).filter((name) => {
    if (!name.endsWith('.wasm')) return false;
    const base = name.slice(name.lastIndexOf('/') + 1);
    const users = scripts.filter((s) => s.code.includes(base));
    return users.length > 0 && users.every((s) => unused(s.name));
  });
}
