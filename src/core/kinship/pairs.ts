/**
 * Pair moments summed over tensors. ModelKinship compares two models over the tensors both of them
 * have, so with a key missing in one model the moments of a pair depend on the pair: A[i][j] = Σ d_i
 * over the tensors i shares with j, Q[i][j] = Σ d_i² over the same, N[i][j] their element count. When
 * every model has every tensor this is just the summed Gram (A[i][j] = S_i, Q[i][j] = G_ii).
 */
import type { TensorGram } from './gram';
import { KINSHIP_METRICS, METRIC_FNS, type KinshipMetric, type MetricOutcome, type PairMoments } from './metrics';

export class PairTable {
  readonly N: Float64Array;
  readonly A: Float64Array;
  readonly Q: Float64Array;
  readonly G: Float64Array;
  constructor(readonly K: number) {
    this.N = new Float64Array(K * K);
    this.A = new Float64Array(K * K);
    this.Q = new Float64Array(K * K);
    this.G = new Float64Array(K * K);
  }

  /** Adds one tensor's Gram; `present[r]` is the model index of row r of the Gram. */
  add(g: TensorGram, present: number[]): void {
    const K = this.K;
    const k = present.length;
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) {
        const ij = present[r] * K + present[c];
        this.N[ij] += g.n;
        this.A[ij] += g.S[r];
        this.Q[ij] += g.G[r * k + r];
        this.G[ij] += g.G[r * k + c];
      }
    }
  }

  moments(i: number, j: number): PairMoments {
    const K = this.K;
    return { n: this.N[i * K + j], si: this.A[i * K + j], sj: this.A[j * K + i], qi: this.Q[i * K + j], qj: this.Q[j * K + i], gij: this.G[i * K + j] };
  }

  /** Full K x K outcomes of one metric; (j, i) is the mirror of (i, j) so the matrix is exactly symmetric. */
  outcomes(metric: KinshipMetric): MetricOutcome[][] {
    const K = this.K;
    const out: MetricOutcome[][] = Array.from({ length: K }, () => new Array<MetricOutcome>(K));
    for (let i = 0; i < K; i++) {
      for (let j = i; j < K; j++) {
        const o = METRIC_FNS[metric](this.moments(i, j), i === j);
        out[i][j] = o;
        if (j === i) continue;
        out[j][i] = o.value === null ? { value: null, reasons: o.reasons.map((r) => ({ side: (1 - r.side) as 0 | 1, kind: r.kind })) } : o;
      }
    }
    return out;
  }
}

/**
 * ModelKinship's --split-calculation: the metric of each tensor from that tensor's Gram, tensors where
 * it is undefined (NaN there) skipped, then the mean weighted by the tensor's element count.
 */
export class SplitTable {
  private readonly wsum: Record<KinshipMetric, Float64Array>;
  private readonly wn: Record<KinshipMetric, Float64Array>;
  /** Tensors skipped per metric and pair because the metric was undefined there. */
  readonly skipped: Record<KinshipMetric, Float64Array>;
  constructor(readonly K: number) {
    const mk = () => Object.fromEntries(KINSHIP_METRICS.map((m) => [m, new Float64Array(K * K)])) as Record<KinshipMetric, Float64Array>;
    this.wsum = mk();
    this.wn = mk();
    this.skipped = mk();
  }

  add(g: TensorGram, present: number[]): void {
    const one = new PairTable(present.length);
    one.add(g, present.map((_, r) => r));
    const K = this.K;
    for (const metric of KINSHIP_METRICS) {
      const outs = one.outcomes(metric);
      for (let r = 0; r < present.length; r++) {
        for (let c = 0; c < present.length; c++) {
          const ij = present[r] * K + present[c];
          const v = outs[r][c].value;
          if (v === null) this.skipped[metric][ij] += 1;
          else {
            this.wsum[metric][ij] += g.n * v;
            this.wn[metric][ij] += g.n;
          }
        }
      }
    }
  }

  /** The weighted mean, or null (with no tensor defined) for each pair. */
  matrix(metric: KinshipMetric): (number | null)[][] {
    const K = this.K;
    return Array.from({ length: K }, (_, i) =>
      Array.from({ length: K }, (_, j) => {
        const w = this.wn[metric][i * K + j];
        return w > 0 ? this.wsum[metric][i * K + j] / w : null;
      }),
    );
  }
}
