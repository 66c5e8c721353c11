// The playground's reader of kinship files, fed what `kinmerge kinship --json` really writes: the
// matrices and the per-group values come back unchanged, a file without groups still opens with a
// note, and damaged groups (wrong shapes, types, ranges, duplicates) cost only the drill-down, with a
// message naming the problem, never a crash.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordFileError } from '../../src/ui/lib/record';
import { pairGrid, parseKinshipFile, parseKinshipGroups } from '../../src/ui/lib/kinship-drill';
import { REPO_ROOT, runMain } from '../helpers/cli';

const M = join(REPO_ROOT, 'test', 'golden', 'kinship', 'models');
const f = (name: string) => join(M, `${name}.safetensors`);

describe('opening kinmerge kinship --json in the playground', async () => {
  const run = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), f('zero.f32'), '--json']);
  const cli = JSON.parse(run.stdout);
  const K = cli.models.length;
  const copy = () => JSON.parse(run.stdout);

  it('reads every matrix and the groups exactly as the CLI wrote them', () => {
    const file = parseKinshipFile(copy(), 'kin.json');
    expect(file.matrices.map((m) => m.metric)).toEqual(['pcc', 'cs', 'cs_abs', 'ed']);
    for (const m of file.matrices) {
      expect(m.models).toEqual(cli.models);
      expect(m.matrix).toEqual(cli.metrics[m.metric]);
    }
    expect(file.groupsProblem).toBeNull();
    expect(file.groups).toEqual(cli.groups);
    expect(file.split).toBe(false);
    // And the drill-down lays them out: one row per layer plus the tensors outside the layers.
    const layers = new Set(cli.groups.flatMap((g: { layer: number | null }) => (g.layer === null ? [] : [g.layer])));
    expect(pairGrid(file.groups!, 0, 1, 'pcc').rows).toHaveLength(layers.size + 1);
  });

  it('marks split-mode files (their whole-model values are means of another kind than the groups)', async () => {
    const split = await runMain(['kinship', '--base', f('base.f32'), f('a.f32'), f('b.f32'), f('zero.f32'), '--json', '--split']);
    const file = parseKinshipFile(JSON.parse(split.stdout), 'split.json');
    expect(file.split).toBe(true);
    expect(file.groups).toEqual(cli.groups);
  });

  it('opens a file without groups (older CLI, or one matrix) and says the drill-down needs them', () => {
    const old = copy();
    delete old.groups;
    const a = parseKinshipFile(old, 'old.json');
    expect(a.matrices).toHaveLength(4);
    expect(a.groups).toBeNull();
    expect(a.groupsProblem).toMatch(/^old\.json has no per-group values \("groups"\).*drill-down needs them.*kinmerge kinship --json/);
    const one = parseKinshipFile({ metric: 'cs', models: cli.models, matrix: cli.metrics.cs }, 'one.json');
    expect(one.matrices[0].matrix).toEqual(cli.metrics.cs);
    expect(one.groups).toBeNull();
    expect(parseKinshipFile({ ...copy(), groups: null }, 'n.json').groupsProblem).toMatch(/has no per-group values/);
  });

  it('keeps the matrix and names the problem when the groups are damaged', () => {
    type G = Record<string, unknown> & { pcc?: unknown[][]; cs: unknown[][] };
    const cases: [string, (g: G[], file: Record<string, unknown>) => void, RegExp][] = [
      ['not a list', (_g, file) => { file.groups = { a: 1 }; }, /"groups" must be a list/],
      ['an entry that is not an object', (g) => { (g as unknown[])[1] = 7; }, /entry 1 is not an object/],
      ['an array entry', (g) => { (g as unknown[])[0] = []; }, /entry 0 is not an object/],
      ['no key', (g) => { delete g[0].key; }, /entry 0 has no "key"/],
      ['a duplicate key', (g) => { g[1].key = g[0].key; }, /appears twice/],
      ['two entries for one layer and group', (g) => { g[1].layer = g[0].layer; g[1].group = g[0].group; g[1].key = 'x'; }, /a second entry for layer/],
      ['a negative layer', (g) => { g[0].layer = -1; }, /"layer" must be a layer index/],
      ['a fractional layer', (g) => { g[0].layer = 1.5; }, /"layer" must be a layer index/],
      ['an unknown group', (g) => { g[0].group = 'experts'; }, /"group" must be one of embed, self_attn/],
      ['a string count', (g) => { g[0].tensors = '3'; }, /"tensors" must be a count/],
      ['a negative numel', (g) => { g[0].numel = -4; }, /"numel" must be an element count/],
      ['too few rows', (g) => { g[0].pcc = g[0].pcc!.slice(1); }, new RegExp(`pcc must be ${K} x ${K}`)],
      ['a short row', (g) => { g[0].cs[2] = g[0].cs[2].slice(1); }, new RegExp(`cs must be ${K} x ${K}`)],
      ['pcc missing', (g) => { delete g[0].pcc; }, /pcc must be/],
      ['a string value', (g) => { g[0].pcc![0][1] = '0.5'; }, /pcc\[0\]\[1\] must be a number or null/],
      ['a value outside [-1, 1]', (g) => { g[0].cs[0][1] = g[0].cs[1][0] = 1.5; }, /cs\[0\]\[1\] = 1\.5 is outside \[-1, 1\]/],
      ['an asymmetric matrix', (g) => { g[0].pcc![0][1] = 0.25; g[0].pcc![1][0] = -0.25; }, /pcc must be symmetric/],
      ['null on one side only', (g) => { g[0].pcc![0][1] = null; }, /pcc must be symmetric/],
    ];
    for (const [what, damage, message] of cases) {
      const file = copy();
      damage(file.groups, file);
      const r = parseKinshipFile(file, 'bad.json');
      expect(r.groups, what).toBeNull();
      expect(r.groupsProblem, what).toMatch(message);
      expect(r.groupsProblem, what).toMatch(/^This file's "groups" are not kinship groups: .*The whole-model matrix still opens/);
      expect(r.matrices, what).toHaveLength(4);
      expect(() => parseKinshipGroups(file.groups, K), what).toThrow(RecordFileError);
    }
  });

  it('rejects a file whose matrices are damaged with a named error', () => {
    for (const v of [null, 3, [], { ...copy(), metrics: [] }, { ...copy(), metrics: {} }, { ...copy(), models: 'a' }, { ...copy(), metrics: { pcc: [[1]] } }, { ...copy(), metrics: { cosine: copy().metrics.cs } }]) {
      expect(() => parseKinshipFile(v, 'x.json'), JSON.stringify(v).slice(0, 60)).toThrow(RecordFileError);
    }
  });

  it('never crashes on any one value of the groups replaced by junk', () => {
    const junk: unknown[] = [null, 'x', -1, 2, 0.5, [], {}, [[]], true];
    let rejected = 0;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, Array.isArray(v) ? Number(k) : k]);
    };
    walk(cli.groups.slice(0, 2), []);
    for (const path of paths.slice(1)) {
      for (const j of junk) {
        const file = copy();
        let at = file.groups;
        for (const k of path.slice(0, -1)) at = at[k];
        at[path[path.length - 1]] = j;
        const r = parseKinshipFile(file, 'fuzz.json');
        expect((r.groups === null) !== (r.groupsProblem === null)).toBe(true);
        if (r.groups === null) rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(paths.length);
  });
});
