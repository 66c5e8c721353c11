/** TIES: magnitude sparsification, sign consensus, normalize defaults to true. */
import { makeGtaMethod } from './gta';

export const ties = makeGtaMethod({
  name: 'ties',
  prettyName: 'TIES',
  anchor: 'ties',
  sparsify: 'magnitude',
  consensus: true,
  normalize: true,
});
