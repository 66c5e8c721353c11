/**
 * Kinship metrics from pair moments, in f64. This is the one place where pcc, cs, cs_abs and ed and
 * their degenerate cases are defined; the CPU and GPU Gram backends only produce the moments.
 *
 * Pair moments of models i and j over the tensors both have (ModelKinship skips a key missing in
 * either model of a pair): n elements, si = Σ d_i, sj = Σ d_j, qi = Σ d_i², qj = Σ d_j², gij = Σ d_i d_j.
 */

export type KinshipMetric = 'pcc' | 'cs' | 'cs_abs' | 'ed';
export const KINSHIP_METRICS: readonly KinshipMetric[] = ['pcc', 'cs', 'cs_abs', 'ed'];

export interface PairMoments {
  n: number;
  si: number;
  sj: number;
  qi: number;
  qj: number;
  gij: number;
}

/**
 * Why a value is undefined. 'zero-delta': the task vector is all zeros (the model equals the base on
 * these tensors): no direction, so cosine and correlation are 0/0. 'constant-delta': zero variance, so
 * Pearson is 0/0. 'empty': the two models share no elements. 'non-finite': the weights contain NaN or
 * infinity (every metric would be NaN; JSON would silently turn that into null without a reason).
 */
export type Degeneracy = 'zero-delta' | 'constant-delta' | 'empty' | 'non-finite';

export type MetricOutcome =
  | { value: number; reasons?: undefined }
  /** side 0 is model i, side 1 model j. */
  | { value: null; reasons: { side: 0 | 1; kind: Degeneracy }[] };

/**
 * A variance below this fraction of the mean square is within f64 rounding of zero for the Gram
 * formula (Σd² − (Σd)²/n cancels), so the delta is treated as constant rather than reporting noise.
 * Genuine deltas have std/rms far above sqrt(1e-9) ≈ 3e-5.
 */
export const CONSTANT_VARIANCE_TOL = 1e-9;

const clip = (x: number) => (x > 1 ? 1 : x < -1 ? -1 : x);

/** Variance numerator Σ(d − mean)² from raw moments, or the reason it is degenerate. */
function variance(n: number, s: number, q: number): number | Degeneracy {
  if (q === 0) return 'zero-delta';
  const v = q - (s * s) / n;
  return v <= CONSTANT_VARIANCE_TOL * q ? 'constant-delta' : v;
}

function emptyOutcome(): MetricOutcome {
  return { value: null, reasons: [{ side: 0, kind: 'empty' }] };
}

/** The non-finite side(s), or null when every moment is finite. */
function nonFinite(m: PairMoments, diagonal: boolean): MetricOutcome | null {
  const bad0 = !Number.isFinite(m.si) || !Number.isFinite(m.qi);
  const bad1 = !diagonal && (!Number.isFinite(m.sj) || !Number.isFinite(m.qj));
  if (!bad0 && !bad1 && Number.isFinite(m.gij)) return null;
  const reasons: { side: 0 | 1; kind: Degeneracy }[] = [];
  if (bad0 || !(bad0 || bad1)) reasons.push({ side: 0, kind: 'non-finite' });
  if (bad1 || !(bad0 || bad1)) reasons.push({ side: 1, kind: 'non-finite' });
  return { value: null, reasons };
}

/** Pearson correlation of the two deltas (torch.corrcoef's value, clipped to [-1, 1] like it). */
export function pearson(m: PairMoments, diagonal = false): MetricOutcome {
  if (m.n === 0) return emptyOutcome();
  const nf = nonFinite(m, diagonal);
  if (nf) return nf;
  const vi = variance(m.n, m.si, m.qi);
  const vj = diagonal ? vi : variance(m.n, m.sj, m.qj);
  const reasons: { side: 0 | 1; kind: Degeneracy }[] = [];
  if (typeof vi === 'string') reasons.push({ side: 0, kind: vi });
  if (typeof vj === 'string' && !diagonal) reasons.push({ side: 1, kind: vj });
  if (reasons.length > 0) return { value: null, reasons };
  if (diagonal) return { value: 1 };
  const cov = m.gij - (m.si * m.sj) / m.n;
  return { value: clip(cov / Math.sqrt((vi as number) * (vj as number))) };
}

/** Signed cosine similarity of the two deltas (the task-arithmetic cosine). */
export function cosine(m: PairMoments, diagonal = false): MetricOutcome {
  if (m.n === 0) return emptyOutcome();
  const nf = nonFinite(m, diagonal);
  if (nf) return nf;
  const reasons: { side: 0 | 1; kind: Degeneracy }[] = [];
  if (m.qi === 0) reasons.push({ side: 0, kind: 'zero-delta' });
  if (m.qj === 0 && !diagonal) reasons.push({ side: 1, kind: 'zero-delta' });
  if (reasons.length > 0) return { value: null, reasons };
  if (diagonal) return { value: 1 };
  return { value: clip(m.gij / Math.sqrt(m.qi * m.qj)) };
}

/** |cos|: what ModelKinship reports as "cs" (opposite deltas give 1). */
export function cosineAbs(m: PairMoments, diagonal = false): MetricOutcome {
  const c = cosine(m, diagonal);
  return c.value === null ? c : { value: Math.abs(c.value) };
}

/**
 * Euclidean distance ‖d_i − d_j‖ = ‖θ_i − θ_j‖. From the Gram it cancels when the distance is far below
 * the norms: the absolute error is about 1e-16·(qi + qj), so a distance under ~1e-7·‖d‖ is noise.
 */
export function euclidean(m: PairMoments, diagonal = false): MetricOutcome {
  if (m.n === 0) return emptyOutcome();
  const nf = nonFinite(m, diagonal);
  if (nf) return nf;
  if (diagonal) return { value: 0 };
  return { value: Math.sqrt(Math.max(0, m.qi + m.qj - 2 * m.gij)) };
}

export const METRIC_FNS: Record<KinshipMetric, (m: PairMoments, diagonal?: boolean) => MetricOutcome> = {
  pcc: pearson,
  cs: cosine,
  cs_abs: cosineAbs,
  ed: euclidean,
};

/** Human names, for tables and notes. */
export const METRIC_TITLES: Record<KinshipMetric, string> = {
  pcc: 'Pearson correlation of task vectors (pcc)',
  cs: 'signed cosine similarity of task vectors (cs)',
  cs_abs: "|cosine| of task vectors (cs_abs, ModelKinship's \"cs\")",
  ed: 'Euclidean distance between models (ed)',
};
