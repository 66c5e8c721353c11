/**
 * Goldens: kinmerge's executor against mergekit's formulas (numpy reference, committed outputs in
 * test/golden/merge), with the tolerances (test/helpers/merge-golden.ts); and `kinmerge merge`
 * writing the same bytes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { executeMerge } from '../../src/core/merge/execute';
import { parseRecipe, recipeInputs } from '../../src/core/merge/recipe';
import { memorySink, memorySource } from '../helpers/fixtures';
import { runMain } from '../helpers/cli';
import { GOLDEN, goldenCases, goldenError, openFile as open } from '../helpers/merge-golden';

const cases = await goldenCases();

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'kinmerge-golden-')); });
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('merge goldens (mergekit formulas, numpy reference)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const recipePath = join(GOLDEN, c.recipe);
      const recipe = parseRecipe(await readFile(recipePath, 'utf8'));
      const dir = dirname(recipePath);
      const sink = memorySink();
      await executeMerge({ recipe, resolve: (ref) => open(resolve(dir, ref), ref), sink, seed: c.seed, chunkElems: 37 });
      const got = await openSafetensors(memorySource(sink.bytes()), 'got');
      const want = await open(join(GOLDEN, c.expected), 'expected');
      const inputs = await Promise.all(recipeInputs(recipe).refs.map((r) => open(resolve(dir, r), r)));
      expect(got.tensors().map((t) => [t.name, t.dtype, t.shape])).toEqual(want.tensors().map((t) => [t.name, t.dtype, t.shape]));
      const { worst, failure } = await goldenError(got, want, inputs);
      if (failure) expect.fail(failure);
      if (process.env.GOLDEN_VERBOSE) console.log(c.name, worst.toFixed(3));
      expect(worst).toBeLessThanOrEqual(4);
      // `kinmerge merge` itself (worker threads where the plan allows) writes the same tensor bytes.
      const out = join(tmp, `${c.name}.safetensors`);
      const r = await runMain(['merge', recipePath, '--out', out, '--seed', String(c.seed), '--chunk-elems', '37', '--threads', '2', '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const cli = await open(out, 'cli');
      for (const t of got.tensors()) {
        expect(Buffer.from(await cli.readRaw(t.name, 0, t.numel)).equals(Buffer.from(await got.readRaw(t.name, 0, t.numel))), `${c.name} ${t.name} via the CLI`).toBe(true);
      }
    });
  }
});
