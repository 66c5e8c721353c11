/**
 * Every shipped zoo model scored in Node (ORT wasm), checked against the scores the Python generator
 * wrote into each model card, and against the browser's scores when the browser test has run.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeAssetReader } from '../../src/eval/node-assets';
import { cardScores, comparable, RECORD_PATH, scoreZoo, type ZooScoreRecord } from './zoo-scores';

const ROOT = process.env.KINMERGE_ASSETS ?? 'public';
const zooReady = existsSync(join(ROOT, 'zoo', 'index.json'));

describe.skipIf(!zooReady)('zoo evaluation in Node', () => {
  it('scores every model; equal to the generator\'s (torch) scores and to the browser\'s', async () => {
    const record = await scoreZoo(nodeAssetReader(ROOT), 'node', (m, scores) => {
      const card = join(ROOT, 'zoo', m.path, 'README.md');
      if (!existsSync(card)) return;
      const text = readFileSync(card, 'utf8');
      const py = cardScores(text);
      if (text.includes('exact_match')) expect(Object.keys(py).length, `${m.name}: model card scores not parsed`).toBeGreaterThan(0);
      for (const [skill, v] of Object.entries(py)) expect(scores[skill], `${m.name} ${skill} vs its model card`).toBeCloseTo(v, 4);
    });
    mkdirSync(dirname(RECORD_PATH.node), { recursive: true });
    writeFileSync(RECORD_PATH.node, JSON.stringify(record, null, 1));
    if (existsSync(RECORD_PATH.browser)) {
      const other = JSON.parse(readFileSync(RECORD_PATH.browser, 'utf8')) as ZooScoreRecord;
      for (const [a, b] of comparable(record, other)) expect(a.scores, `${a.model}: Node vs browser`).toEqual(b.scores);
    }
  }, 300_000);
});
