/** `kinmerge merge`: the CLI contract (paths relative to the config, exit codes, no partial output). */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelPath } from '../../src/node/model-path';
import { pairMoments } from '../../src/core/merge/kernels';
import { planMerge } from '../../src/core/merge/plan';
import { parseRecipe } from '../../src/core/merge/recipe';
import { createMomentsAhead } from '../../src/cli/moments-worker';
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

  // Once src/gpu provides the backend, its own tests cover it (running it here on SwiftShader is slow).
  const gpuBuilt = existsSync(join(__dirname, '..', '..', 'src', 'gpu', 'merge-backend.ts'));
  it.skipIf(gpuBuilt)('--backend webgpu says so when the GPU backend is not there', async () => {
    const r = await runMain(['merge', await config('g.yml', SLERP), '--out', join(dir.path, 'g.safetensors'), '--backend', 'webgpu']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the WebGPU backend is not available yet/);
  });

  it('runs as a real process through bin/kinmerge.js', async () => {
    const cfg = await config('p.yml', SLERP.replace('dtype: bfloat16\n', ''));
    const out = join(dir.path, 'p.safetensors');
    const r = await runCli(['merge', cfg, '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((await readFile(out)).length).toBeGreaterThan(1000);
  });

  it('the moments worker gives bit-identical SLERP moments (F32 and BF16), and --threads 1 and 2 give the same file', async () => {
    for (const dt of ['F32', 'BF16'] as const) {
      const a = join(dir.path, `w-a-${dt}.safetensors`), b = join(dir.path, `w-b-${dt}.safetensors`);
      const conv = (m: TinyModel): TinyModel => ({ dtype: dt, tensors: m.tensors.map((t) => ({ ...t, dtype: dt })) });
      await writeTinyFile(a, conv(fam.base));
      await writeTinyFile(b, conv(fam.fine));
      const ma = await openModelPath(a), mb = await openModelPath(b);
      try {
        const chunk = 50;
        const plan = planMerge(parseRecipe(`merge_method: slerp\nbase_model: ${a}\nmodels: [{model: ${a}}, {model: ${b}}]\nparameters: {t: 0.3}`), [ma.source, mb.source], 0);
        const ahead = createMomentsAhead(chunk, false);
        ahead.onPlan(plan, [ma.source, mb.source], [a, b]);
        await ahead.settled();
        let checked = 0;
        for (const t of plan.tensors) {
          const want = { aa: 0, bb: 0, ab: 0 };
          for (let s = 0; s < t.numel; s += chunk) {
            const n = Math.min(chunk, t.numel - s);
            pairMoments(await ma.source.readF32(t.name, s, n), await mb.source.readF32(t.name, s, n), n, want);
          }
          expect(await ahead.pairMoments(t, 0, 1)).toEqual(want);
          checked++;
        }
        expect(checked).toBe(fam.base.tensors.length);
        await ahead.dispose();
      } finally {
        await ma.close();
        await mb.close();
      }
    }
    const cfg = await config('t.yml', SLERP);
    const one = join(dir.path, 't1.safetensors'), two = join(dir.path, 't2.safetensors');
    expect((await runMain(['merge', cfg, '--out', one, '--threads', '1', '--chunk-elems', '16', '--quiet'])).status).toBe(0);
    expect((await runMain(['merge', cfg, '--out', two, '--threads', '2', '--chunk-elems', '16', '--quiet'])).status).toBe(0);
    expect(Buffer.compare(await readFile(one), await readFile(two))).toBe(0);
  });
});
