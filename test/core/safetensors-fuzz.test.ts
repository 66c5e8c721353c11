/**
 * Fuzz: mutate valid files (byte flips in the length prefix and header, truncation, appended bytes,
 * header-length rewrites) and check that opening either succeeds with consistent data or fails with a
 * SafetensorsError: never another error type, never a hang.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SafetensorsError } from '../../src/core/errors';
import { openSafetensors } from '../../src/core/checkpoint';
import { makeTinyLlama, memorySource, toSafetensors } from '../helpers/fixtures';
import type { ByteSource } from '../../src/core/types';

const base = toSafetensors(makeTinyLlama({ layers: 1, hidden: 4, vocab: 6, dtype: 'BF16', oneElementTensor: true }));
const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));

/** A source that refuses out-of-range reads with a plain Error, so a reader that trusts offsets fails the test. */
function strictSource(bytes: Uint8Array): ByteSource {
  const m = memorySource(bytes);
  return {
    size: bytes.length,
    read: (o, l) => {
      if (l > 200_000_000) throw new Error(`reader asked for ${l} bytes`);
      return m.read(o, l);
    },
  };
}

const outcomes = { accepted: 0, rejected: 0 };

async function check(bytes: Uint8Array): Promise<void> {
  let ts;
  try {
    ts = await openSafetensors(strictSource(bytes), 'fuzz');
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(e)}`);
    expect(e.code).toMatch(/^[a-z0-9-]+$/);
    outcomes.rejected++;
    return;
  }
  outcomes.accepted++;
  // Accepted: the layout must be exactly consistent with the file, and every tensor readable.
  const tensors = ts.tensors();
  const dataStart = Math.min(bytes.length, ...tensors.map((t) => t.byteOffset));
  const total = tensors.reduce((s, t) => s + t.byteLength, 0);
  if (tensors.length > 0) expect(dataStart + total).toBe(bytes.length);
  for (const t of tensors) {
    expect(t.byteOffset + t.byteLength).toBeLessThanOrEqual(bytes.length);
    const raw = await ts.readRaw(t.name, 0, t.numel);
    expect(raw).toEqual(bytes.subarray(t.byteOffset, t.byteOffset + t.byteLength));
  }
}

describe('safetensors fuzz', () => {
  it('byte flips in the length prefix and header', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: headerEnd - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (flips) => {
        const b = base.slice();
        for (const [i, x] of flips) b[i] ^= x;
        await check(b);
      },
    ), { numRuns: 600 });
  });
  it('printable substitutions in the header (digits and punctuation keep JSON plausible)', async () => {
    const alphabet = '0123456789[]{},:" -.eE';
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 8, max: headerEnd - 1 }), fc.nat({ max: alphabet.length - 1 })), { minLength: 1, maxLength: 3 }),
      async (subs) => {
        const b = base.slice();
        for (const [i, k] of subs) b[i] = alphabet.charCodeAt(k);
        await check(b);
      },
    ), { numRuns: 600 });
    // Both paths were exercised (substituting a padding space with ' ' or digits for digits can stay valid).
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });
  it('truncation, appended bytes and rewritten header lengths', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: base.length }), async (n) => check(base.subarray(0, n))), { numRuns: 200 });
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (extra) => {
      const b = new Uint8Array(base.length + extra.length);
      b.set(base);
      b.set(extra, base.length);
      await check(b);
    }), { numRuns: 100 });
    await fc.assert(fc.asyncProperty(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), async (n) => {
      const b = base.slice();
      new DataView(b.buffer).setBigUint64(0, n, true);
      await check(b);
    }), { numRuns: 200 });
  });
  it('accepts the unmutated file', async () => {
    await check(base);
    expect((await openSafetensors(memorySource(base), 'ok')).tensors().length).toBe(13);
  });
});
