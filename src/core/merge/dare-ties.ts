/** DARE (TIES): bernoulli sparsification, sign consensus, normalize defaults to false. */
import { makeGtaMethod } from './gta';

export const dareTies = makeGtaMethod({
  name: 'dare_ties',
  prettyName: 'DARE (TIES)',
  anchor: 'dare',
  sparsify: 'bernoulli',
  consensus: true,
  normalize: false,
});
