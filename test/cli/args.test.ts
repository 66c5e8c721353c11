import { describe, expect, it } from 'vitest';
import { UsageError, choiceFlag, intFlag, numberFlag, parseArgs } from '../../src/cli/args';

const specs = {
  json: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  metric: { type: 'string', multiple: true },
} as const;

describe('parseArgs', () => {
  it('parses switches, values, --flag=value, repeats, short aliases, positionals and --', () => {
    const r = parseArgs(['a', '--json', '--out', 'x.st', '--metric=pcc', '--metric', 'cs', 'b', '--', '--json', '-o'], specs);
    expect(r.flags).toEqual({ json: true, out: 'x.st', metric: ['pcc', 'cs'] });
    expect(r.positionals).toEqual(['a', 'b', '--json', '-o']);
    expect(parseArgs(['-o', 'y', '-5', '-'], specs)).toEqual({ flags: { json: false, out: 'y', metric: [] }, positionals: ['-5', '-'] });
    expect(parseArgs(['--out', '-3'], specs).flags.out).toBe('-3');
    expect(parseArgs(['--out='], specs).flags.out).toBe('');
  });
  it.each([
    [['--nope'], /Unknown option --nope/],
    [['-x'], /Unknown option -x/],
    [['--json=yes'], /takes no value/],
    [['--out'], /needs a value/],
    [['--out', 'a', '--out', 'b'], /given twice/],
  ])('%j is a usage error', (argv, msg) => {
    expect(() => parseArgs(argv as string[], specs)).toThrow(UsageError);
    expect(() => parseArgs(argv as string[], specs)).toThrow(msg);
  });
  it('checks typed values', () => {
    expect(intFlag('42', 'seed', 0)).toBe(42);
    expect(() => intFlag('4.2', 'seed')).toThrow(/--seed must be an integer/);
    expect(() => intFlag('-1', 'seed', 0)).toThrow(/>= 0/);
    expect(() => intFlag('1e3', 'seed')).toThrow(UsageError);
    expect(numberFlag('0.25', 't')).toBe(0.25);
    expect(() => numberFlag('abc', 't')).toThrow(/--t must be a number/);
    expect(() => numberFlag('', 't')).toThrow(UsageError);
    expect(choiceFlag('cpu', 'backend', ['cpu', 'webgpu'] as const)).toBe('cpu');
    expect(() => choiceFlag('tpu', 'backend', ['cpu', 'webgpu'])).toThrow(/one of cpu, webgpu/);
  });
});
