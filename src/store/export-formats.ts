/**
 * Text formats that carry a merge out of kinmerge into the tools users graduate to:
 * `mergekit_config.yml` (mergekit runs it), a README.md model card (HF Model Tree via base_model +
 * base_model_relation: merge), the kinship matrix as CSV (ids as header and index, like FusionBench),
 * and a whole lineage as mergekit-multi YAML (one named stage per intermediate merge).
 */
import { stringify as stringifyYaml } from 'yaml';
import { recipeToYaml, type MergeRecipe } from '../core/merge/recipe';
import { ExportError } from './errors';

/** Rewrites every model reference of a recipe (library ids -> Hub refs, stage names, paths). */
export function mapRecipeRefs(r: MergeRecipe, ref: (model: string) => string): MergeRecipe {
  const out: MergeRecipe = { ...r };
  if (r.base_model !== undefined) out.base_model = ref(r.base_model);
  if (r.models) out.models = r.models.map((m) => ({ ...m, model: ref(m.model) }));
  if (r.slices) out.slices = [{ ...r.slices[0], sources: r.slices[0].sources.map((s) => ({ ...s, model: ref(s.model) })) }];
  return out;
}

/** YAML mergekit can run to remake the model from the same parents (refs already mapped). */
export function mergekitConfigYaml(r: MergeRecipe, ref: (model: string) => string = (m) => m): string {
  return recipeToYaml(mapRecipeRefs(r, ref));
}

export interface CardInput {
  name: string;
  /** Parent references as the Hub knows them (org/name), in recipe order, base first. */
  baseModels: string[];
  recipe?: MergeRecipe;
  seed?: number;
  /** sha256 of each parent's weights, shown for provenance. */
  parentHashes?: { ref: string; sha256: string[] }[];
  /** Extra lines (e.g. kinship values) under "Notes". */
  notes?: string[];
}

/** A model card in the shape mergekit writes, plus base_model_relation: merge and the kinmerge tag. */
export function modelCard(c: CardInput): string {
  const front = stringifyYaml({
    base_model: c.baseModels,
    base_model_relation: 'merge',
    library_name: 'transformers',
    tags: ['mergekit', 'merge', 'kinmerge'],
  });
  const method = c.recipe?.merge_method;
  const base = c.recipe?.base_model;
  const lines = [
    `---`, front.trimEnd(), `---`,
    `# ${c.name}`, '',
    'This is a merge of pre-trained language models created with kinmerge in the browser; the configuration below runs unchanged in [mergekit](https://github.com/arcee-ai/mergekit).', '',
    '## Merge Details', '',
  ];
  if (method) lines.push('### Merge Method', '', `This model was merged using the ${method} merge method${base ? ` using ${base} as a base` : ''}.`, '');
  lines.push('### Models Merged', '', 'The following models were included in the merge:', '', ...c.baseModels.map((m) => `* ${m}`), '');
  if (c.parentHashes?.length) {
    lines.push('### Parent checksums (sha256 of the weight files)', '');
    for (const p of c.parentHashes) lines.push(`* ${p.ref}: ${p.sha256.join(', ')}`);
    lines.push('');
  }
  if (c.seed !== undefined) lines.push(`Random seed: ${c.seed}`, '');
  if (c.recipe) lines.push('### Configuration', '', 'The following YAML configuration was used to produce this model:', '', '```yaml', recipeToYaml(c.recipe).trimEnd(), '```', '');
  if (c.notes?.length) lines.push('### Notes', '', ...c.notes, '');
  return lines.join('\n');
}

const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Kinship matrix as CSV: model ids as the header and as the first column (index), values as given. */
export function kinshipCsv(ids: string[], matrix: ArrayLike<number>[], digits = 6): string {
  if (matrix.length !== ids.length || Array.from(matrix).some((row) => row.length !== ids.length)) {
    throw new ExportError('bad-matrix', `The kinship matrix must be ${ids.length}x${ids.length}, one row and column per model id.`);
  }
  const fmt = (v: number): string => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan');
  const rows = [['', ...ids].map(csvCell).join(',')];
  ids.forEach((id, i) => rows.push([csvCell(id), ...Array.from(matrix[i], fmt)].join(',')));
  return rows.join('\n') + '\n';
}

export interface LineageNode {
  /** Library id of the merged model. */
  id: string;
  /** Its display name (becomes the stage name, made unique). */
  name: string;
  /** Its recipe, models referenced by library id. */
  recipe: MergeRecipe;
}

/**
 * A whole lineage as mergekit-multi YAML: one document per merge, `name:` first, in dependency order.
 * A parent that is itself a merge in the lineage is referenced by its stage name; any other parent by
 * `externalRef(id)` (e.g. `org/model@<rev>`).
 */
export function lineageYaml(nodes: LineageNode[], externalRef: (id: string) => string): string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const stage = new Map<string, string>();
  const used = new Set<string>();
  for (const n of nodes) {
    let s = n.name.trim().replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'merge';
    for (let k = 2; used.has(s); k++) s = `${s.replace(/-\d+$/, '')}-${k}`;
    used.add(s);
    stage.set(n.id, s);
  }
  const order: LineageNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: LineageNode): void => {
    if (state.get(n.id) === 'done') return;
    if (state.get(n.id) === 'visiting') throw new ExportError('lineage-cycle', `The lineage has a cycle through ${n.name}; a model cannot be its own ancestor.`);
    state.set(n.id, 'visiting');
    for (const p of parentsOf(n.recipe)) { const pn = byId.get(p); if (pn) visit(pn); }
    state.set(n.id, 'done');
    order.push(n);
  };
  nodes.forEach(visit);
  const docs = order.map((n) => {
    const body = mergekitConfigYaml(n.recipe, (m) => stage.get(m) ?? externalRef(m));
    return `name: ${stage.get(n.id)}\n${body}`;
  });
  return docs.join('---\n');
}

export function parentsOf(r: MergeRecipe): string[] {
  const refs = new Set<string>();
  if (r.base_model !== undefined) refs.add(r.base_model);
  for (const m of r.models ?? []) refs.add(m.model);
  for (const s of r.slices?.[0].sources ?? []) refs.add(s.model);
  return [...refs];
}
