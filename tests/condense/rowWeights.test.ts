/**
 * Learned row weights (`rowWeights`, issue 11 deliverable 4): the log weights as m more parameters
 * of the zero-order steps, their box and per-stratum normalisation, the objective's use of them,
 * the `weight` column of the release (written and read back) and the learners' use of it in
 * evaluation.
 */
import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { DataError } from '../../src/data/errors.js';
import { formatTableCsv } from '../../src/data/format.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { subsetTable, tableTarget, weightColumnName, type Table } from '../../src/data/table.js';
import type { DatasetCard } from '../../src/data/card.js';
import { condense } from '../../src/condense/condense.js';
import { EVALUATION_DESIGNS, fitAndScore } from '../../src/condense/evaluation.js';
import { PerRecordLoss, type LossSpec } from '../../src/condense/objective.js';
import { LOG_ROW_WEIGHT_BOUND, SyntheticParameters, initialiseUniform, stratumOfRows } from '../../src/condense/syntheticSet.js';
import { InlineDirectionEvaluator } from '../../src/condense/zerothOrder.js';
import { fitDesign } from '../../src/data/design.js';
import { createLearner } from '../../src/models/registry.js';
import type { ClassificationTarget } from '../../src/models/types.js';
import { dataset } from './helpers.js';

/** Mean of `w` over each stratum's rows. */
function stratumMeans(w: Float64Array, strata: Int32Array): number[] {
  const sums: number[] = [];
  const counts: number[] = [];
  strata.forEach((s, i) => {
    sums[s] = (sums[s] ?? 0) + w[i];
    counts[s] = (counts[s] ?? 0) + 1;
  });
  return sums.map((v, s) => v / counts[s]);
}

describe('SyntheticParameters with row weights', () => {
  it('appends m log weights (start 0: weight 1), clamps them to ±log 4 and normalises the weights to mean 1 per stratum', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const y = Uint8Array.of(0, 0, 0, 0, 1, 1, 1);
    const strata = stratumOfRows(Int32Array.of(4, 3));
    expect(Array.from(strata)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 7, new SeededRng(3)), { task: 'classification', y }, undefined, strata);
    const offset = 7 * encoder.dim;
    expect(synthetic.size).toBe(offset + 7);
    expect(synthetic.perRowBlocks).toBe(1);
    expect(Array.from(synthetic.weightsOf(synthetic.values)!)).toEqual([1, 1, 1, 1, 1, 1, 1]);

    const values = synthetic.values.slice();
    values.set([10, -10, 0.5, 0, -0.2, 0.3, 0], offset);
    // A perturbed vector outside the box is read as if clamped; `project` clamps it in place.
    const w = Float64Array.from(synthetic.weightsOf(values)!);
    synthetic.project(values);
    expect(values[offset]).toBe(LOG_ROW_WEIGHT_BOUND);
    expect(values[offset + 1]).toBe(-LOG_ROW_WEIGHT_BOUND);
    expect(Array.from(synthetic.weightsOf(values)!)).toEqual(Array.from(w));
    for (const mean of stratumMeans(w, strata)) expect(mean).toBeCloseTo(1, 12);
    // Raw weights e^a with a in ±log 4: within a stratum no row counts more than 16 times another.
    expect(w[0] / w[1]).toBeCloseTo(16, 12);
    expect(w[0] / w[2]).toBeCloseTo(4 / Math.exp(0.5), 12);
    // The encoded rows are untouched by the weights.
    const X = matrix(7, encoder.dim);
    expect(synthetic.materialise(values, X)).toEqual({ task: 'classification', y });

    // A worker rebuilds the same weights from the state.
    const copy = SyntheticParameters.fromState(synthetic.toState());
    expect(copy.size).toBe(synthetic.size);
    expect(Array.from(copy.weightsOf(values)!)).toEqual(Array.from(w));
  });

  it('without row weights there is no weight block and no weights', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 4, new SeededRng(2)), { task: 'classification', y: Uint8Array.of(0, 0, 1, 1) });
    expect(synthetic.size).toBe(4 * encoder.dim);
    expect(synthetic.weightsOf(synthetic.values)).toBeUndefined();
  });

  it('the objective trains on the weights: moving one log weight alone changes the per-record losses', async () => {
    const { train, card } = await dataset('pima');
    const encoder = new Encoder(card);
    const realX = encoder.encode(train, { missing: 'impute' });
    encoder.project(realX);
    const m = 12;
    const y = new Uint8Array(m).fill(1, 6);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, m, new SeededRng(4)), { task: 'classification', y }, undefined, stratumOfRows(Int32Array.of(6, 6)));
    const spec: LossSpec = { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    const b = 60;
    const batchX = matrix(b, realX.cols, realX.data.slice(0, b * realX.cols));
    const batchTarget = { task: 'classification' as const, y: train.label!.slice(0, b) };
    // One direction along row 0's log weight only: with the weights ignored, ℓ(θ + μu) = ℓ(θ − μu) exactly.
    const directions = new Float64Array(synthetic.size);
    directions[m * encoder.dim] = 1;
    for (const name of ['logistic', 'cart']) {
      const evaluator = new InlineDirectionEvaluator(synthetic, new PerRecordLoss([{ name, task: 'classification', params: {} }], spec, b), 1, b);
      const { differences } = evaluator.evaluateNow({ parameters: synthetic.values.slice(), directions, seeds: Int32Array.of(7), smoothing: 1, batchX, batchTarget });
      expect(differences.some((d) => d !== 0), name).toBe(true);
    }
  });
});

