/** Task arithmetic: none sparsification, no consensus, normalize defaults to false. */
import { makeGtaMethod } from './gta';

export const taskArithmetic = makeGtaMethod({
  name: 'task_arithmetic',
  prettyName: 'Task arithmetic',
  anchor: 'task-arithmetic',
  sparsify: 'none',
  consensus: false,
  normalize: false,
});
