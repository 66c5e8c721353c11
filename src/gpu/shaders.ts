/**
 * WGSL sources with `//! include <stem>` lines resolved. Sources come from the generated
 * shader-sources.ts (see shaders/gen.mjs) so the same code loads in Vite, vitest and plain Node.
 */
import { SHADER_FILES } from './shader-sources';
import { GpuError } from './errors';

const INCLUDE = /^\/\/! include (\w+)\s*$/gm;
const resolved = new Map<string, string>();

/** The complete WGSL of kernel `id` (a file stem in shaders/), each library included once. */
export function shaderCode(id: string): string {
  const hit = resolved.get(id);
  if (hit) return hit;
  const seen = new Set<string>();
  const expand = (stem: string): string => {
    const src = SHADER_FILES[stem];
    if (src === undefined) {
      throw new GpuError('gpu-shader-missing', `No shader "${stem}" in shaders/. Run \`node shaders/gen.mjs\` after adding one.`);
    }
    return src.replace(INCLUDE, (_line, lib: string) => {
      if (seen.has(lib)) return '';
      seen.add(lib);
      return `// ---- included ${lib}.wgsl ----\n${expand(lib)}// ---- end ${lib}.wgsl ----`;
    });
  };
  const code = expand(id);
  resolved.set(id, code);
  return code;
}
