/**
 * `npm run zoo [-- --seed N --quick --check ...]`: regenerate the demo zoo (public/zoo, public/eval,
 * docs/ZOO.md) with the build-time generator scripts/zoo/generate.py. Only this tool needs Python:
 * the app, the CLI and the tests read the committed files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts', 'zoo', 'generate.py');

const INSTALL_HINT =
  'The zoo generator needs Debian\'s PyTorch for /usr/bin/python3 (not a pyenv/venv python):\n' +
  '  apt-get update && apt-get install -y python3-torch libopenblas0-serial\n' +
  '(libopenblas0-serial makes training ~10x faster than the reference BLAS; the shipped hashes were made with it.)';

function fail(message: string): never {
  process.stderr.write(`zoo: ${message}\n`);
  process.exit(2);
}

if (!existsSync(PYTHON)) fail(`${PYTHON} not found.\n${INSTALL_HINT}`);
const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
if (probe.status !== 0) fail(`${PYTHON} cannot import torch/numpy (${(probe.stderr || '').trim().split('\n').pop()}).\n${INSTALL_HINT}`);

const run = spawnSync(PYTHON, [script, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
if (run.error) fail(`could not start ${PYTHON}: ${run.error.message}`);
process.exit(run.status ?? 1);
