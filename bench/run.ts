/**
 * `npm run bench`: runs every bench/*.bench.ts module (each exports `run(opts)` returning rows),
 * prints a table and writes bench/results/latest.json. Each module measures its own same-run baseline.
 * Usage: npm run bench [-- --only merge,kinship] [--quick]
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';

export interface BenchRow {
  bench: string;
  case: string;
  /** Main figure and its unit, e.g. 1.2e8 'params/s' or 350 'GB/s'. */
  value: number;
  unit: string;
  seconds?: number;
  baseline?: string;
  extra?: Record<string, unknown>;
}
export interface BenchOptions { quick: boolean }

const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only='))?.slice(7) ?? (args.includes('--only') ? args[args.indexOf('--only') + 1] : ''))
  .split(',').filter(Boolean);
const quick = args.includes('--quick');
const dir = new URL('.', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')));

const rows: BenchRow[] = [];
for (const f of files) {
  const mod = await import(join(dir, f));
  console.error(`# ${f}`);
  rows.push(...(await mod.run({ quick } satisfies BenchOptions)));
}
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
mkdirSync(join(dir, 'results'), { recursive: true });
const out = { date: new Date().toISOString(), machine, rows };
writeFileSync(join(dir, 'results', 'latest.json'), JSON.stringify(out, null, 2));
console.log('| bench | case | value | unit | seconds | baseline |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.bench} | ${r.case} | ${r.value.toPrecision(4)} | ${r.unit} | ${r.seconds?.toFixed(3) ?? ''} | ${r.baseline ?? ''} |`);
console.log(JSON.stringify(out));
