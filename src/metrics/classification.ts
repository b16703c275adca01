/**
 * Binary classification metrics on typed arrays, with optional non-negative sample weights.
 * Conventions follow scikit-learn (the reference implementation the tests compare against):
 *
 * - labels `y` are 0/1 (1 = positive class); `score` / `p` is the predicted P(y = 1) (AUROC and AP
 *   only need a score that orders rows);
 * - a metric that is undefined on the data (AUROC with one class, AP with no positive) is NaN, as
 *   R returns NA, rather than an exception in the middle of an evaluation table;
 * - malformed input (length mismatch, a label other than 0/1, a NaN score, a negative or non-finite
 *   weight) throws a RangeError naming the metric.
 */
import { argsortRange } from '../core/argsort.js';

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

function checkInput(metric: string, y: Labels, score: Scores, weights?: ArrayLike<number>): void {
  if (y.length !== score.length) throw new RangeError(`${metric}: ${y.length} labels but ${score.length} predictions`);
  if (weights && weights.length !== y.length) throw new RangeError(`${metric}: ${weights.length} weights for ${y.length} labels`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`${metric}: label ${i} is ${y[i]}; labels must be 0 or 1`);
    if (Number.isNaN(score[i])) throw new RangeError(`${metric}: prediction ${i} is NaN`);
    if (weights && !(weights[i] >= 0 && weights[i] < Infinity)) {
      throw new RangeError(`${metric}: weight ${i} is ${weights[i]}; weights must be finite and non-negative`);
    }
  }
}

/** Row indices sorted by ascending score (ties in row order). */
function ascendingOrder(score: Scores): Int32Array {
  const n = score.length;
  const key = score instanceof Float64Array ? score : Float64Array.from(score);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  argsortRange(key, idx, 0, n, new Int32Array(n));
  return idx;
}

/**
 * Area under the ROC curve as the (weighted) Mann–Whitney statistic: the probability that a random
 * positive scores above a random negative, a tied pair counting 1/2 (equal to the trapezoidal ROC
 * area, scikit-learn's roc_auc_score). O(n log n): one sort, then tie groups in one pass. NaN if
 * either class has zero total weight.
 */
export function auroc(y: Labels, score: Scores, weights?: ArrayLike<number>): number {
  checkInput('auroc', y, score, weights);
  const order = ascendingOrder(score);
  const n = y.length;
  let negBelow = 0;
  let area = 0;
  let totalPos = 0;
  let k = 0;
  while (k < n) {
    const s = score[order[k]];
    let groupPos = 0;
    let groupNeg = 0;
    while (k < n && score[order[k]] === s) {
      const i = order[k];
      const w = weights ? weights[i] : 1;
      if (y[i] === 1) groupPos += w;
      else groupNeg += w;
      k++;
    }
    area += groupPos * (negBelow + 0.5 * groupNeg);
    negBelow += groupNeg;
    totalPos += groupPos;
  }
  const totalNeg = negBelow;
  if (totalPos <= 0 || totalNeg <= 0) return NaN;
  return area / (totalPos * totalNeg);
}

/**
 * Average precision, scikit-learn's step-wise definition (no interpolation):
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds in decreasing order, with tied
 * scores entering together; R_0 = 0. Weighted counts when weights are given. NaN if no positive.
 */
export function averagePrecision(y: Labels, score: Scores, weights?: ArrayLike<number>): number {
  checkInput('averagePrecision', y, score, weights);
  const order = ascendingOrder(score);
  const n = y.length;
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) totalPos += weights ? weights[i] : 1;
  if (totalPos <= 0) return NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  let k = n - 1;
  while (k >= 0) {
    const s = score[order[k]];
    while (k >= 0 && score[order[k]] === s) {
      const i = order[k];
      const w = weights ? weights[i] : 1;
      if (y[i] === 1) tp += w;
      else fp += w;
      k--;
    }
    const recall = tp / totalPos;
    if (recall > prevRecall) {
      ap += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
  }
  return ap;
}

/** Default clipping of probabilities in `logLoss` (scikit-learn ≤ 1.2's eps). */
export const LOG_LOSS_EPS = 1e-15;

/**
 * Mean (weighted) negative log-likelihood −[y log p + (1 − y) log(1 − p)], with p clipped to
 * [eps, 1 − eps] (default 1e-15, as scikit-learn 1.2) so a confident wrong prediction costs
 * −log(eps) ≈ 34.5 instead of ∞.
 */
export function logLoss(y: Labels, p: Scores, options: { weights?: ArrayLike<number>; eps?: number } = {}): number {
  const { weights, eps = LOG_LOSS_EPS } = options;
  checkInput('logLoss', y, p, weights);
  let sum = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i] : 1;
    const q = Math.min(Math.max(p[i], eps), 1 - eps);
    sum -= w * (y[i] === 1 ? Math.log(q) : Math.log1p(-q));
    total += w;
  }
  return sum / total;
}

