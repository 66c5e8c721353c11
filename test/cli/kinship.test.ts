import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../../src/cli/commands/kinship';
import { computeKinship } from '../../src/core/kinship';
import { openModelPath } from '../../src/node/model-path';
import { REPO_ROOT, runCli, runMain } from '../helpers/cli';
import { makeTempDir, makeTinyFamily, writeTinyFile, writeTinyFolder } from '../helpers/fixtures';

const M = join(REPO_ROOT, 'test', 'golden', 'kinship', 'models');
const f = (name: string) => join(M, `${name}.safetensors`);
const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'golden', 'kinship', 'expected.json'), 'utf8')) as {
  cases: { name: string; base: string; models: string[]; split: boolean; metrics: Record<string, (number | null)[][]> }[];
};

function close(a: (number | null)[][], e: (number | null)[][]): boolean {
  return e.every((row, i) => row.every((x, j) => (x === null ? a[i][j] === null : a[i][j] !== null && Math.abs(a[i][j]! - x) <= 1e-4 * Math.abs(x) + 2e-7)));
}

describe('kinmerge kinship', () => {
  for (const name of ['f32_family', 'f32_vocab_partial_missing_split']) {
    it(`--json reproduces the ModelKinship golden case ${name}`, async () => {
      const c = golden.cases.find((x) => x.name === name)!;
      const args = ['kinship', '--base', join(M, c.base), ...c.models.map((m) => join(M, m)), '--json', ...(c.split ? ['--split'] : [])];
      const r = await runMain(args);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(Object.keys(out)).toEqual(['base', 'models', 'split', 'metrics', 'notes', 'groups']);
      expect(out.base).toBe(join(M, c.base));
      expect(out.models).toEqual(c.models.map((m) => join(M, m)));
      expect(out.split).toBe(c.split);
      expect(Object.keys(out.metrics)).toEqual(['pcc', 'cs', 'cs_abs', 'ed']);
      for (const m of Object.keys(out.metrics)) expect(close(out.metrics[m], c.metrics[m]), m).toBe(true);
      expect(Array.isArray(out.notes)).toBe(true);
    });
  }

  it('--json writes the engine\'s per-layer / tensor-group results as "groups"', async () => {
    const c = golden.cases.find((x) => x.name === 'f32_vocab_partial_missing')!;
    const paths = [c.base, ...c.models].map((m) => join(M, m));
    const r = await runMain(['kinship', '--base', ...paths, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const K = c.models.length;
    expect(out.groups.length).toBeGreaterThan(1);
    for (const g of out.groups) {
      expect(Object.keys(g)).toEqual(['key', 'layer', 'group', 'tensors', 'numel', 'pcc', 'cs', 'cs_abs', 'ed']);
      expect(g.key).toBe(g.layer === null ? g.group : `layers.${g.layer}.${g.group}`);
      for (const m of [g.pcc, g.cs] as (number | null)[][][]) {
        expect(m.length).toBe(K);
        for (let i = 0; i < K; i++) {
          expect(m[i].length).toBe(K);
          expect([1, null]).toContain(m[i][i]);
          for (let j = 0; j < K; j++) expect(m[i][j]).toBe(m[j][i]);
        }
      }
      for (let i = 0; i < K; i++) {
        expect(g.ed[i][i]).toBe(0);
        for (let j = 0; j < K; j++) {
          expect(g.ed[i][j]).toBe(g.ed[j][i]);
          expect(g.ed[i][j]).toBeGreaterThanOrEqual(0);
          expect(g.cs_abs[i][j]).toBe(g.cs[i][j] === null ? null : Math.abs(g.cs[i][j]));
        }
      }
    }
    // Distances add in squares over a partition: the groups' ed² sum to the whole model's ed².
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        const sum = out.groups.reduce((s: number, g: { ed: number[][] }) => s + g.ed[i][j] ** 2, 0);
        expect(Math.abs(sum - out.metrics.ed[i][j] ** 2)).toBeLessThanOrEqual(1e-9 * Math.max(1, out.metrics.ed[i][j] ** 2));
      }
    }
    // The same numbers as the engine's result for the same inputs (JSON keeps f64 exactly).
    const opened = await Promise.all(paths.map((p) => openModelPath(p)));
    try {
      const e = await computeKinship({ base: opened[0].source, models: opened.slice(1).map((o) => o.source) });
      expect(out.groups).toEqual(JSON.parse(JSON.stringify(e.groups)));
    } finally {
      await Promise.all(opened.map((o) => o.close()));
    }
    // The groups partition the compared tensors: their counts add up to the table's totals.
    const table = await runMain(['kinship', '--base', ...paths, '--metric', 'pcc']);
    const [, tensors, params] = /\n(\d+) tensors, ([\d,]+) parameters per task vector/.exec(table.stdout)!;
    expect(out.groups.reduce((s: number, g: { tensors: number }) => s + g.tensors, 0)).toBe(Number(tensors));
    expect(out.groups.reduce((s: number, g: { numel: number }) => s + g.numel, 0)).toBe(Number(params.replace(/,/g, '')));
    expect(table.stdout).not.toContain('groups');
    // Per-group values pool each group's elements: --split and --metric change the matrices, not them.
    const split = JSON.parse((await runMain(['kinship', '--base', ...paths, '--json', '--split', '--metric', 'ed'])).stdout);
    expect(split.groups).toEqual(out.groups);
  });

  it('"groups" keeps undefined per-group values null and exactly opposite task vectors at -1', async () => {
    const out = JSON.parse((await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('opp.f32'), f('zero.f32'), '--json', '--metric', 'pcc'])).stdout);
    for (const g of out.groups) {
      expect(g.pcc[0][1]).toBeCloseTo(-1, 10);
      expect(g.cs[0][1]).toBeCloseTo(-1, 10);
      expect([g.pcc[0][2], g.pcc[2][2], g.cs[1][2]]).toEqual([null, null, null]);
    }
  });

  it('notes name the model and metric of null entries', async () => {
    const r = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('zero.f32'), '--json', '--metric', 'pcc']);
    const out = JSON.parse(r.stdout);
    expect(out.metrics.pcc).toEqual([[1, null], [null, null]]);
    expect(out.notes).toHaveLength(1);
    expect(out.notes[0]).toContain('pcc');
    expect(out.notes[0]).toContain(f('zero.f32'));
  });

  it('accepts metrics separated by commas or spaces, repeated, or all', async () => {
    expect(parseMetrics(['ed,pcc'])).toEqual(['pcc', 'ed']);
    expect(parseMetrics(['cs pcc ed'])).toEqual(['pcc', 'cs', 'ed']);
    expect(parseMetrics(['cs_abs', 'ED'])).toEqual(['cs_abs', 'ed']);
    expect(parseMetrics(['all'])).toEqual(['pcc', 'cs', 'cs_abs', 'ed']);
    expect(parseMetrics([])).toEqual(['pcc', 'cs', 'cs_abs', 'ed']);
    const r = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), '--json', '--metric', 'cs_abs, ed']);
    expect(Object.keys(JSON.parse(r.stdout).metrics)).toEqual(['cs_abs', 'ed']);
  });

  it('prints readable tables without --json', async () => {
    const r = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('opp.f32'), '--metric', 'pcc,cs_abs']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Pearson correlation of task vectors (pcc)');
    expect(r.stdout).toMatch(/\[1\]\s+1\.0000\s+-1\.0000/);
    expect(r.stdout).toMatch(/cs_abs[^\n]*\n[^\n]*\n\s+\[1\]\s+1\.0000\s+1\.0000/);
    expect(r.stdout).not.toContain('Euclidean');
  });

  it('usage errors exit 2 with one line and a pointer to help', async () => {
    const cases = [
      ['kinship', f('a.f32'), f('b.f32')],
      ['kinship', '--base', f('base.f32'), f('a.f32')],
      ['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), '--metric', 'cos'],
      ['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), '--chunk-elems', '0'],
      ['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), '--backend', 'cuda'],
      ['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), '--bogus'],
    ];
    for (const args of cases) {
      const r = await runMain(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^kinmerge: [^\n]+\nTry 'kinmerge help kinship'\.\n$/);
    }
  });

  it('failures exit 1 with a one-line named error', async () => {
    const missing = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), join(M, 'nope.safetensors')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^kinmerge: [^\n]*nope\.safetensors[^\n]*\n$/);
    const fewer = await runMain(['kinship', '--base', f('ext.f32'), f('a.f32'), f('b.f32')]);
    expect(fewer.status).toBe(1);
    expect(fewer.stderr).toMatch(/^kinmerge: Tensor model\.embed_tokens\.weight of model [^\n]*a\.f32\.safetensors has 16 rows but the base has 19[^\n]*\n$/);
  });

  it('reads Hugging Face folders and sharded checkpoints like single files', async () => {
    const fam = makeTinyFamily({ seed: 11, dtype: 'BF16' });
    const tmp = await makeTempDir();
    try {
      const base = await writeTinyFolder(join(tmp.path, 'base'), fam.base, { shards: 3 });
      const fine = await writeTinyFolder(join(tmp.path, 'fine'), fam.fine);
      const opp = await writeTinyFile(join(tmp.path, 'opp.safetensors'), fam.opposite);
      const baseFile = await writeTinyFile(join(tmp.path, 'base.safetensors'), fam.base);
      const a = JSON.parse((await runMain(['kinship', '--base', base, fine, opp, '--json'])).stdout);
      const b = JSON.parse((await runMain(['kinship', '--base', baseFile, fine, opp, '--json'])).stdout);
      expect(a.models).toEqual([fine, opp]);
      expect(a.metrics).toEqual(b.metrics);
      expect(a.metrics.pcc[0][1]).toBeCloseTo(-1, 12);
    } finally {
      await tmp.cleanup();
    }
  });

  it('--backend webgpu agrees with the ModelKinship goldens (through the dynamic-import hook)', async (ctx) => {
    const c = golden.cases.find((x) => x.name === 'f32_vocab_partial_missing_split')!;
    const args = ['kinship', '--base', join(M, c.base), ...c.models.map((m) => join(M, m)), '--json', '--split', '--backend', 'webgpu'];
    const r = await runCli(args, { timeoutMs: 60_000, env: { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json' } });
    if (r.status !== 0 && /adapter|no GPU|WebGPU is not available|not available/i.test(r.stderr)) ctx.skip();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const m of Object.keys(c.metrics)) expect(close(out.metrics[m], c.metrics[m]), m).toBe(true);
  });

  it('runs as the real binary', async () => {
    const r = await runCli(['kinship', '--base', f('base.bf16'), f('a.bf16'), f('b.bf16'), '--json', '--split']);
    expect(r.status).toBe(0);
    const c = golden.cases.find((x) => x.name === 'bf16_split')!;
    const out = JSON.parse(r.stdout);
    expect(close(out.metrics.pcc, c.metrics.pcc.slice(0, 2).map((row) => row.slice(0, 2)))).toBe(true);
  });
});
