/**
 * Rank cuts for magnitude sparsification (TIES, breadcrumbs) without sorting or copying a whole tensor.
 *
 * Order: |d| descending, ties broken by the LOWER flat index first. Values are compared as the bit
 * patterns of the f32 |d| (non-negative floats order like their u32 bits; NaN ranks above +inf).
 * A cut at rank r is the pair (v, e): v = the value at rank r, e = how many elements equal to v come
 * before rank r. Element i (in index order) has rank < r iff bits(i) > v, or bits(i) == v and it is among
 * the first e elements equal to v. Radix select finds (v, e) with three histogram passes (11, 11, 10 bits)
 * over the chunks, for several ranks at once.
 */

export interface RankCut {
  /** Rank r of the cut; 0 = nothing ranks before it, numel = everything does. */
  rank: number;
  /** u32 bits of the f32 value at rank r (unused when r is 0 or numel). */
  value: number;
  /** Elements equal to `value` that rank before r. */
  equalBefore: number;
}

/** Reads the u32 bits of |d| for elements [start, start + n). The array may be reused by the caller after use. */
export type BitsReader = (start: number, nElems: number) => Promise<Uint32Array>;

const DIGITS = [{ shift: 21, bits: 11 }, { shift: 10, bits: 11 }, { shift: 0, bits: 10 }];

export async function selectRankCuts(numel: number, ranks: number[], read: BitsReader, chunkElems: number): Promise<RankCut[]> {
  const cuts: RankCut[] = ranks.map((r) => ({ rank: r, value: 0, equalBefore: 0 }));
  const open = cuts.filter((c) => c.rank > 0 && c.rank < numel);
  if (open.length === 0) return cuts;
  // Per open cut: bits decided so far (prefix under prefixMask) and the rank still to skip within it.
  const prefix = open.map(() => 0);
  const remaining = open.map((c) => c.rank);
  let prefixMask = 0;
  for (const { shift, bits } of DIGITS) {
    const size = 1 << bits;
    const digitMask = size - 1;
    const hists = open.map(() => new Float64Array(size));
    for (let start = 0; start < numel; start += chunkElems) {
      const n = Math.min(chunkElems, numel - start);
      const v = await read(start, n);
      for (let c = 0; c < open.length; c++) {
        const h = hists[c];
        const p = prefix[c];
        if (prefixMask === 0) {
          for (let i = 0; i < n; i++) h[v[i] >>> shift]++;
        } else {
          for (let i = 0; i < n; i++) {
            const x = v[i];
            if (((x & prefixMask) >>> 0) === p) h[(x >>> shift) & digitMask]++;
          }
        }
      }
    }
    // Walk buckets from the largest digit down (descending order of |d|).
    for (let c = 0; c < open.length; c++) {
      const h = hists[c];
      let b = size - 1;
      while (b > 0 && remaining[c] >= h[b]) { remaining[c] -= h[b]; b--; }
      prefix[c] = (prefix[c] | (b << shift)) >>> 0;
    }
    prefixMask = (prefixMask | (digitMask << shift)) >>> 0;
  }
  open.forEach((c, i) => { c.value = prefix[i]; c.equalBefore = remaining[i]; });
  return cuts;
}

/**
 * Streaming test "rank < r" in index order: feed every element's bits once, in order, across chunks.
 */
export class RankTester {
  private seenEqual = 0;
  constructor(private readonly cut: RankCut, private readonly numel: number) {}
  before(bits: number): boolean {
    if (this.cut.rank <= 0) return false;
    if (this.cut.rank >= this.numel) return true;
    if (bits > this.cut.value) return true;
    if (bits === this.cut.value) return this.seenEqual++ < this.cut.equalBefore;
    return false;
  }
}
