import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/core/rng';
import { makeFixture } from '../eval/fixture';
import { writeModelDir } from '../eval/zoo-dir';

/** A fixture zoo: a random base and three "experts" = base + small random task vectors. */
export async function fixtureZoo(): Promise<string> {
  const fx = makeFixture(5, 12);
  const root = await mkdtemp(join(tmpdir(), 'kinmerge-evolve-'));
  const models = [{ name: 'base', role: 'base', path: 'base/' }];
  await writeModelDir(join(root, 'zoo', 'base'), fx);
  for (let e = 0; e < 3; e++) {
    const rnd = mulberry32(100 + e);
    const w = new Map([...fx.weights].map(([k, v]) => [k, v.map((x) => x + (rnd() - 0.5) * 0.2 * Math.abs(x))]));
    await writeModelDir(join(root, 'zoo', `expert-${e}`), fx, w);
    models.push({ name: `expert-${e}`, role: 'expert', path: `expert-${e}/`, skill: 'short' } as never);
  }
  await writeFile(join(root, 'zoo', 'index.json'), JSON.stringify({ version: 1, name: 'demo', skills: Object.keys(fx.suites), models }));
  await mkdir(join(root, 'eval'));
  await writeFile(join(root, 'eval', 'index.json'), JSON.stringify({ suites: Object.keys(fx.suites) }));
  for (const s of Object.keys(fx.suites)) await writeFile(join(root, 'eval', `${s}.jsonl`), fx.suites[s]);
  return root;
}