describe('the weight column of a table', () => {
  const card: DatasetCard = {
    name: 'toy',
    task: 'classification',
    label: 'y',
    positive: 1,
    features: [
      { name: 'age', type: 'numeric', bounds: [0, 120] },
      { name: 'sex', type: 'binary', categories: ['f', 'm'] },
    ],
  } as DatasetCard;
  const text = 'age,sex,y,weight\n30,f,0,0.5\n40.5,m,1,1.25\n50,m,1,2.25\n';

  it('is written after the outcome and read back into table.weight; without the option it is an ignored column', () => {
    const { table, report } = readTableFromTextSync(text, card, { source: 'toy.csv', weightColumn: weightColumnName(card) });
    expect(Array.from(table.weight!)).toEqual([0.5, 1.25, 2.25]);
    expect(report.ignoredColumns).toEqual([]);
    expect(formatTableCsv(table)).toBe(text);
    const plain = readTableFromTextSync(text, card, { source: 'toy.csv' });
    expect(plain.table.weight).toBeUndefined();
    expect(plain.report.ignoredColumns).toEqual(['weight']);
    expect(formatTableCsv(plain.table)).toBe('age,sex,y\n30,f,0\n40.5,m,1\n50,m,1\n');
  });

  it('is named so that it never clashes with a column of the card', () => {
    const withWeight = { ...card, features: [...card.features, { name: 'weight', type: 'numeric', bounds: [0, 300] }] } as DatasetCard;
    expect(weightColumnName(card)).toBe('weight');
    expect(weightColumnName(withWeight)).toBe('_weight');
  });

  it('a weight that is not a finite number ≥ 0 is an error naming the file, row and column', () => {
    for (const bad of ['-1', 'abc', '', 'inf']) {
      const input = `age,sex,y,weight\n30,f,0,1\n40,m,1,${bad}\n`;
      expect(() => readTableFromTextSync(input, card, { source: 'toy.csv', weightColumn: 'weight' })).toThrow(DataError);
      expect(() => readTableFromTextSync(input, card, { source: 'toy.csv', weightColumn: 'weight' })).toThrow(/toy\.csv.*row 2.*weight|weight.*row 2/s);
    }
  });
});

describe('evaluation of a weighted table', () => {
  it('fits the learners with the table weights (as a direct weighted fit does), which changes their predictions', async () => {
    const { train, test } = await dataset('pima');
    const rows = Int32Array.from({ length: 40 }, (_, i) => i * 7);
    const small = subsetTable(train, rows);
    const weight = Float64Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 3 : 0.5));
    const weighted: Table = { ...small, weight };
    // A depth-2 tree: its leaves are mixed, so weights move its probabilities (a deep tree's pure leaves would not show them).
    for (const [name, params] of [['logistic', {}], ['cart', { maxDepth: 2 }]] as const) {
      const plain = fitAndScore(small, test, name, new SeededRng(1), params).scores;
      const got = fitAndScore(weighted, test, name, new SeededRng(1), params).scores;
      expect(Array.from(got), name).not.toEqual(Array.from(plain));
      const design = fitDesign(small, EVALUATION_DESIGNS.classification);
      const learner = createLearner(name, params, new SeededRng(1));
      if (learner.task !== 'classification') throw new Error('classification learner expected');
      const direct = learner.fit(design.transform(small), tableTarget(small) as ClassificationTarget, weight).predictProba(design.transform(test));
      expect(Array.from(got), name).toEqual(Array.from(direct));
    }
  });
});

describe('condense with rowWeights', () => {
  const RUN = { rows: 12, epsilon: 3, steps: 30, directions: 4, seed: 3 };

  it('releases m rows with a weight per row (mean 1 per class, within the box), says so in the receipt, and spends the same ε', async () => {
    const { train } = await dataset('pima');
    const plain = await condense({ train, ...RUN });
    const run = await condense({ train, ...RUN, rowWeights: true });
    const w = run.synthetic.weight!;
    expect(run.synthetic.nRows).toBe(12);
    expect(w.length).toBe(12);
    const strata = Int32Array.from(run.synthetic.label!);
    for (const mean of stratumMeans(w, strata)) expect(mean).toBeCloseTo(1, 12);
    const bound = Math.exp(2 * LOG_ROW_WEIGHT_BOUND);
    for (const v of w) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(bound);
    }
    expect(new Set(w).size).toBeGreaterThan(1); // the steps moved them
    expect(run.receipt.parameters.rowWeights).toBe(true);
    expect(run.settings.rowWeights).toBe(true);
    expect(formatTableCsv(run.synthetic).split('\n')[0].endsWith(',diabetes,weight')).toBe(true);
    // More parameters of the same mechanism: the same ledger.
    expect(run.receipt.entries).toEqual(plain.receipt.entries);
    expect(run.receipt.epsilon).toBe(plain.receipt.epsilon);
    // The default is unchanged: no weights, no receipt entry.
    expect(plain.synthetic.weight).toBeUndefined();
    expect('rowWeights' in plain.receipt.parameters).toBe(false);
  });
});
