import { describe, it, expect } from 'vitest';
import { encodeShare, decodeShare, MAX_TOKEN_CHARS } from '../../src/ui/share/codec.ts';
import { toBase64url, fromBase64url } from '../../src/ui/share/base64url.ts';
import { validateShare, type ShareState } from '../../src/ui/share/schema.ts';
import { parseHash, formatHash } from '../../src/ui/share/route.ts';
import { ShareLinkError } from '../../src/ui/share/errors.ts';
import { stepIndex, TEACH_STEP_IDS, TEACH_STEPS } from '../../src/ui/teach/steps.ts';

const full: ShareState = {
  version: 1,
  models: [{ zoo: 'tiny-math' }, { zoo: 'tiny-code' }, { sha256: 'a'.repeat(64), url: 'https://example.org/m.safetensors', name: 'ext' }],
  recipe: { method: 'slerp', params: { t: [{ filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] }, { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] }, { value: 0.5 }] } },
  strategy: 'kinship',
  params: { k: 3, metric: 'pcc', stopKinship: 0.9, stopPatience: 2, maxGen: 8, explorePool: 'all' },
  seed: 42,
  view: 'evolve',
  hide: ['evolve.seed', 'nav.teach'],
};

async function deflate(text: string): Promise<string> {
  const s = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return 'v1.' + toBase64url(new Uint8Array(await new Response(s).arrayBuffer()));
}
async function code(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(ShareLinkError); return (e as ShareLinkError).code; }
  throw new Error('expected a ShareLinkError');
}

describe('base64url', () => {
  it('round-trips every length 0..40 and rejects non-canonical input', () => {
    for (let n = 0; n <= 40; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 255);
      const s = toBase64url(b);
      expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
      expect([...fromBase64url(s)!]).toEqual([...b]);
    }
    expect(toBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(fromBase64url('a')).toBeNull();        // impossible length
    expect(fromBase64url('ab+c')).toBeNull();     // standard alphabet is not base64url
    expect(fromBase64url('AB')).toBeNull();       // stray low bits
  });
});

describe('share codec', () => {
  it('round-trips a full experiment through deflate-raw', async () => {
    const token = await encodeShare(full);
    expect(token.startsWith('v1.')).toBe(true);
    const { state, warnings } = await decodeShare(token);
    expect(state).toEqual(full);
    expect(warnings).toEqual([]);
  });

  it('fills defaults for a minimal link', async () => {
    const { state } = await decodeShare(await deflate('{"version":1}'));
    expect(state).toMatchObject({ models: [], recipe: null, strategy: null, seed: 0, view: 'library', hide: [] });
    expect('teach' in state).toBe(false); // no step named: the Teach view opens at step 1
  });

  it('round-trips a teaching link that opens at a chosen step', async () => {
    const lesson: ShareState = { ...full, view: 'teach', hide: ['merge.export', 'nav.evolve'], teach: 'slerp' };
    const { state } = await decodeShare(await encodeShare(lesson));
    expect(state).toEqual(lesson);
    expect(state.teach).toBe('slerp');
    expect(stepIndex(state.teach)).toBe(2);
    expect(TEACH_STEPS[stepIndex(state.teach)].title).toBe('What SLERP does');
  });

  it('refuses a teaching link naming a step this kinmerge does not have, as an invalid link', async () => {
    expect(await code(decodeShare(await deflate(JSON.stringify({ version: 1, view: 'teach', teach: 'backprop' }))))).toBe('share-invalid');
    expect(await code(encodeShare({ ...full, teach: 'nope' as never }))).toBe('share-invalid');
  });

  it('names oversized, malformed and unknown-version links', async () => {
    expect(await code(decodeShare('v1.' + 'A'.repeat(MAX_TOKEN_CHARS)))).toBe('share-oversized');
    expect(await code(decodeShare('hello'))).toBe('share-malformed');
    expect(await code(decodeShare('v1.!!!!'))).toBe('share-malformed');
    expect(await code(decodeShare('v1.AAAA'))).toBe('share-malformed');           // not deflate data
    expect(await code(decodeShare(await deflate('{not json')))).toBe('share-malformed');
    expect(await code(decodeShare('v2.AAAA'))).toBe('share-version');
    expect(await code(decodeShare(await deflate('{"version":7}')))).toBe('share-version');
  });

  it('refuses a deflate bomb: a small link that inflates past the JSON cap', async () => {
    const bomb = await deflate(JSON.stringify({ version: 1, pad: ' '.repeat(200_000) }));
    expect(bomb.length).toBeLessThan(MAX_TOKEN_CHARS);
    expect(await code(decodeShare(bomb))).toBe('share-oversized');
  });

  it('refuses to encode a state it could not read back', async () => {
    expect(await code(encodeShare({ ...full, seed: -1 }))).toBe('share-invalid');
  });
});

