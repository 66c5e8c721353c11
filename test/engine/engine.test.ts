import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type RunStore } from '../../src/engine/engine';
import type { SavedRun } from '../../src/engine/api';
import { nodeAssetReader } from '../../src/eval/node-assets';
import { DEFAULT_CONFIG } from '../../src/evolve/types';
import { CancelledError } from '../../src/core/errors';
import { fixtureZoo } from '../helpers/fixture-zoo';

function memoryRuns(): RunStore & { saved?: SavedRun } {
  const s: RunStore & { saved?: SavedRun } = {
    async get() { return s.saved && structuredClone(s.saved); },
    async set(r) { s.saved = structuredClone(r); },
    async del() { s.saved = undefined; },
  };
  return s;
}

describe('createEngine (in-process, CPU backend)', () => {
  let root = '';
  beforeAll(async () => { root = await fixtureZoo(); });
  afterAll(async () => { if (root) await rm(root, { recursive: true, force: true }); });

  it('lists the zoo, computes kinship, merges and evaluates', async () => {
    const engine = createEngine({ assets: nodeAssetReader(root) });
    expect((await engine.init('cpu')).backend).toBe('cpu');
    const zoo = await engine.zoo();
    expect(zoo.base).toBe('base');
    expect(zoo.models.map((m) => m.id)).toEqual(['base', 'expert-0', 'expert-1', 'expert-2']);
    const k = await engine.kinship('k1', ['expert-0', 'expert-1', 'expert-2']);
    expect(k.metrics.pcc!.length).toBe(3);
    expect(k.metrics.pcc![0][0]).toBe(1);
    const m = await engine.merge('m1', { recipe: { merge_method: 'slerp', base_model: 'expert-0', models: [{ model: 'expert-0' }, { model: 'expert-1' }], parameters: { t: 0.5 } } });
    expect(m.params).toBe(zoo.models[0].params);
    const s = await engine.evaluate('e1', m.id);
    expect(s.average).toBeGreaterThanOrEqual(0);
    expect((await engine.models()).some((x) => x.id === m.id && x.kind === 'merged')).toBe(true);
    expect((await engine.recipeOf(m.id))!.merge_method).toBe('slerp');
    const bytes = await engine.exportModel(m.id);
    expect(bytes.byteLength).toBeGreaterThan(1000);
    const wc = await engine.weightChange('expert-0', m.id);
    expect(wc.length).toBeGreaterThan(1);
    await expect(engine.evaluate('e2', 'nope')).rejects.toThrow(/No model "nope"/);
  });

  it('saves a run after each generation; a cancelled run resumes to the same result', async () => {
    const config = { ...DEFAULT_CONFIG, strategy: 'kinship' as const, maxGen: 3, stopKinship: null };
    const foundation = ['expert-0', 'expert-1', 'expert-2'];
    const full = await createEngine({ assets: nodeAssetReader(root), runs: memoryRuns() }).evolve('r0', { config, foundation });

    const runs = memoryRuns();
    const engine = createEngine({ assets: nodeAssetReader(root), runs });
    await engine.init('cpu');
    await expect(engine.evolve('r1', { config, foundation }, (e) => {
      if (e.type === 'generation' && e.generation.generation === 1) void engine.cancel('r1');
    })).rejects.toBeInstanceOf(CancelledError);
    expect(runs.saved?.state.generation).toBe(1);
    // a "reload": a new engine over the same saved run
    const engine2 = createEngine({ assets: nodeAssetReader(root), runs });
    expect((await engine2.savedRun())!.state.generation).toBe(1);
    const resumed = await engine2.evolve('r2', { config, foundation, resume: true });
    const strip = (r: typeof full) => JSON.stringify({ ...r, generations: r.generations.map((g) => ({ ...g, seconds: 0 })), models: r.models.map((m) => ({ ...m, seconds: 0 })) });
    expect(strip(resumed)).toBe(strip(full));
    expect(await engine2.savedRun()).toBeNull();
  });

  it('pauses and resumes a run', async () => {
    const engine = createEngine({ assets: nodeAssetReader(root) });
    const config = { ...DEFAULT_CONFIG, strategy: 'greedy' as const, maxGen: 2, stopKinship: null };
    let models = 0;
    const p = engine.evolve('p1', { config, foundation: ['expert-0', 'expert-1', 'expert-2'] }, (e) => {
      if (e.type === 'model' && ++models === 2) void engine.pause('p1');
    });
    await new Promise((r) => setTimeout(r, 1500));
    const seen = models;
    await new Promise((r) => setTimeout(r, 500));
    expect(models).toBe(seen); // nothing happens while paused
    await engine.resume('p1');
    const rec = await p;
    expect(rec.models.length).toBeGreaterThan(seen);
  });
});
