import { describe, expect, it } from 'vitest';
import { cellText, gridMove } from '../../src/ui/lib/grid-nav';

describe('heatmap keyboard movement and cell text', () => {
  it('moves one cell with the arrows, to the row ends with Home/End, and stays inside the grid', () => {
    expect(gridMove('ArrowDown', 0, 0, 3, 4)).toEqual({ r: 1, c: 0 });
    expect(gridMove('ArrowUp', 0, 2, 3, 4)).toEqual({ r: 0, c: 2 });
    expect(gridMove('ArrowRight', 1, 3, 3, 4)).toEqual({ r: 1, c: 3 });
    expect(gridMove('ArrowLeft', 1, 3, 3, 4)).toEqual({ r: 1, c: 2 });
    expect(gridMove('ArrowDown', 2, 1, 3, 4)).toEqual({ r: 2, c: 1 });
    expect(gridMove('Home', 2, 3, 3, 4)).toEqual({ r: 2, c: 0 });
    expect(gridMove('End', 2, 0, 3, 4)).toEqual({ r: 2, c: 3 });
    expect(gridMove('Enter', 1, 1, 3, 4)).toBeNull();
    expect(gridMove('a', 1, 1, 3, 4)).toBeNull();
  });
  it('writes two decimals, tiny values as 0, undefined as a dash and absent as nothing', () => {
    expect(cellText(0.98765)).toBe('0.99');
    expect(cellText(-0.004)).toBe('0');
    expect(cellText(null)).toBe('–');
    expect(cellText(undefined)).toBe('');
  });
});
