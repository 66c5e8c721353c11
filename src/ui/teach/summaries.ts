/**
 * One computed sentence per teaching step, read off the step's real result (pure, tested in Node in
 * test/ui/teach-summaries.test.ts). The step texts in steps.ts say what to look for; these say what the
 * zoo actually showed.
 */
import type { LayerChange } from '../../evolve/analysis.ts';
import type { EvolveRecord } from '../../evolve/types.ts';
import { fmt } from '../lib/scale.ts';
import { earlyStopped, mergeCount } from './early-stop.ts';
import { TeachStepError } from './sweep.ts';

const pct = (x: number) => `${fmt(100 * x, 1)}%`;
/** A score difference in plain decimals: fmt's exponent form reads badly in a sentence. */
const diff = (x: number) => (x !== 0 && Math.abs(x) < 1e-3 ? x.toFixed(4) : fmt(x));

/** The foundation to run from: the preferred experts the zoo has, topped up with its first others. */
export function pickFoundation(preferred: readonly string[], experts: readonly string[], n = preferred.length): string[] {
  if (experts.length < 2) throw new TeachStepError('teach-few-experts', `This step needs at least two experts in the zoo, and it has ${experts.length}. Reload to fetch the demo zoo again.`);
  const have = preferred.filter((m) => experts.includes(m));
  for (const e of experts) if (have.length < n && !have.includes(e)) have.push(e);
  // Keep the zoo's order, as the Evolve view and the CLI's --models do.
  return experts.filter((e) => have.includes(e)).slice(0, Math.max(2, n));
}

/** Where the task vector's squared norm sits across layer groups. */
export function taskVectorSentence(layers: readonly LayerChange[]): string {
  const total = layers.reduce((s, l) => s + l.l2 * l.l2, 0);
  if (!(total > 0)) return 'This expert equals the base: its task vector is zero everywhere.';
  const ranked = [...layers].sort((a, b) => b.l2 - a.l2);
  const top = ranked.slice(0, Math.min(3, ranked.length));
  const share = top.reduce((s, l) => s + l.l2 * l.l2, 0) / total;
  return `The largest change is in ${ranked[0].group} (${pct((ranked[0].l2 * ranked[0].l2) / total)} of the squared size); the ${top.length} largest of ${layers.length} groups hold ${pct(share)}.`;
}

/** Mean kinship among the experts, their closest pair, and the strangers' mean kinship to them. */
export function kinshipSentence(models: readonly string[], matrix: readonly (readonly (number | null)[])[], metric: string, strangers: readonly string[]): string {
  const experts = models.map((m, i) => [m, i] as const).filter(([m]) => !strangers.includes(m));
  let sum = 0, n = 0, best: { a: string; b: string; v: number } | null = null;
  for (let x = 0; x < experts.length; x++) for (let y = x + 1; y < experts.length; y++) {
    const v = matrix[experts[x][1]]?.[experts[y][1]] ?? null;
    if (v === null) continue;
    sum += v; n++;
    if (!best || v > best.v) best = { a: experts[x][0], b: experts[y][0], v };
  }
  const parts: string[] = [];
  if (n > 0 && best) parts.push(`The experts' mean pairwise ${metric} is ${fmt(sum / n)}; the closest pair is ${best.a} and ${best.b} (${fmt(best.v)})`);
  for (const s of strangers) {
    const i = models.indexOf(s);
    const vs = experts.map(([, j]) => matrix[i]?.[j] ?? null).filter((v): v is number => v !== null);
    if (i >= 0 && vs.length > 0) parts.push(`${s} averages ${fmt(vs.reduce((a, b) => a + b, 0) / vs.length)} with them`);
  }
  return parts.length > 0 ? `${parts.join('; ')}.` : `No ${metric} value is defined between these models.`;
}

/**
 * When the best score stopped rising, and where the top-k kinship went meanwhile. "Rising" is the loop's
 * own stage rule (a generation is 'learning' while the best gained more than config.learningEps), so
 * gains of a few hundredths in saturation read as the plateau they are.
 */
export function stallSentence(rec: EvolveRecord): string {
  const gens = [...rec.generations].sort((a, b) => a.generation - b.generation);
  if (gens.length === 0) return 'The run has not finished a generation yet.';
  const first = gens[0], last = gens.at(-1)!;
  const learning = gens.filter((g) => g.stage === 'learning').at(-1);
  const kin = (v: number | null) => (v === null ? 'undefined' : fmt(v, 2));
  const trend = `the top-${rec.config.k} kinship went from ${kin(first.topk_kinship)} to ${kin(last.topk_kinship)}`;
  if (!learning || learning.generation < last.generation) {
    const from = learning ?? first;
    const rest = last.generation - from.generation;
    return `After generation ${from.generation} (best ${fmt(from.best_average)}) the best average gained only ${diff(last.best_average - from.best_average)} in ${rest} more generation${rest === 1 ? '' : 's'}, while ${trend}.`;
  }
  return `The best average was still rising at generation ${last.generation} (${fmt(last.best_average)}), while ${trend}.`;
}

/** Greedy against kinship-guided, and what early stopping at the threshold keeps of the kinship run. */
export function compareSentence(greedy: EvolveRecord, kinship: EvolveRecord, threshold: number): string {
  const early = earlyStopped(kinship, threshold);
  const d = kinship.best.average - greedy.best.average;
  const vs = d > 0 ? `${diff(d)} above` : d < 0 ? `${diff(-d)} below` : 'level with';
  const all = mergeCount(kinship), kept = mergeCount(early);
  const stop = early.stopped === 'early-stop'
    ? `Early stopping at ${threshold} would end it after generation ${early.generations.at(-1)!.generation} with best ${fmt(early.best.average)}, saving ${all - kept} of ${all} merges.`
    : `Its top-k kinship never passed ${threshold} before it ended, so early stopping saves nothing here.`;
  return `Kinship-guided best ${fmt(kinship.best.average)} is ${vs} greedy (${fmt(greedy.best.average)}). ${stop}`;
}
