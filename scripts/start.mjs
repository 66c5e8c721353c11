#!/usr/bin/env node
// `npm start`: builds the playground (vite build) and serves dist/ with the COOP/COEP headers
// cross-origin isolation needs, on PORT (default 4173), printing the URL. The app itself needs no
// chromium, so no system packages are installed here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serveDir } from './serve.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

if (!existsSync('node_modules/.bin/vite')) {
  console.error('kinmerge: dependencies are missing. Run `npm ci` (or `npm install`) first.');
  process.exit(1);
}
const rawPort = process.env.PORT ?? '4173';
const port = Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`kinmerge: PORT must be a whole number from 0 to 65535, got "${rawPort}".`);
  process.exit(2);
}

const build = spawnSync('node_modules/.bin/vite', ['build', '--logLevel', 'warn'], {
  stdio: 'inherit',
  // A NODE_ENV left over from a test shell would make a non-production build (no service worker).
  env: { ...process.env, NODE_ENV: 'production' },
});
if (build.status !== 0) {
  console.error('kinmerge: the build failed (see above).');
  process.exit(build.status ?? 1);
}

try {
  const { url } = await serveDir('dist', { port, host: process.env.HOST ?? '127.0.0.1' });
  console.log(`kinmerge playground: ${url}  (Ctrl+C to stop)`);
} catch (e) {
  console.error(e.code === 'EADDRINUSE'
    ? `kinmerge: port ${port} is in use. Stop the other server or run with another port, e.g. PORT=4180 npm start.`
    : `kinmerge: could not start the server: ${e.message}`);
  process.exit(1);
}
