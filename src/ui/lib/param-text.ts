/** Text <-> parameter values for the ParamEditor, and the per-layer curve its preview draws. */
import { interpolateGradient } from '../../core/merge/params.ts';

/** "0, 0.5, 1" -> [0, 0.5, 1]; a single number -> that number; otherwise an error message. */
export function parseValueText(text: string): { value: number | number[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  if (parts.length === 0) return { error: 'Enter a number, or several separated by commas for a gradient.' };
  const nums = parts.map(Number);
  const badAt = nums.findIndex((n) => !Number.isFinite(n));
  if (badAt >= 0) return { error: `"${parts[badAt]}" is not a number.` };
  if (nums.length > 64) return { error: 'A gradient has at most 64 points.' };
  return { value: nums.length === 1 ? nums[0] : nums };
}

export function formatValueText(v: number | number[] | boolean): string {
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** Values per layer 0..nLayers-1 (mergekit positions p = i/(L-1); p = 1 when L = 1). */
export function layerCurve(v: number | number[], nLayers: number): number[] {
  const L = Math.max(1, Math.floor(nLayers));
  return Array.from({ length: L }, (_, i) => {
    const p = L === 1 ? 1 : i / (L - 1);
    return Array.isArray(v) ? interpolateGradient(v, p) : v;
  });
}
