/**
 * Utility of a (synthetic or real) training table: fit a learner on it the way a recipient would —
 * a design fitted on that table alone (classification: one-hot, mean imputation, standardisation;
 * survival: one-hot without the reference level, mean imputation, no scaling) — and score it on the
 * real test rows. The headline metric is test AUROC (classification) or Harrell's C (survival).
 */
import { SeededRng, type Rng } from '../core/rng.js';
import { fitDesign, type DesignSpec } from '../data/design.js';
import { tableTarget, type Table } from '../data/table.js';
import { auroc, averagePrecision, brierScore as classificationBrier, logLoss } from '../metrics/classification.js';
import { harrellC } from '../metrics/survival.js';
import { createLearner } from '../models/registry.js';
import type { ClassificationTarget, SurvivalTarget } from '../models/types.js';
import { randomSubset } from './baselines.js';

export interface UtilityResult {
  learner: string;
  /** 'auroc' or 'harrell_c'. */
  metric: 'auroc' | 'harrell_c';
  value: number;
  /** Further metrics (classification: average precision, log-loss, Brier). */
  extra: Record<string, number>;
  warnings: string[];
}

export const EVALUATION_DESIGNS: Record<'classification' | 'survival', DesignSpec> = {
  classification: { categorical: 'one-hot', impute: 'mean', standardise: true },
  survival: { categorical: 'drop-first', impute: 'mean', standardise: false },
};

export function evaluateUtility(
  trainTable: Table,
  testTable: Table,
  learnerName: string,
  rng: Rng,
  params?: Record<string, unknown>,
): UtilityResult {
  const { scores, warnings } = fitAndScore(trainTable, testTable, learnerName, rng, params);
  const extra: Record<string, number> = {};
  if (testTable.card.task === 'classification') {
    const y = (tableTarget(testTable) as ClassificationTarget).y;
    Object.assign(extra, { average_precision: averagePrecision(y, scores), log_loss: logLoss(y, scores), brier: classificationBrier(y, scores) });
  }
  return { learner: learnerName, metric: metricName(testTable), value: heldOutMetric(testTable, scores), extra, warnings };
}

/**
 * Fit `learnerName` on `trainTable` (with a design fitted on it alone) and score the rows of
 * `testTable`: predicted probabilities of the positive class, or risk scores (higher = earlier event).
 * A table with row weights (`Table.weight`) is fitted with them as case weights, as a recipient
 * would pass them (scikit-learn's `sample_weight`, R's `weights`); the design stays unweighted.
 */
export function fitAndScore(trainTable: Table, testTable: Table, learnerName: string, rng: Rng, params?: Record<string, unknown>): { scores: Float64Array; warnings: string[] } {
  const design = fitDesign(trainTable, EVALUATION_DESIGNS[trainTable.card.task]);
  const Xtrain = design.transform(trainTable);
  const Xtest = design.transform(testTable);
  const learner = createLearner(learnerName, params, rng);
  if (learner.task === 'classification') {
    const model = learner.fit(Xtrain, tableTarget(trainTable) as ClassificationTarget, trainTable.weight);
    return { scores: Float64Array.from(model.predictProba(Xtest)), warnings: [...design.warnings, ...model.diagnostics.warnings] };
  }
  const model = learner.fit(Xtrain, tableTarget(trainTable) as SurvivalTarget, trainTable.weight);
  return { scores: Float64Array.from(model.predictRisk(Xtest)), warnings: [...design.warnings, ...model.diagnostics.warnings] };
}

export function metricName(table: Table): 'auroc' | 'harrell_c' {
  return table.card.task === 'classification' ? 'auroc' : 'harrell_c';
}

/** The headline metric of `scores` on the test rows, optionally with case weights (bootstrap counts). */
export function heldOutMetric(testTable: Table, scores: Float64Array, weights?: Float64Array): number {
  if (testTable.card.task === 'classification') return auroc((tableTarget(testTable) as ClassificationTarget).y, scores, weights);
  const target = tableTarget(testTable) as SurvivalTarget;
  return harrellC(target.time, target.event, scores, weights).cIndex;
}

/** A point estimate with a percentile bootstrap interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface HeldOutRow {
  learner: string;
  metric: 'auroc' | 'harrell_c';
  /** Trained on the synthetic table. */
  synthetic: Interval;
  /** Trained on every real training row. */
  full: Interval;
  /** Trained on a random real subset of the synthetic table's size (mean over `subsets` draws). */
  subset: Interval;
  /** synthetic − full, paired over the same bootstrap resamples. */
  gap: Interval;
  warnings: string[];
}

