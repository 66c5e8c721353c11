import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { makeFixture } from './fixture';
import { randomWeights } from './random-model';
import { safetensorsOf, writeZoo } from './zoo-dir';

const fx = makeFixture();
let root = '';
beforeAll(async () => { root = await writeZoo(fx, randomWeights(fx.config, 42)); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: CliIO = { out: (t) => { out += t; }, err: (t) => { err += t; } };
  const code = await main(['eval', '--assets', root, ...argv], io);
  return { code, out, err };
}

describe('kinmerge eval', () => {
  it('--zoo demo --json scores every zoo model; the fixture gets its constructed scores', async () => {
    const r = await run('--zoo', 'demo', '--json', '--mc', '--batch', '16');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { models: { model: string; scores: Record<string, number>; average: number; mc?: Record<string, number> }[] };
    expect(j.models.map((m) => m.model)).toEqual(['fixture', 'other']);
    expect(j.models[0].scores).toEqual(fx.expected);
    expect(j.models[0].average).toBeCloseTo((fx.expected.short + fx.expected.long) / 2, 12);
    expect(j.models[0].mc).toEqual(fx.expectedMc);
    expect(Object.keys(j.models[1].scores)).toEqual(['short', 'long']);
  });

  it('a path and --suite: text table with the chosen skill and the average', async () => {
    const r = await run(join(root, 'zoo', 'fixture'), '--suite', 'long');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['model', 'long', 'average']);
    expect(lines[1]).toContain(fx.expected.long.toFixed(3));
    expect(r.err).toMatch(/scored in \d+\.\d\d s/);
  });

  it('a bare .safetensors file borrows the zoo config and vocabulary', async () => {
    const file = join(root, 'bare.safetensors');
    await writeFile(file, safetensorsOf(fx));
    const r = await run(file, '--json', '--suite', 'short');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).models[0].scores).toEqual({ short: fx.expected.short });
  });

  it('a model whose tensors do not match its config.json: exit 1, naming the tensor', async () => {
    const dir = join(root, 'mismatch');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.safetensors'), safetensorsOf(fx));
    const { toHfConfig } = await import('../../src/eval/config');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...toHfConfig(fx.config), intermediate_size: 64 }));
    const r = await run(dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mlp\.gate_proj\.weight" has shape \[48, 32\] but its config\.json expects \[64, 32\]/);
  });

  it('a malformed config.json: exit 1 with the file named', async () => {
    const dir = join(root, 'badcfg');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.safetensors'), safetensorsOf(fx));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ hidden_size: 32 }));
    const r = await run(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('missing field');
  });

  it('unknown model, unknown skill, bad usage', async () => {
    expect((await run('nope')).err).toMatch(/neither a zoo model nor an existing path.*fixture, other/);
    const s = await run('fixture', '--suite', 'sing');
    expect([s.code, s.err.includes('No eval suite for skill "sing"')]).toEqual([1, true]);
    expect((await run()).code).toBe(2);
    expect((await run('fixture', '--zoo', 'demo')).code).toBe(2);
    expect((await run('--zoo', 'other')).code).toBe(2);
  });
});
