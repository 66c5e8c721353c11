import { describe, expect, it } from 'vitest';
import { shortNames } from '../../src/ui/lib/short-names';

describe('short model labels', () => {
  it('keeps plain names and shortens paths to their file name without .safetensors', () => {
    expect(shortNames(['expert-shift', 'expert-back'])).toEqual(['expert-shift', 'expert-back']);
    expect(shortNames(['/data/runs/a.safetensors', '/data/runs/b.safetensors'])).toEqual(['a', 'b']);
    expect(shortNames(['C:\\models\\x.safetensors', 'models/y/'])).toEqual(['x', 'y']);
  });
  it('adds parent folders until equal names differ', () => {
    expect(shortNames(['/a/one/model.safetensors', '/b/two/model.safetensors', '/c/z.safetensors']))
      .toEqual(['one/model.safetensors', 'two/model.safetensors', 'z']);
    expect(shortNames(['/x/same/m', '/y/same/m'])).toEqual(['x/same/m', 'y/same/m']);
  });
  it('leaves identical names identical rather than looping', () => {
    expect(shortNames(['/p/m', '/p/m'])).toEqual(['p/m', 'p/m']);
    expect(shortNames(['', '/'])).toEqual(['', '/']);
  });
});
