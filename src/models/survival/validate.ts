/**
 * The one boundary check of the survival learners (inner kernels trust their inputs): O(n·d).
 */
import type { Matrix } from '../../core/matrix.js';
import { ModelInputError, type SurvivalTarget } from '../types.js';

/**
 * Throws ModelInputError for: zero rows; X/target/weights length mismatch; a non-finite feature
 * value (survival learners do not impute: NaN must be handled by the design before fitting);
 * time not finite or < 0 (time 0 is valid: R's survival accepts it, and every formula here is
 * defined for it — an event at 0 is in the first risk set, which holds everyone); event not 0/1; a negative or non-finite weight.
 *
 * Returns the total weight of the events. Zero (every row censored, e.g. a small random subset or
 * a degenerate synthetic table) is not an error: no hazard can be estimated, so each learner falls
 * back to the model of "no events seen" — cumulative hazard 0, S(t) = 1 and the same risk for every
 * row — and says so in its diagnostics (`noEventsWarning`). R `coxph` returns NA coefficients and
 * a zero log-likelihood on such data; ranger's trees are single leaves with H = 0.
 */
export function validateSurvivalFit(learner: string, X: Matrix, target: SurvivalTarget, weights?: Float64Array): number {
  const n = X.rows;
  if (n === 0) throw new ModelInputError(`${learner}: cannot fit on zero rows`);
  if (X.data.length !== n * X.cols) throw new ModelInputError(`${learner}: X.data has ${X.data.length} values, expected ${n}x${X.cols}`);
  if (target.time.length !== n || target.event.length !== n) {
    throw new ModelInputError(`${learner}: X has ${n} rows but time/event have ${target.time.length}/${target.event.length}`);
  }
  if (weights && weights.length !== n) throw new ModelInputError(`${learner}: weights has ${weights.length} values, X has ${n} rows`);
  assertFiniteFeatures(learner, X);
  return checkedEventWeight(learner, target, weights, n);
}

// The two passes are leaf functions that end with their loop: as one function, code V8 compiled
// while inside the long first loop (on-stack replacement) bailed out at the second, which it had
// not run yet, on later calls.

function assertFiniteFeatures(learner: string, X: Matrix): void {
  const d = X.cols;
  for (let i = 0; i < X.rows * d; i++) {
    if (!Number.isFinite(X.data[i])) {
      throw new ModelInputError(`${learner}: X[${Math.floor(i / d)}, ${i % d}] = ${X.data[i]} is not finite (impute missing values first)`);
    }
  }
}

function checkedEventWeight(learner: string, target: SurvivalTarget, weights: Float64Array | undefined, n: number): number {
  let eventWeight = 0;
  for (let i = 0; i < n; i++) {
    const t = target.time[i];
    if (!Number.isFinite(t) || t < 0) throw new ModelInputError(`${learner}: time[${i}] = ${t} is not a finite non-negative number`);
    const e = target.event[i];
    if (e !== 0 && e !== 1) throw new ModelInputError(`${learner}: event[${i}] = ${e} is not 0 or 1`);
    const w = weights ? weights[i] : 1;
    if (!Number.isFinite(w) || w < 0) throw new ModelInputError(`${learner}: weight[${i}] = ${w} is not a finite non-negative number`);
    if (e === 1) eventWeight += w;
  }
  return eventWeight;
}

/** The diagnostics line of a fit on data without events (see `validateSurvivalFit`). */
export function noEventsWarning(learner: string): string {
  return `${learner}: no events (all rows censored or zero-weight): no hazard can be estimated; the model predicts S(t) = 1 and the same risk for every row`;
}
