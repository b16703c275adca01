/**
 * Utility of a (synthetic or real) training table: fit a learner on it the way a recipient would —
 * a design fitted on that table alone (classification: one-hot, mean imputation, standardisation;
 * survival: one-hot without the reference level, mean imputation, no scaling) — and score it on the
 * real test rows. The headline metric is test AUROC (classification) or Harrell's C (survival).
 */
import type { Rng } from '../core/rng.js';
import { fitDesign, type DesignSpec } from '../data/design.js';
import { tableTarget, type Table } from '../data/table.js';
import { auroc, averagePrecision, brierScore as classificationBrier, logLoss } from '../metrics/classification.js';
import { harrellC } from '../metrics/survival.js';
import { createLearner } from '../models/registry.js';
import type { ClassificationTarget, SurvivalTarget } from '../models/types.js';

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
  const task = trainTable.card.task;
  const design = fitDesign(trainTable, EVALUATION_DESIGNS[task]);
  const Xtrain = design.transform(trainTable);
  const Xtest = design.transform(testTable);
  const learner = createLearner(learnerName, params, rng);
  if (learner.task === 'classification') {
    const model = learner.fit(Xtrain, tableTarget(trainTable) as ClassificationTarget);
    const p = model.predictProba(Xtest);
    const y = (tableTarget(testTable) as ClassificationTarget).y;
    return {
      learner: learnerName,
      metric: 'auroc',
      value: auroc(y, p),
      extra: { average_precision: averagePrecision(y, p), log_loss: logLoss(y, p), brier: classificationBrier(y, p) },
      warnings: [...design.warnings, ...model.diagnostics.warnings],
    };
  }
  const model = learner.fit(Xtrain, tableTarget(trainTable) as SurvivalTarget);
  const risk = model.predictRisk(Xtest);
  const target = tableTarget(testTable) as SurvivalTarget;
  return {
    learner: learnerName,
    metric: 'harrell_c',
    value: harrellC(target.time, target.event, risk).cIndex,
    extra: {},
    warnings: [...design.warnings, ...model.diagnostics.warnings],
  };
}
