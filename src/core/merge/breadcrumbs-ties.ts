/** Model Breadcrumbs (TIES): outliers sparsification, sign consensus, normalize defaults to false. */
import { makeGtaMethod } from './gta';

export const breadcrumbsTies = makeGtaMethod({
  name: 'breadcrumbs_ties',
  prettyName: 'Model Breadcrumbs (TIES)',
  anchor: 'model-breadcrumbs',
  sparsify: 'outliers',
  consensus: true,
  normalize: false,
});
