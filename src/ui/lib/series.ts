/** Chart-ready series from an evolution record (pure, so it is tested in Node). */
import type { EvolveRecord } from '../../evolve/types.ts';
import { stageBands, type Band } from './bands.ts';

export interface RunPoint { generation: number; best: number; topk: number | null; kinship: number | null }
export interface RunSeries {
  name: string;
  points: RunPoint[];
  /** Generation after which the run stopped early (kinship above the threshold), or null. */
  stopAt: number | null;
  bands: Band<'learning' | 'saturation'>[];
}

export function seriesFromRecord(rec: EvolveRecord, name: string = rec.strategy): RunSeries {
  const gens = [...rec.generations].sort((a, b) => a.generation - b.generation);
  const points = gens.map((g) => ({
    generation: g.generation,
    best: g.best_average,
    topk: g.topk_average ?? null,
    kinship: g.topk_kinship ?? null,
  }));
  const last = gens[gens.length - 1];
  return {
    name,
    points,
    stopAt: rec.stopped === 'early-stop' && last ? last.generation : null,
    bands: stageBands(gens.filter((g) => g.stage).map((g) => ({ generation: g.generation, stage: g.stage }))),
  };
}
