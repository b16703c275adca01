import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { compareOnHeldOut, percentileInterval } from '../../src/condense/evaluation.js';
import { parseCard } from '../../src/data/card.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { drawHoldout, parseSplitDocument, splitDocument } from '../../src/data/split.js';
import { splitTable } from '../../src/data/table.js';
import { CLINIC_CARD, clinicCsv } from '../fixtures/ownData.js';

const card = parseCard(CLINIC_CARD);
const { table } = readTableFromTextSync(clinicCsv({ rows: 400 }), card, { source: 'clinic.csv' });

describe('held-out split', () => {
  it('holds out each row with the given probability, reproducibly for a seed', () => {
    const a = drawHoldout(table, 0.25, new SeededRng(4), 'clinic.csv');
    expect(Array.from(a)).toEqual(Array.from(drawHoldout(table, 0.25, new SeededRng(4), 'clinic.csv')));
    expect(Array.from(a)).not.toEqual(Array.from(drawHoldout(table, 0.25, new SeededRng(5), 'clinic.csv')));
    // Binomial(400, 0.25): mean 100, sd 8.7.
    expect(a.length).toBeGreaterThan(70);
    expect(a.length).toBeLessThan(130);
    for (let k = 1; k < a.length; k++) expect(a[k]).toBeGreaterThan(a[k - 1]);
  });

  it('refuses a split whose test side has no metric, naming the file', () => {
    expect(() => drawHoldout(table, 0.001, new SeededRng(1), 'clinic.csv')).toThrow(/clinic\.csv: the held-out rows have a single class/);
    expect(() => drawHoldout(table, 0.999, new SeededRng(1), 'clinic.csv')).toThrow(/training row/);
  });

  it('a saved split only applies to its own file', () => {
    const test = drawHoldout(table, 0.2, new SeededRng(2), 'clinic.csv');
    const doc = JSON.parse(JSON.stringify(splitDocument(test, { source: 'clinic.csv', sha256: 'ab', rows: 400, holdout: 0.2, seed: 2 })));
    expect(Array.from(parseSplitDocument(doc, 's.json', { rows: 400, sha256: 'ab' }))).toEqual(Array.from(test));
    expect(() => parseSplitDocument(doc, 's.json', { rows: 400, sha256: 'cd' })).toThrow(/s\.json: the split was made from a different file/);
    expect(() => parseSplitDocument(doc, 's.json', { rows: 401 })).toThrow(/400-row file/);
    expect(() => parseSplitDocument({ test: [1, 1] }, 's.json', { rows: 5 })).toThrow(/listed twice/);
    expect(() => parseSplitDocument({ test: [5] }, 's.json', { rows: 5 })).toThrow(/not a row/);
  });
});

describe('compareOnHeldOut', () => {
  const { train, test } = splitTable(table, drawHoldout(table, 0.3, new SeededRng(9), 'clinic.csv'));

  it('a "synthetic" table equal to the training rows has gap exactly 0 with a zero-width interval', () => {
    const c = compareOnHeldOut({ synthetic: train, train, test, learners: ['logistic'], replicates: 100 });
    const row = c.rows[0];
    expect(row.gap).toEqual({ estimate: 0, low: 0, high: 0 });
    expect(row.synthetic).toEqual(row.full);
    expect(c.subsetRows).toBe(train.nRows);
  });

  it('reports the three training tables on the same test rows with intervals around their estimates', () => {
    const tiny = splitTable(train, Int32Array.from({ length: 20 }, (_, i) => i)).test;
    const c = compareOnHeldOut({ synthetic: tiny, train, test, learners: ['logistic', 'cart'], replicates: 200, seed: 3 });
    expect(c).toMatchObject({ metric: 'auroc', syntheticRows: 20, subsetRows: 20, trainRows: train.nRows, testRows: test.nRows, subsets: 5 });
    for (const row of c.rows) {
      for (const i of [row.synthetic, row.full, row.subset, row.gap]) {
        expect(i.low).toBeLessThanOrEqual(i.estimate + 1e-12);
        expect(i.high).toBeGreaterThanOrEqual(i.estimate - 1e-12);
      }
      // Bootstrap sd of an AUROC on ~120 patients is a few hundredths: a 95% interval is 0.05–0.4 wide.
      expect(row.full.high - row.full.low).toBeGreaterThan(0.05);
      expect(row.full.high - row.full.low).toBeLessThan(0.4);
    }
    expect(c.rows[0].full.estimate).toBeGreaterThan(0.65);
  });

  it('percentile intervals interpolate order statistics and skip undefined resamples', () => {
    const values = Float64Array.from({ length: 101 }, (_, i) => 100 - i);
    const i = percentileInterval(50, values, 0.9);
    expect(i.low).toBeCloseTo(5, 12);
    expect(i.high).toBeCloseTo(95, 12);
    expect(percentileInterval(1, Float64Array.from([NaN, 1, 3, NaN]), 0.5)).toEqual({ estimate: 1, low: 1.5, high: 2.5 });
  });
});
