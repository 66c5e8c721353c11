/** DARE (linear): bernoulli sparsification, no consensus, normalize defaults to false. */
import { makeGtaMethod } from './gta';

export const dareLinear = makeGtaMethod({
  name: 'dare_linear',
  prettyName: 'DARE (linear)',
  anchor: 'dare',
  sparsify: 'bernoulli',
  consensus: false,
  normalize: false,
});
