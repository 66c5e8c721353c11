/**
 * The guided walkthrough, as data. Each step names the view it shows, the controls it hides to keep
 * the page simple, and the engine action it runs on the real demo zoo. The actions are declarations;
 * session.svelte.ts runs them through the engine (nothing here is a result).
 */
import type { ControlId } from './controls.ts';
import type { ViewId } from '../share/schema.ts';

/**
 * The runs of the last two steps: a small starting set and a short cap keep a run within a minute or
 * two in a browser tab. `foundation` is a preference: experts the zoo lacks fall back to its first ones.
 */
export interface TeachRunSpec { foundation: string[]; maxGen: number; seed: number }

export type TeachAction =
  | { kind: 'task-vector'; model: 'first-expert' }
  | { kind: 'kinship'; metric: 'pcc' | 'cs' }
  | { kind: 'slerp-sweep'; t: number[] }
  | ({ kind: 'evolve'; strategy: 'greedy' | 'kinship'; stopKinship: number | null } & TeachRunSpec)
  | ({ kind: 'compare'; strategies: ('greedy' | 'kinship')[]; stopKinship: number } & TeachRunSpec);

/**
 * Three experts whose top-k grows alike within a few generations, so greedy visibly stalls and
 * exploration has room to matter (docs/RESULTS.md); the page computes everything it shows.
 */
const RUN: TeachRunSpec = { foundation: ['expert-shift', 'expert-inc', 'expert-last'], maxGen: 4, seed: 0 };

export interface TeachStep {
  /** Part of the share-link format (a link's `teach` field names it): never rename one, only add. */
  id: TeachStepId;
  title: string;
  /** Paragraphs of plain text. */
  body: string[];
  view: ViewId;
  action: TeachAction;
  /** What the learner should look for after the action ran. */
  lookFor: string;
  hide: ControlId[];
}

/** The steps' ids in order; a share link may name one to open the Teach view at that step. */
export const TEACH_STEP_IDS = ['task-vector', 'kinship', 'slerp', 'greedy-stalls', 'exploration'] as const;
export type TeachStepId = (typeof TEACH_STEP_IDS)[number];

export const TEACH_STEPS: readonly TeachStep[] = [
  {
    id: 'task-vector',
    title: 'What a task vector is',
    body: [
      'Every expert in the zoo was fine-tuned from the same base model. Subtract the base weights from the expert weights and what is left is the task vector: the direction training moved the model in to learn its skill.',
      'Merging is arithmetic on these vectors. Adding two task vectors to the base can give a model with both skills, as long as the vectors do not fight each other.',
    ],
    view: 'library',
    action: { kind: 'task-vector', model: 'first-expert' },
    lookFor: 'The per-layer size of the task vector: most of the change sits in a few layers.',
    hide: ['library.import', 'library.delete', 'library.export'],
  },
  {
    id: 'kinship',
    title: 'What kinship measures',
    body: [
      'Model kinship compares two task vectors: the Pearson correlation (pcc) or cosine of the angle between them. Near 1 means the two models moved the same way; near 0 means unrelated changes.',
      'Kinship is computed in one streaming pass over the weights, without running the models.',
    ],
    view: 'kinship',
    action: { kind: 'kinship', metric: 'pcc' },
    lookFor: 'Which experts are close relatives (warm cells) and which are strangers (pale or blue cells).',
    hide: ['kinship.drilldown', 'kinship.csv'],
  },
  {
    id: 'slerp',
    title: 'What SLERP does',
    body: [
      'SLERP walks along the arc between two models instead of the straight line, which keeps the size of the weights from shrinking halfway. The parameter t says how far to walk: t = 0 is the first parent, t = 1 the second.',
      't can change across layers: the paper uses one gradient for attention and the reverse for the MLP layers.',
    ],
    view: 'merge',
    action: { kind: 'slerp-sweep', t: [0, 0.25, 0.5, 0.75, 1] },
    lookFor: 'How each skill score moves as t goes from one parent to the other, and where the merged model beats both.',
    hide: ['merge.export'],
  },
  {
    id: 'greedy-stalls',
    title: 'Why greedy merging stalls',
    body: [
      'The greedy loop keeps the best k models and merges every new pair of them. Each generation the survivors become more alike, because they share parents.',
      'Once the top-k models are close kin, merging them only averages near-copies: the score stops rising. Kinship shows this before the scores do.',
    ],
    view: 'evolve',
    action: { kind: 'evolve', strategy: 'greedy', stopKinship: null, ...RUN },
    lookFor: 'The best score flattening (saturation band) while the top-k kinship curve climbs towards 1.',
    hide: ['evolve.strategy', 'evolve.threshold', 'evolve.seed'],
  },
  {
    id: 'exploration',
    title: 'What exploration changes',
    body: [
      'The kinship strategy adds one merge per generation: the best model with the model least related to it. That brings in directions the top-k had lost.',
      'Early stopping ends the run when the top-k kinship passes a threshold, saving merges that would not help.',
    ],
    view: 'evolve',
    action: { kind: 'compare', strategies: ['greedy', 'kinship'], stopKinship: 0.9, ...RUN },
    lookFor: 'The kinship run escaping the plateau (diamond nodes in the tree are exploration merges) and the early-stop marker.',
    hide: ['evolve.seed'],
  },
];

/** Index of a step in TEACH_STEPS; 0 (the first step) when no step is named. */
export function stepIndex(id: TeachStepId | undefined): number {
  return id === undefined ? 0 : Math.max(0, TEACH_STEPS.findIndex((s) => s.id === id));
}
