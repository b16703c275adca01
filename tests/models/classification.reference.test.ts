/**
 * Classification learners against scikit-learn 1.2 on the three bundled classification datasets
 * (tests/fixtures/reference/classification.json): logistic regression exactly (coefficients within
 * 1e-4), tree ensembles by test AUROC within 0.02 of the reference.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledDataset } from '../../src/node/bundled.js';
import type { Matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { CLASSIFICATION_DESIGN, fitDesign } from '../../src/data/design.js';
import { tableTarget } from '../../src/data/table.js';
import { auroc, averagePrecision, brierScore, logLoss } from '../../src/metrics/classification.js';
import { LogisticModel } from '../../src/models/classification/logistic.js';
import { createClassificationLearner as createLearner } from '../../src/models/registry.js';
import type { ClassificationTarget } from '../../src/models/types.js';

const reference = JSON.parse(readFileSync(new URL('../fixtures/reference/classification.json', import.meta.url), 'utf8'));
/** scikit-learn 1.2.1's newton-cg run to convergence on the same design (tools/reference/logistic_converged.py). */
const converged = JSON.parse(readFileSync(new URL('../fixtures/reference/logistic_converged.json', import.meta.url), 'utf8'));
const DATASETS = ['pima', 'wdbc', 'physionet2012'] as const;

interface Prepared {
  Xtrain: Matrix;
  Xtest: Matrix;
  /** Same columns with missing values kept as NaN, unscaled (HistGradientBoosting's input). */
  XtrainRaw: Matrix;
  XtestRaw: Matrix;
  ytrain: ClassificationTarget;
  ytest: Uint8Array;
  columns: string[];
}

const prepared = new Map<string, Prepared>();

beforeAll(async () => {
  for (const name of DATASETS) {
    const ds = await loadBundledDataset(name);
    const design = fitDesign(ds.train, CLASSIFICATION_DESIGN);
    const ytrain = tableTarget(ds.train) as ClassificationTarget;
    const ytest = (tableTarget(ds.test) as ClassificationTarget).y;
    const raw = fitDesign(ds.train, { categorical: 'one-hot', impute: 'none', standardise: false });
    prepared.set(name, {
      Xtrain: design.transform(ds.train),
      Xtest: design.transform(ds.test),
      XtrainRaw: raw.transform(ds.train),
      XtestRaw: raw.transform(ds.test),
      ytrain,
      ytest,
      columns: design.columnNames,
    });
  }
});

/** The reference objective Σ logloss_i + ½||β||² and its gradient, computed independently of the learner. */
function objectiveAndGradient(X: Matrix, y: Uint8Array, coef: Float64Array, intercept: number): { objective: number; maxAbsGradient: number } {
  const d = X.cols;
  const grad = new Float64Array(d + 1);
  let objective = 0;
  for (let i = 0; i < X.rows; i++) {
    let eta = intercept;
    for (let j = 0; j < d; j++) eta += X.data[i * d + j] * coef[j];
    objective += Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta))) - y[i] * eta;
    const r = 1 / (1 + Math.exp(-eta)) - y[i];
    for (let j = 0; j < d; j++) grad[j] += r * X.data[i * d + j];
    grad[d] += r;
  }
  let maxAbsGradient = 0;
  for (let j = 0; j < d; j++) {
    objective += 0.5 * coef[j] * coef[j];
    grad[j] += coef[j];
  }
  for (const g of grad) maxAbsGradient = Math.max(maxAbsGradient, Math.abs(g));
  return { objective, maxAbsGradient };
}

function maxAbsDifference(coef: Float64Array, intercept: number, otherCoef: ArrayLike<number>, otherIntercept: number): number {
  let max = Math.abs(intercept - otherIntercept);
  for (let j = 0; j < coef.length; j++) max = Math.max(max, Math.abs(coef[j] - otherCoef[j]));
  return max;
}

