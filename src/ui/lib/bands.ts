/** Contiguous runs of the same stage over generations, for the chart's learning/saturation shading. */
export interface Band<S extends string> { stage: S; from: number; to: number }

export function stageBands<S extends string>(gens: { generation: number; stage: S }[]): Band<S>[] {
  const sorted = [...gens].sort((a, b) => a.generation - b.generation);
  const out: Band<S>[] = [];
  for (const g of sorted) {
    const last = out[out.length - 1];
    if (last && last.stage === g.stage) last.to = g.generation;
    else out.push({ stage: g.stage, from: g.generation, to: g.generation });
  }
  return out;
}
