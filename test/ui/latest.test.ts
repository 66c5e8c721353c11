import { describe, it, expect } from 'vitest';
import { latestWins } from '../../src/ui/lib/latest.ts';

const defer = <T,>() => { let resolve!: (v: T) => void, reject!: (e: unknown) => void; const p = new Promise<T>((a, b) => { resolve = a; reject = b; }); return { p, resolve, reject }; };

describe('latestWins', () => {
  it('resolves superseded calls to the newest result and aborts them', async () => {
    const pending: { d: ReturnType<typeof defer<string>>; signal: AbortSignal }[] = [];
    const run = latestWins((signal: AbortSignal, x: string) => { const d = defer<string>(); pending.push({ d, signal }); void x; return d.p; });
    const a = run('a'), b = run('b'), c = run('c');
    expect(pending.map((p) => p.signal.aborted)).toEqual([true, true, false]);
    pending[0].d.resolve('A');               // stale result arrives first: ignored
    pending[2].d.resolve('C');
    pending[1].d.reject(new Error('aborted'));  // a cancelled call's error is swallowed
    expect(await Promise.all([a, b, c])).toEqual(['C', 'C', 'C']);
  });
  it('passes the newest error through', async () => {
    const run = latestWins(async (_s: AbortSignal, fail: boolean) => { if (fail) throw new Error('bad'); return 1; });
    await expect(run(true)).rejects.toThrow('bad');
    expect(await run(false)).toBe(1);
  });
});
