/** `kinmerge merge`: the CLI contract (paths relative to the config, exit codes, no partial output). */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelPath } from '../../src/node/model-path';
import { makeTempDir, makeTinyFamily, writeTinyFile, writeTinyFolder, type TinyModel } from '../helpers/fixtures';
import { runCli, runMain } from '../helpers/cli';

const fam = makeTinyFamily({ zeroTensor: true, oneElementTensor: true });
let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await makeTempDir('kinmerge-merge-cli-');
  await writeTinyFile(join(dir.path, 'base.safetensors'), fam.base);
  await writeTinyFolder(join(dir.path, 'fine'), fam.fine, { shards: 2 });
  const bad: TinyModel = { ...fam.fine, tensors: fam.fine.tensors.filter((t) => t.name !== 'lm_head.weight') };
  await writeTinyFile(join(dir.path, 'bad.safetensors'), bad);
});
afterAll(() => dir.cleanup());

async function config(name: string, text: string): Promise<string> {
  const p = join(dir.path, name);
  await writeFile(p, text);
  return p;
}

const SLERP = `merge_method: slerp
base_model: base.safetensors
models:
  - model: base.safetensors
  - model: fine
parameters:
  t: [0, 1]
dtype: bfloat16
`;

describe('kinmerge merge', () => {
  it('merges a file and a sharded folder named relative to the config; the output records the recipe', async () => {
    const cfg = await config('slerp.yml', SLERP);
    const out = join(dir.path, 'out.safetensors');
    const r = await runMain(['merge', cfg, '--out', out, '--seed', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/merged \d+ tensors, \d+ parameters/);
    const m = await openModelPath(out);
    try {
      const md = m.source.metadata();
      expect(md.kinmerge_recipe).toContain('merge_method: slerp');
      expect(md.kinmerge_seed).toBe('5');
      expect(m.source.tensors().every((t) => t.dtype === 'BF16')).toBe(true);
      // t = 0 at layer 0: the base exactly (its F32 values are on a grid BF16 holds).
      const name = 'model.layers.0.mlp.up_proj.weight';
      expect(await m.source.readF32(name, 0, 16)).toEqual(fam.base.tensors.find((t) => t.name === name)!.values.slice(0, 16));
    } finally {
      await m.close();
    }
  });

  it('exits 2 on usage errors', async () => {
    const cfg = await config('u.yml', SLERP);
    expect((await runMain(['merge', cfg])).status).toBe(2);
    expect((await runMain(['merge', '--out', 'x.safetensors'])).status).toBe(2);
    const r = await runMain(['merge', cfg, '--out', join(dir.path, 'y.safetensors'), '--backend', 'tpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--backend must be one of cpu, webgpu/);
  });

  it('exits 1 with one line for an unknown method, a missing tensor or a missing model, and leaves no output', async () => {
    const cases: [string, RegExp][] = [
      [SLERP.replace('slerp', 'frankenmerge'), /Unknown merge_method "frankenmerge"\. Supported: slerp, linear/],
      [SLERP.replace('model: fine', 'model: bad.safetensors'), /lm_head\.weight is in .*base\.safetensors but not in .*bad\.safetensors/],
      [SLERP.replace('model: fine', 'model: nowhere.safetensors'), /nowhere\.safetensors does not exist/],
    ];
    for (const [i, [text, msg]] of cases.entries()) {
      const out = join(dir.path, `fail${i}.safetensors`);
      const r = await runMain(['merge', await config(`fail${i}.yml`, text), '--out', out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
    expect(readdirSync(dir.path).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('runs as a real process through bin/kinmerge.js', async () => {
    const cfg = await config('p.yml', SLERP.replace('dtype: bfloat16\n', ''));
    const out = join(dir.path, 'p.safetensors');
    const r = await runCli(['merge', cfg, '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((await readFile(out)).length).toBeGreaterThan(1000);
  });
});
