/**
 * The SLERP sweep of the teaching walkthrough, as pure functions: the recipe for one t, the checks on
 * the t values, the chart lines, and the sentence saying where the child beats both parents (computed
 * from the scores, never written by hand). Tested in Node (test/ui/teach-sweep.test.ts).
 */
import { KinmergeError } from '../../core/errors.ts';
import type { MergeRecipe } from '../../core/merge/recipe.ts';
import type { Scores } from '../../evolve/types.ts';
import { fmt } from '../lib/scale.ts';

/** A teaching step that cannot run as declared (bad t values, too few experts in the zoo...). */
export class TeachStepError extends KinmergeError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'TeachStepError';
  }
}

export interface SweepPoint extends Scores { t: number; id: string }
export interface SweepResult { a: string; b: string; parentA: Scores; parentB: Scores; points: SweepPoint[] }

/** Sorted distinct t values in [0, 1]; anything else is a named error (a step is data and can be edited). */
export function checkSweepT(ts: readonly number[]): number[] {
  if (ts.length === 0) throw new TeachStepError('teach-sweep-empty', 'The SLERP sweep needs at least one t value; list some between 0 and 1.');
  for (const t of ts) {
    if (!Number.isFinite(t) || t < 0 || t > 1) throw new TeachStepError('teach-sweep-t', `SLERP t must be a number between 0 and 1, got ${t}. Fix the step's t list.`);
  }
  return [...new Set(ts)].sort((x, y) => x - y);
}

/** SLERP of a (t = 0 end, also the base_model) and b at one constant t, references as engine ids. */
export function slerpRecipe(a: string, b: string, t: number): MergeRecipe {
  return { merge_method: 'slerp', base_model: a, models: [{ model: a }, { model: b }], parameters: { t } };
}

/** A stable engine id for the child at t, so a rerun replaces it instead of piling up copies. */
export function sweepId(a: string, b: string, t: number): string {
  return `teach-slerp-${a}-${b}-t${t}`;
}

export interface ChartLine { name: string; points: { x: number; y: number }[]; emphasis?: boolean }

/** One line per skill plus the average (emphasised), x = t. */
export function sweepLines(points: readonly SweepPoint[]): ChartLine[] {
  const skills = [...new Set(points.flatMap((p) => Object.keys(p.scores)))];
  return [
    { name: 'average', emphasis: true, points: points.map((p) => ({ x: p.t, y: p.average })) },
    ...skills.map((k) => ({ name: k, points: points.filter((p) => k in p.scores).map((p) => ({ x: p.t, y: p.scores[k] })) })),
  ];
}

/** The t values whose child's average is strictly above both parents' averages. */
export function sweepWins(r: SweepResult): SweepPoint[] {
  const bar = Math.max(r.parentA.average, r.parentB.average);
  return r.points.filter((p) => p.average > bar);
}

const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

/** One sentence: where the merge beats both parents on average, and by how much at its best. */
export function sweepSentence(r: SweepResult): string {
  if (r.points.length === 0) return 'The sweep has no points yet.';
  const bar = Math.max(r.parentA.average, r.parentB.average);
  const better = r.parentA.average >= r.parentB.average ? r.a : r.b;
  const best = r.points.reduce((x, y) => (y.average > x.average ? y : x));
  const wins = sweepWins(r);
  if (wins.length === 0) {
    return `No t beats both parents: the best child (t = ${fmt(best.t)}) averages ${fmt(best.average)}, against ${fmt(bar)} for ${better}.`;
  }
  return `The merge beats both parents at t = ${list(wins.map((p) => fmt(p.t)))}: at t = ${fmt(best.t)} it averages ${fmt(best.average)}, ${fmt(best.average - bar)} above ${better} (${fmt(bar)}).`;
}
