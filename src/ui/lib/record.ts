/**
 * Checks files a user opens in the playground: an evolution record (`kinmerge evolve --json`, the
 * shape of src/evolve/types.ts EvolveRecord) and a kinship matrix. Only the fields the views draw are
 * checked, each with a message naming the field, so a hand-edited or truncated file fails readably.
 */
import { KinmergeError } from '../../core/errors.ts';
import type { EvolveRecord } from '../../evolve/types.ts';
import type { Metric } from './color.ts';

export class RecordFileError extends KinmergeError {
  constructor(message: string) {
    super('record-file', message);
    this.name = 'RecordFileError';
  }
}

export interface KinshipMatrixData {
  metric: Metric;
  models: string[];
  /** matrix[i][j] = kinship of models i and j; null where undefined (a zero task vector). */
  matrix: (number | null)[][];
}

type O = Record<string, unknown>;
const bad = (what: string): never => { throw new RecordFileError(`This file is not a kinmerge evolution record: ${what}. Open the JSON written by "kinmerge evolve --json" or the Export button.`); };
const isObj = (v: unknown): v is O => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown) => v === null || num(v);

export function parseEvolveRecord(v: unknown): EvolveRecord {
  if (!isObj(v)) bad('it is not a JSON object');
  const o = v as O;
  if (!['greedy', 'kinship', 'random'].includes(o.strategy as string)) bad('"strategy" must be greedy, kinship or random');
  if (!Array.isArray(o.models) || o.models.length === 0) bad('"models" must be a non-empty list');
  if (!Array.isArray(o.generations)) bad('"generations" must be a list');
  const ids = new Set<string>();
  (o.models as unknown[]).forEach((m, i) => {
    if (!isObj(m)) bad(`models[${i}] is not an object`);
    const r = m as O;
    if (typeof r.id !== 'string' || r.id === '') bad(`models[${i}].id must be a non-empty string`);
    if (ids.has(r.id as string)) bad(`model id "${r.id}" appears twice`);
    ids.add(r.id as string);
    if (!Array.isArray(r.parents) || !r.parents.every((p) => typeof p === 'string')) bad(`models[${i}].parents must be a list of ids`);
    if (!Number.isInteger(r.generation)) bad(`models[${i}].generation must be an integer`);
    if (!num(r.average)) bad(`models[${i}].average must be a number`);
    if (r.gain !== undefined && !numOrNull(r.gain)) bad(`models[${i}].gain must be a number or null`);
    if (r.parent_kinship !== undefined && !numOrNull(r.parent_kinship)) bad(`models[${i}].parent_kinship must be a number or null`);
  });
  for (const m of o.models as O[]) for (const p of m.parents as string[]) if (!ids.has(p)) bad(`model "${m.id}" names a parent "${p}" that is not in the record`);
  (o.generations as unknown[]).forEach((g, i) => {
    if (!isObj(g)) bad(`generations[${i}] is not an object`);
    const r = g as O;
    if (!Number.isInteger(r.generation)) bad(`generations[${i}].generation must be an integer`);
    if (!num(r.best_average)) bad(`generations[${i}].best_average must be a number`);
    if (r.topk_average !== undefined && !num(r.topk_average)) bad(`generations[${i}].topk_average must be a number`);
    if (r.topk_kinship !== undefined && !numOrNull(r.topk_kinship)) bad(`generations[${i}].topk_kinship must be a number or null`);
    if (r.stage !== undefined && r.stage !== 'learning' && r.stage !== 'saturation') bad(`generations[${i}].stage must be learning or saturation`);
  });
  return v as unknown as EvolveRecord;
}

export function parseKinshipMatrix(v: unknown): KinshipMatrixData {
  const no = (what: string): never => { throw new RecordFileError(`This file is not a kinship matrix: ${what}. Expected {"metric": "pcc"|"cs"|"cs_abs"|"ed", "models": [names], "matrix": [[numbers]]}.`); };
  if (!isObj(v)) no('it is not a JSON object');
  const o = v as O;
  if (!['pcc', 'cs', 'cs_abs', 'ed'].includes(o.metric as string)) no('"metric" must be pcc, cs, cs_abs or ed');
  if (!Array.isArray(o.models) || !o.models.every((m) => typeof m === 'string')) no('"models" must be a list of names');
  const n = (o.models as string[]).length;
  if (n === 0 || n > 256) no('"models" must list 1 to 256 models');
  if (!Array.isArray(o.matrix) || o.matrix.length !== n) no(`"matrix" must have ${n} rows`);
  (o.matrix as unknown[]).forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) no(`matrix row ${i} must have ${n} values`);
    if (!(row as unknown[]).every(numOrNull)) no(`matrix row ${i} has a value that is not a number or null`);
  });
  return o as unknown as KinshipMatrixData;
}
