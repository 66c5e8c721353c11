import { fmt } from './scale.ts';

/**
 * Keyboard movement in a grid of cells (heatmaps): arrows move one cell, Home/End go to the row's
 * ends. Returns the new position, or null for keys that are not movement (the caller lets them through).
 */
export function gridMove(key: string, r: number, c: number, rows: number, cols: number): { r: number; c: number } | null {
  switch (key) {
    case 'ArrowUp': return { r: Math.max(0, r - 1), c };
    case 'ArrowDown': return { r: Math.min(rows - 1, r + 1), c };
    case 'ArrowLeft': return { r, c: Math.max(0, c - 1) };
    case 'ArrowRight': return { r, c: Math.min(cols - 1, c + 1) };
    case 'Home': return { r, c: 0 };
    case 'End': return { r, c: cols - 1 };
    default: return null;
  }
}

/** A heatmap cell's text: two decimals, tiny values as 0 (the readout has full precision), '–' undefined. */
export function cellText(v: number | null | undefined): string {
  return v === undefined ? '' : v === null ? '–' : Math.abs(v) < 0.005 ? '0' : fmt(v, 2);
}
