/**
 * Stable ids of the controls a teaching link can hide (the tensorflow/playground `hide` pattern).
 * An id is part of the share-link format: never rename one, only add. Hidden controls are not rendered.
 */
export const CONTROL_IDS = [
  'nav.library', 'nav.kinship', 'nav.merge', 'nav.evolve', 'nav.analysis', 'nav.teach',
  'banner.capability', 'share.button',
  'library.import', 'library.delete', 'library.export',
  'kinship.metric', 'kinship.drilldown', 'kinship.csv',
  'merge.parents', 'merge.method', 'merge.params', 'merge.export',
  'evolve.strategy', 'evolve.k', 'evolve.metric', 'evolve.threshold', 'evolve.seed', 'evolve.maxgen',
  'evolve.open', 'evolve.table',
  'analysis.scatter', 'analysis.bars',
] as const;

export type ControlId = (typeof CONTROL_IDS)[number];

const KNOWN = new Set<string>(CONTROL_IDS);
export function isControlId(s: string): s is ControlId {
  return KNOWN.has(s);
}