export interface HeldOutComparison {
  task: 'classification' | 'survival';
  metric: 'auroc' | 'harrell_c';
  syntheticRows: number;
  trainRows: number;
  testRows: number;
  subsetRows: number;
  subsets: number;
  bootstrap: { replicates: number; level: number; seed: number };
  rows: HeldOutRow[];
}

export interface HeldOutOptions {
  synthetic: Table;
  train: Table;
  test: Table;
  learners: readonly string[];
  /** Seed for the learners, the random subsets and the bootstrap (default 1). */
  seed?: number;
  /** Bootstrap resamples of the test patients (default 500). */
  replicates?: number;
  /** Interval coverage (default 0.95). */
  level?: number;
  /** Random real subsets averaged for the subset baseline (default 5). */
  subsets?: number;
}

/**
 * The custodian's question — is the release worth sharing? — answered on real held-out rows: each
 * learner trained on the synthetic table, on all real training rows, and on random real subsets of
 * the same size, scored on the same test patients. Intervals are percentile bootstrap intervals
 * over test patients (resampling weights, identical across the three training tables, so the gap
 * is paired); they cover test-set noise, not the randomness of the condensation. The whole result
 * reads real records and is not private: it is for the custodian, never part of a release.
 */
export function compareOnHeldOut(o: HeldOutOptions): HeldOutComparison {
  const seed = o.seed ?? 1;
  const replicates = o.replicates ?? 500;
  const level = o.level ?? 0.95;
  const subsets = o.subsets ?? 5;
  const subsetRows = Math.min(o.synthetic.nRows, o.train.nRows);
  const subsetTables = Array.from({ length: subsets }, (_, s) => randomSubset(o.train, subsetRows, new SeededRng(seed * 1009 + s)));
  const fitted = o.learners.map((learner) => {
    const synthetic = fitAndScore(o.synthetic, o.test, learner, new SeededRng(seed));
    const full = fitAndScore(o.train, o.test, learner, new SeededRng(seed));
    const subset = subsetTables.map((t) => fitAndScore(t, o.test, learner, new SeededRng(seed)).scores);
    return { learner, synthetic, full, subset };
  });
  // Per replicate and learner: synthetic, full, subset mean.
  const n = o.test.nRows;
  const draws = fitted.map(() => [new Float64Array(replicates), new Float64Array(replicates), new Float64Array(replicates)]);
  const weights = new Float64Array(n);
  const rng = new SeededRng(seed ^ 0x5bd1e995);
  for (let b = 0; b < replicates; b++) {
    weights.fill(0);
    for (let k = 0; k < n; k++) weights[rng.int(n)] += 1;
    fitted.forEach((f, j) => {
      draws[j][0][b] = heldOutMetric(o.test, f.synthetic.scores, weights);
      draws[j][1][b] = heldOutMetric(o.test, f.full.scores, weights);
      draws[j][2][b] = mean(f.subset.map((s) => heldOutMetric(o.test, s, weights)));
    });
  }
  const rows = fitted.map((f, j) => {
    const synthetic = heldOutMetric(o.test, f.synthetic.scores);
    const full = heldOutMetric(o.test, f.full.scores);
    const gapDraws = draws[j][0].map((v, b) => v - draws[j][1][b]);
    return {
      learner: f.learner,
      metric: metricName(o.test),
      synthetic: percentileInterval(synthetic, draws[j][0], level),
      full: percentileInterval(full, draws[j][1], level),
      subset: percentileInterval(mean(f.subset.map((s) => heldOutMetric(o.test, s))), draws[j][2], level),
      gap: percentileInterval(synthetic - full, gapDraws, level),
      warnings: f.synthetic.warnings,
    };
  });
  return {
    task: o.test.card.task,
    metric: metricName(o.test),
    syntheticRows: o.synthetic.nRows,
    trainRows: o.train.nRows,
    testRows: n,
    subsetRows,
    subsets,
    bootstrap: { replicates, level, seed },
    rows,
  };
}

function mean(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Percentile interval of the finite replicate values (a resample without a comparable pair, e.g.
 * with a single class, has no metric and is left out).
 */
export function percentileInterval(estimate: number, replicates: Float64Array, level: number): Interval {
  const finite = Float64Array.from(replicates.filter(Number.isFinite)).sort();
  if (finite.length === 0) return { estimate, low: NaN, high: NaN };
  const tail = (1 - level) / 2;
  const at = (p: number) => {
    // Linear interpolation between order statistics (R's type 7, numpy's default).
    const h = (finite.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, finite.length - 1);
    return finite[lo] + (h - lo) * (finite[hi] - finite[lo]);
  };
  return { estimate, low: at(tail), high: at(1 - tail) };
}
