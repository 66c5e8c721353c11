import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { fixtureZoo } from '../helpers/fixture-zoo';
import { runMain } from '../helpers/cli';
import { parseRecipe } from '../../src/core/merge/recipe';
import { openSafetensors } from '../../src/core/checkpoint';

describe('kinmerge evolve', () => {
  let root = '';
  beforeAll(async () => { root = await fixtureZoo(); });
  afterAll(async () => { if (root) await rm(root, { recursive: true, force: true }); });

  it('runs a kinship-guided evolution with the documented JSON shape, deterministically', async () => {
    const args = ['evolve', '--zoo', 'demo', '--assets', root, '--strategy', 'kinship', '--max-gen', '3', '--seed', '7', '--json'];
    const a = await runMain(args);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    const rec = JSON.parse(a.stdout);
    for (const k of ['strategy', 'seed', 'stopped', 'best', 'generations', 'models']) expect(rec).toHaveProperty(k);
    expect(['converged', 'early-stop', 'max-gen']).toContain(rec.stopped);
    expect(rec.generations[0].merges).toHaveLength(3); // every pair of the 3 foundation models
    for (const g of rec.generations) for (const k of ['generation', 'best_average', 'topk', 'topk_kinship', 'merges']) expect(g).toHaveProperty(k);
    for (const m of rec.models) for (const k of ['id', 'parents', 'generation', 'exploration', 'scores', 'average', 'gain', 'parent_kinship']) expect(m).toHaveProperty(k);
    expect(rec.best.average).toBe(Math.max(...rec.models.map((m: { average: number }) => m.average)));
    const b = JSON.parse((await runMain(args)).stdout);
    const strip = (r: typeof rec) => JSON.stringify(r.models.map((m: Record<string, unknown>) => ({ ...m, seconds: 0 })));
    expect(strip(b)).toBe(strip(rec));
  });

  it('writes the best model, its mergekit config, the lineage and the record with --out', async () => {
    const out = join(root, 'out');
    const r = await runMain(['evolve', '--zoo', 'demo', '--assets', root, '--strategy', 'greedy', '--max-gen', '2', '--stop-kinship', 'off', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/stopped: /);
    const files = await readdir(out);
    expect(files).toContain('record.json');
    expect(files).toContain('lineage.yml');
    const rec = JSON.parse(await readFile(join(out, 'record.json'), 'utf8'));
    const docs = (await readFile(join(out, 'lineage.yml'), 'utf8')).split(/^---$/m);
    expect(docs.length).toBe(rec.models.filter((m: { parents: string[] }) => m.parents.length).length);
    expect(files).toContain(`${rec.best.id}.safetensors`);
    if (files.includes('mergekit_config.yml')) {
      const recipe = parseRecipe(await readFile(join(out, 'mergekit_config.yml'), 'utf8'));
      expect(recipe.merge_method).toBe('slerp');
    }
    const bytes = new Uint8Array(await readFile(join(out, `${rec.best.id}.safetensors`)));
    const src = await openSafetensors({ size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) }, 'best');
    expect(src.tensors().length).toBeGreaterThan(5);
  });

  it('--stop-patience P: the kinship stop also waits for P generations without a better best', async () => {
    // On the fixture zoo the greedy best is flat from generation 1 and the top-3 kinship is 0.73 after
    // generation 2, 0.76 after 3: at threshold 0.7 the plain rule stops after 2, patience 2 after 3.
    const args = ['evolve', '--zoo', 'demo', '--assets', root, '--strategy', 'greedy', '--max-gen', '5', '--stop-kinship', '0.7', '--json'];
    const plain = JSON.parse((await runMain(args)).stdout);
    const patient = JSON.parse((await runMain([...args, '--stop-patience', '2'])).stdout);
    expect(plain.config.stopPatience).toBe(0);
    expect(patient.config.stopPatience).toBe(2);
    expect(plain.stopped).toBe('early-stop');
    expect(plain.generations).toHaveLength(2);
    expect(patient.stopped).toBe('early-stop');
    expect(patient.generations).toHaveLength(3);
    expect(patient.generations.map((g: { best_average: number }) => g.best_average)).toEqual(Array(3).fill(plain.generations[0].best_average));
    expect(patient.generations[2].topk_kinship).toBeGreaterThan(0.7);
  });

  it('rejects bad usage with exit status 2', async () => {
    expect((await runMain(['evolve'])).status).toBe(2);
    expect((await runMain(['evolve', '--zoo', 'demo', '--strategy', 'nope'])).status).toBe(2);
    expect((await runMain(['evolve', '--zoo', 'demo', '--stop-kinship', 'abc', '--assets', root])).status).toBe(2);
    for (const bad of ['-1', '1.5', 'two', '']) {
      const r = await runMain(['evolve', '--zoo', 'demo', '--stop-patience', bad, '--assets', root]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--stop-patience must be an integer >= 0/);
    }
    expect((await runMain(['evolve', '--zoo', 'demo', '--models', 'nope,expert-0', '--assets', root])).status).toBe(1);
  });
});