describe.each(DATASETS)('%s', (name) => {
  const ref = reference[name];

  it('has the reference train/test sizes and design columns', () => {
    const p = prepared.get(name)!;
    expect(p.Xtrain.rows).toBe(ref.n_train);
    expect(p.Xtest.rows).toBe(ref.n_test);
    expect(p.columns).toEqual(ref.logistic_l2_C1.features);
  });

  it('L2 logistic regression (C = 1) matches scikit-learn', () => {
    const p = prepared.get(name)!;
    const model = createLearner('logistic', { C: 1 }, new SeededRng(1)).fit(p.Xtrain, p.ytrain) as LogisticModel;
    expect(model.diagnostics.converged).toBe(true);
    const refCoef = Float64Array.from(ref.logistic_l2_C1.coef as number[]);
    const refIntercept = ref.logistic_l2_C1.intercept as number;
    const ours = objectiveAndGradient(p.Xtrain, p.ytrain.y, model.coef, model.intercept);
    const theirs = objectiveAndGradient(p.Xtrain, p.ytrain.y, refCoef, refIntercept);
    // Ours is the optimum: no larger objective than scikit-learn's point, and a vanishing gradient.
    expect(ours.objective).toBeLessThanOrEqual(theirs.objective + 1e-9);
    expect(ours.maxAbsGradient / p.Xtrain.rows).toBeLessThan(1e-9);
    // Within 1e-4 of scikit-learn run to convergence (newton-cg, max |gradient| < 1e-6)...
    const conv = converged[name];
    expect(conv.features).toEqual(ref.logistic_l2_C1.features);
    expect(conv.max_abs_gradient).toBeLessThan(1e-6);
    expect(maxAbsDifference(model.coef, model.intercept, conv.coef, conv.intercept)).toBeLessThan(1e-4);
    // ...and of the stored coefficients where those are an optimum. On physionet2012 they are not:
    // scikit-learn's lbfgs stopped early on this 116-column problem (max |gradient| 7.9e-3 there,
    // objective 2.2e-5 above ours, 2.0e-3 from the converged fit), so there the stored point must
    // be measurably sub-optimal instead.
    if (name === 'physionet2012') {
      expect(theirs.maxAbsGradient).toBeGreaterThan(1e-3);
      expect(theirs.objective - ours.objective).toBeGreaterThan(1e-6);
      expect(maxAbsDifference(model.coef, model.intercept, refCoef, refIntercept)).toBeGreaterThan(1e-3);
    } else {
      expect(maxAbsDifference(model.coef, model.intercept, refCoef, refIntercept)).toBeLessThan(1e-4);
    }
    const prob = model.predictProba(p.Xtest);
    expect(Math.abs(auroc(p.ytest, prob) - ref.logistic_l2_C1.test_auroc)).toBeLessThan(1e-4);
    expect(Math.abs(averagePrecision(p.ytest, prob) - ref.logistic_l2_C1.test_auprc)).toBeLessThan(1e-4);
    expect(Math.abs(logLoss(p.ytest, prob) - ref.logistic_l2_C1.test_logloss)).toBeLessThan(1e-4);
    expect(Math.abs(brierScore(p.ytest, prob) - ref.logistic_l2_C1.test_brier)).toBeLessThan(1e-4);
  });

  it('CART depth 5 (mean of 5 seeds) reaches the reference test AUROC within 0.02', () => {
    const p = prepared.get(name)!;
    let sum = 0;
    for (let seed = 0; seed < 5; seed++) {
      const model = createLearner('cart', { maxDepth: 5 }, new SeededRng(seed)).fit(p.Xtrain, p.ytrain);
      sum += auroc(p.ytest, model.predictProba(p.Xtest));
    }
    expect(Math.abs(sum / 5 - ref.test_auroc.decision_tree_depth5)).toBeLessThan(0.02);
  });

  it('random forest (200 trees) reaches the reference test AUROC within 0.02', () => {
    const p = prepared.get(name)!;
    const model = createLearner('rf', { nTrees: 200 }, new SeededRng(7)).fit(p.Xtrain, p.ytrain);
    expect(Math.abs(auroc(p.ytest, model.predictProba(p.Xtest)) - ref.test_auroc.random_forest_200)).toBeLessThan(0.02);
  });

  it('boosted trees with scikit-learn HistGradientBoosting defaults reach the reference test AUROC within 0.02', () => {
    // The reference HistGradientBoosting saw the missing values as NaN (its native handling; on the
    // mean-imputed design scikit-learn 1.2.1 scores 0.8074 on pima, not the stored 0.7936), so this
    // also checks the learned missing-value directions.
    const p = prepared.get(name)!;
    const params = { nRounds: 100, learningRate: 0.1, maxDepth: 0, maxLeaves: 31, minSamplesLeaf: 20, lambda: 0, minChildWeight: 1e-3, maxBins: 255 };
    const model = createLearner('gbt', params, new SeededRng(3)).fit(p.XtrainRaw, p.ytrain);
    expect(Math.abs(auroc(p.ytest, model.predictProba(p.XtestRaw)) - ref.test_auroc.hist_gradient_boosting_default)).toBeLessThan(0.02);
  });
});
