/** Writes a fixture zoo (zoo/ + eval/) to a temp folder, laid out like public/. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from '../../src/core/safetensors';
import { expectedTensors, toHfConfig } from '../../src/eval/config';
import type { Fixture } from './fixture';

export function safetensorsOf(fx: Fixture, weights = fx.weights): Uint8Array {
  return encodeSafetensors(expectedTensors(fx.config).map((t) => {
    const v = weights.get(t.name)!;
    return { name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
  }));
}

export async function writeModelDir(dir: string, fx: Fixture, weights = fx.weights): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(fx.config), null, 2));
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(fx.vocabJson));
  await writeFile(join(dir, 'model.safetensors'), safetensorsOf(fx, weights));
}

/** root/zoo/{index.json, fixture/, other/}, root/eval/{index.json, <skill>.jsonl}. */
export async function writeZoo(fx: Fixture, other: Map<string, Float32Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kinmerge-eval-'));
  const skills = Object.keys(fx.suites);
  await writeModelDir(join(root, 'zoo', 'fixture'), fx);
  await writeModelDir(join(root, 'zoo', 'other'), fx, other);
  await writeFile(join(root, 'zoo', 'index.json'), JSON.stringify({
    version: 1, name: 'demo', skills,
    models: [{ name: 'fixture', role: 'base', path: 'fixture/' }, { name: 'other', role: 'stranger', path: 'other/' }],
  }));
  await mkdir(join(root, 'eval'));
  await writeFile(join(root, 'eval', 'index.json'), JSON.stringify({ suites: skills }));
  for (const s of skills) await writeFile(join(root, 'eval', `${s}.jsonl`), fx.suites[s]);
  return root;
}
