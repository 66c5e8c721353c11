/**
 * Rank boundaries for magnitude sparsification on the GPU: a radix select (8 bits per pass) over the
 * 64-bit key (bits(|d|), ~flat index) in descending order, which is "rank by |d| descending, ties by
 * lower flat index". The top-m set is then {e : bits > v or (bits == v and ~index >= ikCut)}; exactly
 * m elements, the same set as the CPU's (value, equalBefore) cut. Index passes run only when equal
 * values straddle the boundary. No sort, no copy of the tensor to the CPU: only 1 KiB histograms.
 */
import type { GpuContext } from './context';
import type { PackedInputs } from './packed';
import { maxQueries, radixHistChunk, type RadixQuery } from './kernels/radix-hist';
import { TOP_ALL, TOP_NONE, type TopBoundary } from './kernels/gta';

/** Runs `fn` on every chunk of the tensor in order (the backend owns loading and releasing). */
export type ChunkVisitor = (fn: (packed: PackedInputs, start: number) => Promise<void>) => Promise<void>;

export interface BoundaryRequest { model: number; m: number }

/** One boundary's search state: its next histogram query (less the model, taken from `req`). */
interface Search extends Omit<RadixQuery, 'model'> {
  req: BoundaryRequest;
  remaining: number;
  done?: TopBoundary;
}

/**
 * The top-m boundary of each request. `k` = number of model segments in each chunk (segment k is the
 * base when hasBase). Passes: 4 over the values, plus up to 4 over indices for straddled ties.
 */
export async function selectTopBoundaries(
  ctx: GpuContext, numel: number, k: number, hasBase: boolean, reqs: BoundaryRequest[], visit: ChunkVisitor,
): Promise<TopBoundary[]> {
  const searches: Search[] = reqs.map((req) => {
    const s: Search = { req, phase: 0, shift: 24, valPrefix: 0, valMask: 0, ikPrefix: 0, ikMask: 0, remaining: req.m - 1 };
    if (req.m <= 0) s.done = TOP_NONE;
    else if (req.m >= numel) s.done = TOP_ALL;
    return s;
  });
  const perDispatch = maxQueries(ctx);
  for (;;) {
    const open = searches.filter((s) => !s.done);
    if (open.length === 0) break;
    const hists = open.map(() => new Float64Array(256));
    await visit(async (packed, start) => {
      for (let g = 0; g < open.length; g += perDispatch) {
        const group = open.slice(g, g + perDispatch);
        const queries: RadixQuery[] = group.map((s) => ({
          model: s.req.model, phase: s.phase, shift: s.shift,
          valPrefix: s.valPrefix >>> 0, valMask: s.valMask >>> 0, ikPrefix: s.ikPrefix >>> 0, ikMask: s.ikMask >>> 0,
        }));
        const h = await radixHistChunk(ctx, packed, k, start, hasBase, queries);
        group.forEach((_, q) => { for (let d = 0; d < 256; d++) hists[g + q][d] += h[q * 256 + d]; });
      }
    });
    open.forEach((s, i) => step(s, hists[i]));
  }
  return searches.map((s) => s.done!);
}

/** Takes the digit that holds rank `remaining` (walking digits from high to low) and advances. */
function step(s: Search, h: Float64Array): void {
  let d = 255;
  while (d > 0 && s.remaining >= h[d]) { s.remaining -= h[d]; d--; }
  const bits = (d << s.shift) >>> 0;
  const mask = (0xff << s.shift) >>> 0;
  if (s.phase === 0) {
    s.valPrefix = (s.valPrefix | bits) >>> 0;
    s.valMask = (s.valMask | mask) >>> 0;
  } else {
    s.ikPrefix = (s.ikPrefix | bits) >>> 0;
    s.ikMask = (s.ikMask | mask) >>> 0;
  }
  if (s.shift > 0) { s.shift -= 8; return; }
  if (s.phase === 0) {
    // All elements equal to v up to rank r are in: the index order among them does not matter.
    if (s.remaining === h[d] - 1) { s.done = { v: s.valPrefix, ikCut: 0 }; return; }
    s.phase = 1;
    s.shift = 24;
    return;
  }
  s.done = { v: s.valPrefix, ikCut: s.ikPrefix };
}
