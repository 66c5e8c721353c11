// Agreement with ModelKinship's computations (scripts/golden/modelkinship_ref.py, run once with numpy and
// torch; its checkpoints and results are committed under test/golden/kinship/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/core/checkpoint';
import { computeKinship, KINSHIP_METRICS, type KinshipMetric } from '../../src/core/kinship';
import { memorySource } from '../helpers/fixtures';

const DIR = join(__dirname, '..', 'golden', 'kinship');
interface GoldenCase {
  name: string;
  base: string;
  models: string[];
  split: boolean;
  metrics: Record<KinshipMetric, (number | null)[][]>;
}
const golden = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { cases: GoldenCase[] };

const open = (file: string) => openSafetensors(memorySource(readFileSync(join(DIR, 'models', file))), file);

/** 1e-4 relative; near zero the reference's own float32 rounding (~1e-7 absolute) dominates. */
function expectClose(actual: (number | null)[][], expected: (number | null)[][], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  expected.forEach((row, i) =>
    row.forEach((e, j) => {
      const a = actual[i][j];
      const where = `${label}[${i}][${j}]: got ${a}, reference ${e}`;
      if (e === null) expect(a, where).toBeNull();
      else {
        expect(a, where).not.toBeNull();
        expect(Math.abs(a! - e) <= 1e-4 * Math.abs(e) + 2e-7, where).toBe(true);
      }
    }),
  );
}

describe('kinship matches ModelKinship (golden)', () => {
  it('has the expected cases', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of golden.cases) {
    for (const chunkElems of [undefined, 5]) {
      it(`${c.name}${chunkElems ? ` (chunks of ${chunkElems})` : ''}`, async () => {
        const base = await open(c.base);
        const models = await Promise.all(c.models.map(open));
        const r = await computeKinship({ base, models, split: c.split, chunkElems });
        for (const m of KINSHIP_METRICS) expectClose(r.metrics[m]!, c.metrics[m], `${c.name} ${m}`);
        // Every entry that is null has a note naming the metric.
        for (const m of KINSHIP_METRICS) {
          if (r.metrics[m]!.flat().some((v) => v === null)) expect(r.notes.some((n) => n.startsWith(m + ' ') || n.startsWith(m + '['))).toBe(true);
        }
      });
    }
  }
});