/** Mean (weighted) squared error (p − y)² of the predicted probabilities (Brier 1950). */
export function brierScore(y: Labels, p: Scores, weights?: ArrayLike<number>): number {
  checkInput('brierScore', y, p, weights);
  let sum = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i] : 1;
    const r = p[i] - y[i];
    sum += w * r * r;
    total += w;
  }
  return sum / total;
}

/**
 * Fraction (weighted) of rows classified correctly at threshold 0.5: p > 0.5 predicts the positive
 * class, p = 0.5 the negative one (scikit-learn's argmax over [1 − p, p] picks the first class on a tie).
 */
export function accuracy(y: Labels, p: Scores, weights?: ArrayLike<number>): number {
  checkInput('accuracy', y, p, weights);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights ? weights[i] : 1;
    if ((p[i] > 0.5 ? 1 : 0) === y[i]) correct += w;
    total += w;
  }
  return correct / total;
}

export interface CalibrationFit {
  /** b in logit P(y = 1) = a + b · logit(p); 1 for perfect calibration, < 1 for overfitted p. */
  slope: number;
  /** a in the same fit; 0 for perfect calibration. */
  intercept: number;
  iterations: number;
  converged: boolean;
  warnings: string[];
}

/**
 * Logistic recalibration (Cox 1958): the maximum-likelihood fit of logit P(y = 1) = a + b·logit(p)
 * by Newton's method, with p clipped to [eps, 1 − eps] (default 1e-15) before the logit. Both a and b
 * come from this joint fit (not the "calibration-in-the-large" intercept with b fixed at 1).
 * Undefined fits (a single class, constant predictions) give NaN with a warning; a fit that does
 * not converge (e.g. predictions that separate the classes) is returned with converged = false.
 */
export function calibration(
  y: Labels,
  p: Scores,
  options: { weights?: ArrayLike<number>; eps?: number; maxIter?: number; tol?: number } = {},
): CalibrationFit {
  const { weights, eps = LOG_LOSS_EPS, maxIter = 50, tol = 1e-10 } = options;
  checkInput('calibration', y, p, weights);
  const n = y.length;
  const z = new Float64Array(n);
  let total = 0;
  let pos = 0;
  let zMin = Infinity;
  let zMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const q = Math.min(Math.max(p[i], eps), 1 - eps);
    z[i] = Math.log(q) - Math.log1p(-q);
    const w = weights ? weights[i] : 1;
    total += w;
    pos += w * y[i];
    if (w > 0) {
      if (z[i] < zMin) zMin = z[i];
      if (z[i] > zMax) zMax = z[i];
    }
  }
  if (!(pos > 0 && pos < total)) {
    return { slope: NaN, intercept: NaN, iterations: 0, converged: false, warnings: ['calibration: labels hold a single class'] };
  }
  if (!(zMax > zMin)) {
    return { slope: NaN, intercept: NaN, iterations: 0, converged: false, warnings: ['calibration: all predictions are equal'] };
  }
  let a = 0;
  let b = 1;
  let iterations = 0;
  let converged = false;
  const objective = (aa: number, bb: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      const e = aa + bb * z[i];
      f += w * ((e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e))) - y[i] * e);
    }
    return f;
  };
  let f = objective(a, b);
  while (iterations < maxIter) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      const e = a + b * z[i];
      const mu = e >= 0 ? 1 / (1 + Math.exp(-e)) : Math.exp(e) / (1 + Math.exp(e));
      const r = w * (mu - y[i]);
      const h = w * mu * (1 - mu);
      ga += r;
      gb += r * z[i];
      haa += h;
      hab += h * z[i];
      hbb += h * z[i] * z[i];
    }
    if (Math.max(Math.abs(ga), Math.abs(gb)) <= tol * total) {
      converged = true;
      break;
    }
    iterations++;
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let alpha = 1;
    let moved = false;
    for (let h = 0; h < 40; h++) {
      const fa = objective(a - alpha * da, b - alpha * db);
      if (fa <= f - 1e-4 * alpha * (ga * da + gb * db)) {
        a -= alpha * da;
        b -= alpha * db;
        f = fa;
        moved = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!moved) break;
  }
  const warnings = converged ? [] : [`calibration: Newton did not converge in ${iterations} iterations (predictions may separate the classes)`];
  return { slope: b, intercept: a, iterations, converged, warnings };
}

export interface ClassificationReport {
  auroc: number;
  averagePrecision: number;
  logLoss: number;
  brier: number;
  accuracy: number;
  calibrationSlope: number;
  calibrationIntercept: number;
}

/** Every metric above for one prediction vector. */
export function classificationReport(y: Labels, p: Scores, weights?: ArrayLike<number>): ClassificationReport {
  const cal = calibration(y, p, { weights });
  return {
    auroc: auroc(y, p, weights),
    averagePrecision: averagePrecision(y, p, weights),
    logLoss: logLoss(y, p, { weights }),
    brier: brierScore(y, p, weights),
    accuracy: accuracy(y, p, weights),
    calibrationSlope: cal.slope,
    calibrationIntercept: cal.intercept,
  };
}
