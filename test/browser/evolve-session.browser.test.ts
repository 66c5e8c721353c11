// The Evolve form's state (runes, so it runs under the Svelte plugin in Chromium): the early-stop
// patience reaches the engine config and share links, and links or saved runs made before the field
// existed come back as 0, which is what they ran with.
import { describe, it, expect } from 'vitest';
import { EvolveSession } from '../../src/ui/state/evolve.svelte.ts';
import { DEFAULT_CONFIG } from '../../src/evolve/types.ts';
import type { ShareState } from '../../src/ui/share/schema.ts';

const link = (params: ShareState['params']): ShareState => ({ version: 1, models: [], recipe: null, strategy: 'kinship', params, seed: 0, view: 'evolve', hide: [] });

describe('EvolveSession stopPatience', () => {
  it('starts at the default and goes into the engine config', () => {
    const s = new EvolveSession();
    expect(s.stopPatience).toBe(DEFAULT_CONFIG.stopPatience);
    s.stopPatience = 2;
    expect(s.config().stopPatience).toBe(2);
  });
  it('puts it in a share link only when set, and reads a link without it as 0', () => {
    const s = new EvolveSession();
    expect('stopPatience' in s.params()).toBe(false);
    s.stopPatience = 3;
    expect(s.params().stopPatience).toBe(3);
    const t = new EvolveSession();
    t.apply(link(s.params()));
    expect(t.stopPatience).toBe(3);
    t.apply(link({ k: 3, stopKinship: 0.9 }));
    expect(t.stopPatience).toBe(0);
  });
  it('shows a saved run without the field as 0', () => {
    const s = new EvolveSession();
    s.stopPatience = 2;
    const { stopPatience: _, ...legacy } = DEFAULT_CONFIG;
    s.showSaved(legacy, ['a', 'b']);
    expect(s.stopPatience).toBe(0);
    s.showSaved({ ...DEFAULT_CONFIG, stopPatience: 4 }, ['a', 'b']);
    expect(s.stopPatience).toBe(4);
  });
});
