// The kinship drill-down's layout over the engine's real per-group results: the pair grid has one row
// per layer plus one for the tensors outside the layers, cells with no group stay undefined, and
// undefined metrics (a zero task vector) stay null, never 0.
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { computeKinship } from '../../src/core/kinship';
import { RecordFileError } from '../../src/ui/lib/record';
import { drillMetricFor, gridRange, groupsCsv, modelVsAllGrid, pairGrid, parseKinshipGroups } from '../../src/ui/lib/kinship-drill';
import { makeTinyFamily, memorySource, toSafetensors, type TinyModel } from '../helpers/fixtures';

const open = (m: TinyModel, id: string) => openSafetensors(memorySource(toSafetensors(m)), id);

describe('kinship drill-down grids', async () => {
  const fam = makeTinyFamily({ seed: 4, layers: 2 });
  const r = await computeKinship({ base: await open(fam.base, 'base'), models: [await open(fam.fine, 'fine'), await open(fam.opposite, 'opposite'), await open(fam.zeroDelta, 'zero')] });
  const groups = r.groups;

  it('lays a pair out as layers x tensor groups', () => {
    const g = pairGrid(groups, 0, 1, 'pcc');
    expect(g.rows).toEqual(['outside layers', 'layer 0', 'layer 1']);
    expect(g.cols).toEqual(expect.arrayContaining(['embeddings', 'attention', 'mlp', 'norms']));
    const col = (name: string) => g.cols.indexOf(name);
    // Layer rows have no embedding; the outside row has no attention.
    expect(g.values[1][col('embeddings')]).toBeUndefined();
    expect(g.values[0][col('attention')]).toBeUndefined();
    // fine vs opposite: exactly opposite task vectors in every group.
    for (const row of g.values) for (const v of row) if (v !== undefined) expect(v).toBeCloseTo(-1, 10);
    // The cell's group is the one its value came from.
    const mlp0 = groups.find((x) => x.key === 'layers.0.mlp')!;
    expect(g.groups[1][col('mlp')]).toBe(mlp0);
    expect(g.values[1][col('mlp')]).toBe(mlp0.pcc[0][1]);
  });

  it('keeps undefined metrics null (a zero task vector), never 0', () => {
    const g = pairGrid(groups, 0, 2, 'cs');
    const present = g.values.flat().filter((v) => v !== undefined);
    expect(present.length).toBeGreaterThan(0);
    expect(present.every((v) => v === null)).toBe(true);
    expect(gridRange(g)).toBeNull();
    expect(groupsCsv(groups, r.models, 'cs').split('\n')[1].split(',').slice(-2)).toEqual(['', '']); // fine-zero, opposite-zero empty
  });

  it('lays one model out against all others, per group', () => {
    const g = modelVsAllGrid(groups, r.models, 1, 'pcc');
    expect(g.cols).toEqual(['fine', 'zero']);
    expect(g.rows).toEqual(groups.map((x) => x.key));
    expect(g.values.map((row) => row[1])).toEqual(groups.map(() => null));
    const range = gridRange(g)!;
    expect(range.lo.v).toBeCloseTo(-1, 10);
    expect(range.hi.v).toBeCloseTo(-1, 10);
  });

  it('writes one CSV row per group with one column per pair', () => {
    const lines = groupsCsv(groups, r.models, 'pcc').trimEnd().split('\n');
    expect(lines[0]).toBe('key,layer,group,tensors,elements,pcc fine vs opposite,pcc fine vs zero,pcc opposite vs zero');
    expect(lines.length).toBe(groups.length + 1);
    const mlp = lines.find((l) => l.startsWith('layers.1.mlp,'))!.split(',');
    expect(mlp[1]).toBe('1');
    expect(Number(mlp[5])).toBeCloseTo(-1, 10);
  });

  it('draws every metric per group, and pcc for metrics a file from an older kinmerge lacks', () => {
    expect((['pcc', 'cs', 'cs_abs', 'ed'] as const).map((m) => drillMetricFor(m, groups))).toEqual(['pcc', 'cs', 'cs_abs', 'ed']);
    const old = groups.map(({ cs_abs: _a, ed: _e, ...g }) => g);
    expect((['pcc', 'cs', 'cs_abs', 'ed'] as const).map((m) => drillMetricFor(m, old))).toEqual(['pcc', 'cs', 'pcc', 'pcc']);
    // Distances: 0 on the diagonal, the pair's own value off it.
    const grid = pairGrid(groups, 0, 1, 'ed');
    expect(grid.values.flat().filter((v) => typeof v === 'number').every((v) => (v as number) >= 0)).toBe(true);
    const bad = JSON.parse(JSON.stringify(groups));
    bad[0].ed[0][1] = bad[0].ed[1][0] = -0.5;
    expect(() => parseKinshipGroups(bad, 3)).toThrow(/ed\[0\]\[1\] = -0.5 is outside \[0, ∞\]/);
    const bad2 = JSON.parse(JSON.stringify(groups));
    bad2[0].cs_abs[0][1] = bad2[0].cs_abs[1][0] = 1.5;
    expect(() => parseKinshipGroups(bad2, 3)).toThrow(/cs_abs\[0\]\[1\] = 1.5 is outside \[0, 1\]/);
    expect(parseKinshipGroups(JSON.parse(JSON.stringify(old)), 3)).toEqual(old);
  });

  it('accepts the engine groups from a file and names what is wrong in a damaged one', () => {
    expect(parseKinshipGroups(JSON.parse(JSON.stringify(groups)), 3)).toEqual(groups);
    expect(() => parseKinshipGroups({}, 3)).toThrow(RecordFileError);
    const bad = JSON.parse(JSON.stringify(groups));
    bad[0].pcc = [[1]];
    expect(() => parseKinshipGroups(bad, 3)).toThrow(/pcc must be 3 x 3/);
    bad[0].pcc = groups[0].pcc; bad[0].group = 'weird';
    expect(() => parseKinshipGroups(bad, 3)).toThrow(/"group" must be one of/);
  });
});
