/** Model Breadcrumbs: outliers sparsification, no consensus, normalize defaults to false. */
import { makeGtaMethod } from './gta';

export const breadcrumbs = makeGtaMethod({
  name: 'breadcrumbs',
  prettyName: 'Model Breadcrumbs',
  anchor: 'model-breadcrumbs',
  sparsify: 'outliers',
  consensus: false,
  normalize: false,
});
