/**
 * Colour scales for the kinship heatmap. Pearson and signed cosine live in [-1, 1] and have a
 * meaningful zero, so they get a diverging scale (blue < 0 < red, after ColorBrewer RdBu);
 * |cos| in [0, 1] and Euclidean distance in [0, max] get a sequential one (after viridis).
 */
export type Metric = 'pcc' | 'cs' | 'cs_abs' | 'ed';
type RGB = [number, number, number];

const DIVERGING: RGB[] = [
  [33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43],
];
const SEQUENTIAL: RGB[] = [
  [253, 231, 37], [122, 209, 81], [34, 168, 132], [42, 120, 142], [65, 68, 135], [68, 1, 84],
];

function sample(stops: RGB[], u: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(u) ? u : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i], b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as RGB;
}

export interface ColorScale {
  kind: 'diverging' | 'sequential';
  domain: [number, number];
  /** CSS colour of a value; NaN/null get a neutral grey. */
  color(v: number | null): string;
  /** Black or white, whichever reads better on `color(v)`. */
  ink(v: number | null): string;
}

function make(kind: ColorScale['kind'], domain: [number, number], stops: RGB[]): ColorScale {
  const [lo, hi] = domain;
  const rgb = (v: number | null): RGB | null => (v === null || !Number.isFinite(v) ? null : sample(stops, hi === lo ? 0.5 : (v - lo) / (hi - lo)));
  return {
    kind, domain,
    color(v) { const c = rgb(v); return c ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : 'rgb(160, 160, 160)'; },
    ink(v) {
      const c = rgb(v) ?? [160, 160, 160];
      // Relative luminance (sRGB approximated by gamma 2.2) decides the readable text colour.
      const l = 0.2126 * (c[0] / 255) ** 2.2 + 0.7152 * (c[1] / 255) ** 2.2 + 0.0722 * (c[2] / 255) ** 2.2;
      return l > 0.25 ? '#111' : '#fff';
    },
  };
}

/** The scale for a metric; `values` sets the upper end of the distance scale. */
export function scaleForMetric(metric: Metric, values: (number | null)[]): ColorScale {
  if (metric === 'pcc' || metric === 'cs') return make('diverging', [-1, 1], DIVERGING);
  if (metric === 'cs_abs') return make('sequential', [0, 1], SEQUENTIAL);
  let max = 0;
  for (const v of values) if (v !== null && Number.isFinite(v) && v > max) max = v;
  return make('sequential', [0, max > 0 ? max : 1], SEQUENTIAL);
}

/** Distinct series colours that read on light and dark backgrounds (Okabe-Ito, colour-blind safe). */
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
