import { describe, it, expect } from 'vitest';
import { layoutDag, assignLayers } from '../../src/ui/lib/dag.ts';
import { scaleForMetric } from '../../src/ui/lib/color.ts';
import { niceTicks, linear, extent, fmt } from '../../src/ui/lib/scale.ts';
import { stageBands } from '../../src/ui/lib/bands.ts';
import { parseEvolveRecord, parseKinshipMatrix, RecordFileError } from '../../src/ui/lib/record.ts';
import { KinmergeError } from '../../src/core/errors.ts';

describe('DAG layout', () => {
  const nodes = [
    { id: 'a', parents: [], generation: 0 }, { id: 'b', parents: [], generation: 0 }, { id: 'c', parents: [], generation: 0 },
    { id: 'bc', parents: ['b', 'c'], generation: 1 }, { id: 'ab', parents: ['a', 'b'], generation: 1 },
    { id: 'ab-bc', parents: ['ab', 'bc'], generation: 2 },
  ];
  it('puts each generation in a column and orders rows by parent barycentre', () => {
    const l = layoutDag(nodes, { dx: 100, dy: 40, margin: 10 });
    const at = Object.fromEntries(l.nodes.map((n) => [n.id, n]));
    expect(l.layers).toBe(3);
    expect([at.a.x, at.ab.x, at['ab-bc'].x]).toEqual([10, 110, 210]);
    expect(at.ab.row).toBe(0);   // parents a (0), b (1) -> 0.5 beats b, c -> 1.5
    expect(at.bc.row).toBe(1);
    expect(l.edges).toHaveLength(6);
    expect(l.edges.find((e) => e.from === 'ab' && e.to === 'ab-bc')).toMatchObject({ x1: 110, x2: 210 });
    expect(l.width).toBe(220);
    expect(l.height).toBe(10 * 2 + 2 * 40);
  });
  it('is deterministic regardless of input order', () => {
    const a = layoutDag(nodes), b = layoutDag([...nodes].reverse());
    const key = (l: typeof a) => l.nodes.map((n) => `${n.id}@${n.x},${n.y}`).sort();
    expect(key(a)).toEqual(key(b));
  });
  it('derives layers from parents when generations are missing and rejects cycles', () => {
    const l = assignLayers([{ id: 'x', parents: [] }, { id: 'y', parents: ['x'] }, { id: 'z', parents: ['y', 'x'] }]);
    expect([...l.entries()]).toEqual([['x', 0], ['y', 1], ['z', 2]]);
    expect(() => assignLayers([{ id: 'p', parents: ['q'] }, { id: 'q', parents: ['p'] }])).toThrow(KinmergeError);
  });
});

describe('colour scales', () => {
  it('is diverging around zero for pcc and cs, sequential for ed', () => {
    const s = scaleForMetric('pcc', []);
    expect(s.kind).toBe('diverging');
    expect(s.color(0)).toBe('rgb(247, 247, 247)');
    expect(s.color(-1)).toBe('rgb(33, 102, 172)');
    expect(s.color(1)).toBe('rgb(178, 24, 43)');
    expect(s.color(5)).toBe(s.color(1));        // clamped
    expect(s.color(null)).toBe('rgb(160, 160, 160)');
    expect(s.ink(0)).toBe('#111');
    expect(s.ink(-1)).toBe('#fff');
    const e = scaleForMetric('ed', [0, 2, null, 4]);
    expect(e.kind).toBe('sequential');
    expect(e.domain).toEqual([0, 4]);
    expect(e.color(0)).not.toBe(e.color(4));
    expect(scaleForMetric('cs_abs', []).domain).toEqual([0, 1]);
  });
});

describe('scales and ticks', () => {
  it('gives round ticks inside the domain', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.61, 0.69, 4)).toEqual([0.62, 0.64, 0.66, 0.68]);
    expect(niceTicks(3, 3)).toEqual([3]);
    const x = linear([0, 10], [100, 200]);
    expect(x(5)).toBe(150);
    expect(linear([1, 1], [0, 10])(1)).toBe(5);
    expect(extent([1, null, 3])).toEqual([0.9, 3.1]);
    expect(extent([])).toEqual([0, 1]);
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(null)).toBe('–');
  });
  it('groups stages into bands', () => {
    expect(stageBands([{ generation: 2, stage: 'learning' }, { generation: 1, stage: 'learning' }, { generation: 3, stage: 'saturation' }]))
      .toEqual([{ stage: 'learning', from: 1, to: 2 }, { stage: 'saturation', from: 3, to: 3 }]);
  });
});

describe('record files', () => {
  const rec = {
    strategy: 'kinship', seed: 1, stopped: 'converged', best: { id: 'ab', average: 0.7 },
    generations: [{ generation: 1, best_average: 0.7, topk_average: 0.6, topk_kinship: 0.5, stage: 'learning', topk: ['ab'], merges: ['ab'] }],
    models: [
      { id: 'a', parents: [], generation: 0, exploration: false, scores: {}, average: 0.5, gain: null, parent_kinship: null },
      { id: 'b', parents: [], generation: 0, exploration: false, scores: {}, average: 0.6, gain: null, parent_kinship: null },
      { id: 'ab', parents: ['a', 'b'], generation: 1, exploration: true, scores: {}, average: 0.7, gain: 0.15, parent_kinship: 0.2 },
    ],
  };
  it('accepts a CLI record and names what is wrong with a damaged one', () => {
    expect(parseEvolveRecord(rec).models).toHaveLength(3);
    expect(() => parseEvolveRecord({ ...rec, models: [rec.models[2]] })).toThrow(/parent "a" that is not in the record/);
    expect(() => parseEvolveRecord({ ...rec, strategy: 'x' })).toThrow(RecordFileError);
    expect(() => parseEvolveRecord([])).toThrow(/not a JSON object/);
  });
  it('checks kinship matrices are square', () => {
    expect(parseKinshipMatrix({ metric: 'pcc', models: ['a', 'b'], matrix: [[1, 0.5], [0.5, 1]] }).models).toEqual(['a', 'b']);
    expect(() => parseKinshipMatrix({ metric: 'pcc', models: ['a', 'b'], matrix: [[1, 0.5]] })).toThrow(/2 rows/);
    expect(() => parseKinshipMatrix({ metric: 'l1', models: ['a'], matrix: [[1]] })).toThrow(/metric/);
  });
});