describe('share schema', () => {
  const base = JSON.parse(JSON.stringify(full));
  const bad = (patch: Record<string, unknown>, field: RegExp) => {
    let err: unknown;
    try { validateShare({ ...base, ...patch }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShareLinkError);
    expect((err as ShareLinkError).code).toBe('share-invalid');
    expect((err as Error).message).toMatch(field);
  };
  it('names the offending field', () => {
    bad({ extra: 1 }, /link\.extra is not a known field/);
    bad({ seed: 1.5 }, /link\.seed must be an integer/);
    bad({ seed: '3' }, /link\.seed must be a finite number/);
    bad({ view: 'admin' }, /link\.view must be one of/);
    bad({ strategy: 'genetic' }, /link\.strategy/);
    bad({ models: [{ zoo: '../etc/passwd' }] }, /models\[0\]\.zoo has characters/);
    bad({ models: [{ sha256: 'xyz', url: 'https://a.b/c' }] }, /models\[0\]\.sha256/);
    bad({ models: [{ sha256: 'a'.repeat(64), url: 'javascript:alert(1)' }] }, /models\[0\]\.url must be an http/);
    bad({ models: Array.from({ length: 65 }, () => ({ zoo: 'a' })) }, /more than 64/);
    bad({ params: { k: 0 } }, /link\.params\.k must be in \[1, 16\]/);
    bad({ params: { metric: 'l2' } }, /link\.params\.metric/);
    bad({ params: { stopPatience: -1 } }, /link\.params\.stopPatience must be in \[0, 64\]/);
    bad({ params: { stopPatience: 1.5 } }, /link\.params\.stopPatience must be an integer/);
    bad({ params: { stopPatience: '2' } }, /link\.params\.stopPatience must be a finite number/);
    bad({ recipe: { method: 'slerp', params: { t: [] } } }, /link\.recipe\.params\.t must not be an empty list/);
    bad({ recipe: { method: 'slerp', params: { t: [{ filter: 'mlp', value: 'x' }] } } }, /value must be a finite number/);
    bad({ recipe: { method: 'slerp', params: { t: Infinity } } }, /finite/);
    bad({ hide: 'nav.teach' }, /link\.hide must be a list/);
  });
  it('accepts only a known teaching step id in link.teach', () => {
    for (const id of TEACH_STEP_IDS) expect(validateShare({ ...base, teach: id }).state.teach).toBe(id);
    bad({ teach: 'backprop' }, /link\.teach must be one of task-vector, kinship, slerp, greedy-stalls, exploration/);
    bad({ teach: 2 }, /link\.teach must be one of/);
    bad({ teach: '' }, /link\.teach must be one of/);
    bad({ teach: null }, /link\.teach must be one of/);
    bad({ teach: ['slerp'] }, /link\.teach must be one of/);
  });
  it('keeps the step ids of the format in step with the walkthrough', () => {
    // A link names a step by id: every id the schema accepts is a step, in the walkthrough's order.
    expect(TEACH_STEPS.map((st) => st.id)).toEqual([...TEACH_STEP_IDS]);
    expect(stepIndex(undefined)).toBe(0);
    expect(TEACH_STEP_IDS.map(stepIndex)).toEqual(TEACH_STEP_IDS.map((_, i) => i));
  });
  it('reads a link made before stopPatience existed without the field (the plain rule, 0)', () => {
    const { stopPatience: _, ...params } = full.params;
    const { state } = validateShare({ ...base, params });
    expect(state.params).toEqual(params);
    expect('stopPatience' in state.params).toBe(false);
  });
  it('drops unknown hide ids with a warning and keeps known ones once', () => {
    const { state, warnings } = validateShare({ ...base, hide: ['evolve.seed', 'future.thing', 'evolve.seed'] });
    expect(state.hide).toEqual(['evolve.seed']);
    expect(warnings).toEqual(['Ignored unknown control "future.thing" in the link\'s hide list.']);
  });
});

describe('hash routes', () => {
  it('separates the view from the share payload', () => {
    expect(parseHash('')).toEqual({ view: 'library', share: null });
    expect(parseHash('#/kinship')).toEqual({ view: 'kinship', share: null });
    expect(parseHash('#/evolve?s=v1.abc_-')).toEqual({ view: 'evolve', share: 'v1.abc_-' });
    expect(parseHash('#/nowhere')).toEqual({ view: 'library', share: null, unknown: 'nowhere' });
    expect(formatHash({ view: 'merge', share: 'v1.x' })).toBe('#/merge?s=v1.x');
    expect(parseHash(formatHash({ view: 'teach', share: 'v1.Q' }))).toEqual({ view: 'teach', share: 'v1.Q' });
  });
});
