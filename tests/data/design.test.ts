import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBundledDataset } from '../../src/node/bundled.js';
import type { Matrix } from '../../src/core/matrix.js';
import { CLASSIFICATION_DESIGN, SURVIVAL_DESIGN, fitDesign } from '../../src/data/design.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { classificationCard, classificationCsv } from './helpers.js';

const classificationRef = JSON.parse(readFileSync(new URL('../fixtures/reference/classification.json', import.meta.url), 'utf8'));
const survivalRef = JSON.parse(readFileSync(new URL('../fixtures/reference/survival.json', import.meta.url), 'utf8'));

function column(m: Matrix, j: number): number[] {
  return Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j]);
}

describe('fitDesign on small tables', () => {
  const { table } = readTableFromTextSync(classificationCsv(), classificationCard, { source: 't' });

  it('names columns in card order, one-hot or drop-first', () => {
    expect(fitDesign(table, CLASSIFICATION_DESIGN).columnNames).toEqual([
      'age',
      'visits',
      'smoker',
      'stage=I',
      'stage=II',
      'stage=III',
      'code=0',
      'code=1',
      'code=2',
      'marker',
    ]);
    expect(fitDesign(table, SURVIVAL_DESIGN).columnNames).toEqual(['age', 'visits', 'smoker', 'stage=II', 'stage=III', 'code=1', 'code=2', 'marker']);
  });

  it('raw design: values as stored, indicators, NaN for missing', () => {
    const X = fitDesign(table, SURVIVAL_DESIGN).transform(table);
    expect(X.rows).toBe(3);
    expect(column(X, 0)).toEqual([50, 61.5, 33]);
    expect(column(X, 3)).toEqual([0, 0, 1]); // stage=II
    expect(column(X, 4)).toEqual([0, 1, 0]); // stage=III
    expect(Number.isNaN(column(X, 7)[1])).toBe(true);
  });

  it('standardised train columns have mean 0 and population sd 1 after mean imputation', () => {
    const design = fitDesign(table, CLASSIFICATION_DESIGN);
    const X = design.transform(table);
    for (let j = 0; j < X.cols; j++) {
      const v = column(X, j);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      // code=... columns and stage columns vary here; every column of this table does.
      expect(sd).toBeCloseTo(1, 12);
    }
    // The missing marker was imputed with the train mean, i.e. standardised to 0.
    expect(column(X, 9)[1]).toBe(0);
  });

  it('uses statistics of the train table only', () => {
    const train = readTableFromTextSync(classificationCsv(['20,0,no,I,0,0,1', '40,0,no,I,0,2,0']), classificationCard, { source: 't' }).table;
    const design = fitDesign(train, CLASSIFICATION_DESIGN);
    const X = design.transform(table);
    // age: train mean 30, population sd 10.
    expect(column(X, 0)).toEqual([2, 3.15, 0.3]);
    // A constant train column (visits = 0) gets sd 1.
    expect(column(X, 1)).toEqual([2, 0, 10]);
  });

  it('refuses a table with different features', () => {
    const design = fitDesign(table, CLASSIFICATION_DESIGN);
    const other = { ...table, features: table.features.slice(1) };
    expect(() => design.transform(other)).toThrow(/does not have the features/);
  });
});

describe('fitDesign reproduces the reference designs', () => {
  for (const name of ['pima', 'wdbc', 'physionet2012']) {
    it(`${name}: column names and the reference logistic model's test log-loss`, async () => {
      const ref = classificationRef[name].logistic_l2_C1;
      const { train, test } = await loadBundledDataset(name);
      const design = fitDesign(train, CLASSIFICATION_DESIGN);
      expect(design.columnNames).toEqual(ref.features);
      // With the reference coefficients, our test design must give sklearn's test log-loss: this
      // checks imputation, standardisation (train statistics, population sd) and column order.
      const X = design.transform(test);
      const y = test.label!;
      let loss = 0;
      for (let i = 0; i < X.rows; i++) {
        let eta = ref.intercept;
        for (let j = 0; j < X.cols; j++) eta += ref.coef[j] * X.data[i * X.cols + j];
        const p = 1 / (1 + Math.exp(-eta));
        loss -= y[i] ? Math.log(p) : Math.log(1 - p);
      }
      expect(loss / X.rows).toBeCloseTo(ref.test_logloss, 8);
    });
  }

  it('rotterdam: column names and the reference Cox (Breslow) log partial likelihood', async () => {
    const ref = survivalRef.rotterdam;
    const { train } = await loadBundledDataset('rotterdam');
    const design = fitDesign(train, SURVIVAL_DESIGN);
    expect(design.columnNames).toEqual(ref.features);
    const X = design.transform(train);
    const beta: number[] = ref.cox_breslow.coef;
    const eta = Array.from({ length: X.rows }, (_, i) => beta.reduce((s, b, j) => s + b * X.data[i * X.cols + j], 0));
    // Breslow: sum over events of eta_i - log(sum over the risk set {t_j >= t_i} of exp(eta_j)).
    const order = Array.from({ length: X.rows }, (_, i) => i).sort((a, b) => train.time![b] - train.time![a]);
    let loglik = 0;
    let riskSum = 0;
    for (let k = 0; k < order.length; ) {
      const t = train.time![order[k]];
      let end = k;
      while (end < order.length && train.time![order[end]] === t) riskSum += Math.exp(eta[order[end++]]);
      for (let m = k; m < end; m++) if (train.event![order[m]]) loglik += eta[order[m]] - Math.log(riskSum);
      k = end;
    }
    expect(loglik).toBeCloseTo(ref.cox_breslow.loglik, 6);
  });

  it.each(['support', 'metabric'])('%s: design columns in the reference order', async (name) => {
    const { train } = await loadBundledDataset(name);
    const design = fitDesign(train, SURVIVAL_DESIGN);
    // Our support copy names its columns 12 and 13 by their content (the source headers were
    // swapped: datasets/README.md); the reference kept the source names for the same positions.
    const expected = [...survivalRef[name].features].map((f: string) =>
      name === 'support' ? ({ wbc: 'sodium', sodium: 'wbc' } as Record<string, string>)[f] ?? f : f,
    );
    expect(design.columnNames).toEqual(expected);
  });
});
