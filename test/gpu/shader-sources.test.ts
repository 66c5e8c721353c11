import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { SHADER_FILES } from '../../src/gpu/shader-sources';
import { shaderCode } from '../../src/gpu/shaders';

const dir = new URL('../../shaders/', import.meta.url);

describe('generated shader sources', () => {
  it('match shaders/*.wgsl exactly (run `node shaders/gen.mjs` after editing a shader)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();
    expect(Object.keys(SHADER_FILES).sort()).toEqual(files.map((f) => f.replace(/\.wgsl$/, '')));
    for (const f of files) expect(SHADER_FILES[f.replace(/\.wgsl$/, '')]).toBe(readFileSync(new URL(f, dir), 'utf8'));
  });
  it('kernels follow the house convention and includes resolve once', () => {
    for (const id of Object.keys(SHADER_FILES)) {
      const code = shaderCode(id);
      expect(code).not.toMatch(/^\/\/! include/m);
      if (!/fn main\(/.test(code)) continue; // libraries (dtype, rng)
      expect(code).toMatch(/override WG: u32 = 256;/);
      expect(code).toMatch(/@group\(0\) @binding\(0\) var<uniform> params: Params;/);
      expect(code.match(/const DT_F32/g)?.length ?? 0).toBeLessThanOrEqual(1);
    }
    expect(() => shaderCode('nope')).toThrow(/No shader "nope"/);
  });
});
