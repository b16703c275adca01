/**
 * What every classification learner shares: one validation pass at the `fit` boundary (so the
 * kernels can trust their inputs), the constant model used when the training labels hold a single
 * class (hyperparameters are checked by `../params.ts`).
 */
import type { Matrix } from '../../core/matrix.js';
import { ModelInputError, type ClassificationTarget, type ClassifierModel, type FitDiagnostics } from '../types.js';

export interface ValidatedFit {
  readonly n: number;
  readonly d: number;
  /** The caller's weights, or shared all-ones weights. Never mutated by the learners. */
  readonly weights: Float64Array;
  readonly totalWeight: number;
  /** Σ w_i y_i. */
  readonly positiveWeight: number;
  /** Number of NaN entries in X. */
  readonly missingCount: number;
}

/**
 * Validate a classification fit once, in O(n·d). Throws `ModelInputError` for: zero rows, a label
 * vector of the wrong length or with values other than 0/1, weights of the wrong length, NaN,
 * infinite or negative weights, all-zero weights, and ±Infinity in X (missing values must be NaN).
 */
export function validateClassificationFit(
  learner: string,
  X: Matrix,
  target: ClassificationTarget,
  weights: Float64Array | undefined,
): ValidatedFit {
  const fail = (msg: string): never => {
    throw new ModelInputError(`${learner}: ${msg}`);
  };
  if (!target || target.task !== 'classification') fail('expected a classification target');
  const n = X.rows;
  const d = X.cols;
  if (n === 0) fail('cannot fit on zero rows');
  if (X.data.length !== n * d) fail(`matrix has ${X.data.length} values, expected ${n}x${d}`);
  const y = target.y;
  if (y.length !== n) fail(`${y.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    if (y[i] > 1) fail(`label of row ${i} is ${y[i]}; labels must be 0 or 1`);
  }
  let w: Float64Array;
  if (weights) {
    if (weights.length !== n) fail(`${weights.length} weights for ${n} rows`);
    for (let i = 0; i < n; i++) {
      const wi = weights[i];
      if (!Number.isFinite(wi)) fail(`weight of row ${i} is ${wi}; weights must be finite`);
      if (wi < 0) fail(`weight of row ${i} is ${wi}; weights must be non-negative`);
    }
    w = weights;
  } else {
    w = unitWeights(n);
  }
  let total = 0;
  let positive = 0;
  for (let i = 0; i < n; i++) {
    total += w[i];
    positive += y[i] * w[i];
  }
  if (!(total > 0)) fail('all sample weights are zero');
  let missing = 0;
  const data = X.data;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    // v − v is 0 for every finite v and NaN for NaN and ±Infinity: one test on the common path.
    if (v - v !== 0) {
      if (v !== v) missing++;
      else fail(`row ${Math.floor(k / d)}, column ${k % d} is ${v}; use NaN for a missing value`);
    }
  }
  return { n, d, weights: w, totalWeight: total, positiveWeight: positive, missingCount: missing };
}

let sharedUnitWeights = new Float64Array(0);

/**
 * All-ones weights of length n, shared between fits (the learners never write to weights; this
 * saves an allocation per fit in the condensation loop).
 */
function unitWeights(n: number): Float64Array {
  if (sharedUnitWeights.length < n) sharedUnitWeights = new Float64Array(Math.max(n, 2 * sharedUnitWeights.length)).fill(1);
  return sharedUnitWeights.subarray(0, n);
}

/**
 * The model fitted to labels of a single class: it predicts that class with probability 1 for
 * every row. This is the limit every learner here reaches on such data (the unpenalised logistic
 * intercept and the boosting base score diverge to ±∞; every tree leaf is pure), so the
 * condensation loop keeps running (its per-record loss clips probabilities) instead of aborting on
 * a perturbed synthetic set that momentarily lost a class. The diagnostics carry a warning.
 */
export class ConstantClassifier implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    readonly probability: number,
    readonly diagnostics: FitDiagnostics,
  ) {}

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    result.fill(this.probability, 0, X.rows);
    return result;
  }
}

/** The single-class outcome of `validated`, or `undefined` when both classes carry weight. */
export function singleClassModel(learner: string, v: ValidatedFit): ConstantClassifier | undefined {
  if (v.positiveWeight > 0 && v.positiveWeight < v.totalWeight) return undefined;
  const p = v.positiveWeight > 0 ? 1 : 0;
  return new ConstantClassifier(p, {
    iterations: 0,
    converged: true,
    warnings: [`${learner}: training labels (with positive weight) are all ${p}; the model predicts P(y=1) = ${p} for every row`],
  });
}

/** Logistic function, computed without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
