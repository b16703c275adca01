/**
 * L2-penalised logistic regression (`logistic`), scikit-learn's LogisticRegression(penalty="l2")
 * objective with the intercept unpenalised:
 *
 *   minimise  Σ_i w_i · [log(1 + e^{η_i}) − y_i η_i]  +  ||β||² / (2C),   η_i = b + x_iᵀβ.
 *
 * Solved by Newton's method (the Hessian Σ w_i p_i(1−p_i) x̃_i x̃_iᵀ + I/C is at most (d+1)², 31 × 31
 * in condensation, so a Cholesky solve is cheaper than L-BFGS bookkeeping) with Armijo
 * backtracking, from β = 0 and b = the weighted log-odds. Converged when max_j |∂/∂θ_j| ≤ tol · Σw
 * (the gradient scales with the total weight), which puts the coefficients within ~tol of the
 * optimum for a well-conditioned problem.
 *
 * Missing values (NaN) in X contribute 0 to η, in fitting and prediction alike: with a
 * standardised design that is mean imputation. Fitting reports how many it met in a warning.
 * Separable data cannot diverge: the penalty keeps β finite for C < ∞.
 */
import { choleskyInPlace, choleskySolveInPlace } from '../../core/linalg.js';
import { ScratchBuffers } from '../../core/scratch.js';
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { ClassificationLearner, ClassificationTarget, ClassifierModel, FitDiagnostics } from '../types.js';
import { defineLearner, intParam, numberParam } from '../params.js';
import { sigmoid, singleClassModel, validateClassificationFit } from './common.js';

export const logisticDefaults = {
  C: 1,
  maxIter: 100,
  tol: 1e-10,
} as const satisfies LogisticParams;

export interface LogisticParams {
  /** Inverse penalty strength (scikit-learn's C). */
  C: number;
  maxIter: number;
  /** Convergence tolerance on max |gradient| / Σw. */
  tol: number;
}

/** Check the given parameters' ranges and fill in the defaults. */
export function resolveLogisticParams(learner: string, params: Partial<LogisticParams>): LogisticParams {
  return {
    C: numberParam(learner, 'C', params.C ?? logisticDefaults.C, { min: 0, minExclusive: true }),
    maxIter: intParam(learner, 'maxIter', params.maxIter ?? logisticDefaults.maxIter, 1),
    tol: numberParam(learner, 'tol', params.tol ?? logisticDefaults.tol, { min: 0, minExclusive: true }),
  };
}

export interface LogisticDiagnostics extends FitDiagnostics {
  iterations: number;
  converged: boolean;
  /** Penalised objective at the returned coefficients. */
  objective: number;
  /** max_j |gradient_j| / Σw at the returned coefficients. */
  gradientNorm: number;
}

export class LogisticModel implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    /** One coefficient per column of X. */
    readonly coef: Float64Array,
    readonly intercept: number,
    readonly diagnostics: LogisticDiagnostics,
  ) {}

  /** Linear predictor η = b + xᵀβ (missing entries contribute 0). */
  decisionFunction(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    const { coef, intercept } = this;
    const d = X.cols;
    const data = X.data;
    for (let i = 0, base = 0; i < X.rows; i++, base += d) {
      let eta = intercept;
      for (let j = 0; j < d; j++) eta += coef[j] * data[base + j];
      if (eta !== eta) {
        // A NaN in the row: redo it skipping missing entries (kept off the fast path).
        eta = intercept;
        for (let j = 0; j < d; j++) {
          const x = data[base + j];
          if (x === x) eta += coef[j] * x;
        }
      }
      result[i] = eta;
    }
    return result;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = this.decisionFunction(X, out);
    for (let i = 0; i < X.rows; i++) result[i] = sigmoid(result[i]);
    return result;
  }
}

export interface LogisticFit {
  coef: Float64Array;
  intercept: number;
  diagnostics: LogisticDiagnostics;
}

/** log(1 + e^η) without overflow. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

/**
 * One fit's rows and per-row work arrays. The solver's passes are top-level functions taking it:
 * as closures made afresh by every fit, V8 bailed out of the compiled solver for each new one
 * ("wrong call target") and compiled the whole of it again.
 */
interface NewtonRows {
  n: number;
  d: number;
  /** Row-major n × d. */
  data: Float64Array;
  /** The same values column-major: the gradient and Hessian entries become dot products of contiguous columns. */
  columns: Float64Array;
  y: Uint8Array;
  w: Float64Array;
  invC: number;
  /** Linear predictor of the θ last passed to `objectiveAt`. */
  eta: Float64Array;
  residual: Float64Array;
  curvature: Float64Array;
  weighted: Float64Array;
}

/** The penalised objective at θ = [β, b]; leaves θ's linear predictor in `rows.eta`. */
function objectiveAt(rows: NewtonRows, th: Float64Array): number {
  const { n, d, data, w, y, eta } = rows;
  let f = 0;
  const b = th[d];
  for (let i = 0, base = 0; i < n; i++, base += d) {
    let e = b;
    for (let j = 0; j < d; j++) e += data[base + j] * th[j];
    eta[i] = e;
    if (w[i] !== 0) f += w[i] * (softplus(e) - y[i] * e);
  }
  let pen = 0;
  for (let j = 0; j < d; j++) pen += th[j] * th[j];
  return f + 0.5 * rows.invC * pen;
}

/**
 * The gradient at θ into `grad` (η must hold θ's linear predictor), with each row's residual and
 * curvature for the Hessian; returns max_j |grad_j|.
 */
function gradientAt(rows: NewtonRows, theta: Float64Array, grad: Float64Array): number {
  const { n, d, w, y, eta, residual, curvature, columns, invC } = rows;
  let rSum = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const p = sigmoid(eta[i]);
    const r = wi * (p - y[i]);
    residual[i] = r;
    curvature[i] = wi * p * (1 - p);
    rSum += r;
  }
  let gmax = Math.abs(rSum);
  grad[d] = rSum;
  for (let j = 0; j < d; j++) {
    const cj = j * n;
    let g = 0;
    for (let i = 0; i < n; i++) g += residual[i] * columns[cj + i];
    g += invC * theta[j];
    grad[j] = g;
    const a = Math.abs(g);
    if (a > gmax) gmax = a;
  }
  return gmax;
}

/** Lower triangle of H = X̃ᵀ diag(h) X̃ + diag(1/C, ..., 1/C, 0), h the curvatures of the last gradient. */
function hessianAt(rows: NewtonRows, hess: Float64Array): void {
  const { n, d, columns, curvature, weighted, invC } = rows;
  const q = d + 1;
  // The intercept's diagonal first: the function ends with its long loop, so code V8 compiles
  // while inside that loop (on-stack replacement) never meets a loop it has not run yet (the
  // reverse order bailed out of that code on every later call).
  let hSum = 0;
  for (let i = 0; i < n; i++) hSum += curvature[i];
  hess[d * q + d] = hSum;
  for (let j = 0; j < d; j++) {
    const cj = j * n;
    let interceptTerm = 0;
    for (let i = 0; i < n; i++) {
      const v = curvature[i] * columns[cj + i];
      weighted[i] = v;
      interceptTerm += v;
    }
    const row = j * q;
    for (let k = 0; k <= j; k++) {
      const ck = k * n;
      let s = 0;
      for (let i = 0; i < n; i++) s += weighted[i] * columns[ck + i];
      hess[row + k] = s;
    }
    hess[row + j] += invC;
    hess[d * q + j] = interceptTerm;
  }
}

/** Column-major copy of the row-major n × d `data` into `columns`. */
function columnMajor(data: Float64Array, n: number, d: number, columns: Float64Array): void {
  for (let i = 0, base = 0; i < n; i++, base += d) {
    for (let j = 0, k = i; j < d; j++, k += n) columns[k] = data[base + j];
  }
}

/**
 * The Newton solver. `X` must be free of NaN (the learner zero-fills a copy); y ∈ {0,1}; w ≥ 0 with
 * a positive total and both classes present (otherwise the intercept diverges).
 */
export function fitLogisticNewton(
  X: Matrix,
  y: Uint8Array,
  w: Float64Array,
  params: LogisticParams,
  /** Optional starting point [β, b] (length d + 1), used if its objective beats the default start. */
  start?: Float64Array,
  /** Work buffers to reuse across fits (a learner keeps one; see `ScratchBuffers`). */
  scratch = new ScratchBuffers(),
): LogisticFit {
  const n = X.rows;
  const d = X.cols;
  const q = d + 1; // θ = [β_0 .. β_{d-1}, b]
  const warnings: string[] = [];

  let totalW = 0;
  let posW = 0;
  for (let i = 0; i < n; i++) {
    totalW += w[i];
    posW += w[i] * y[i];
  }
  const theta = scratch.f64('theta', q).fill(0);
  theta[d] = Math.log(posW / (totalW - posW));
  const trial = scratch.f64('trial', q);
  const grad = scratch.f64('grad', q);
  const step = scratch.f64('step', q);
  // Only the lower triangle is computed; the rest stays zero, as in a fresh array.
  const hess = scratch.f64('hess', q * q).fill(0);
  const factor = scratch.f64('factor', q * q);
  const rows: NewtonRows = {
    n, d, data: X.data, columns: scratch.f64('columns', n * d), y, w, invC: 1 / params.C,
    eta: scratch.f64('eta', n), residual: scratch.f64('residual', n), curvature: scratch.f64('curvature', n), weighted: scratch.f64('weighted', n),
  };
  // Column-major accumulation in registers is about twice as fast as row-wise rank-one updates of the Hessian.
  columnMajor(X.data, n, d, rows.columns);

  let objective = objectiveAt(rows, theta);
  if (start && start.length === q) {
    // The objective is strictly convex, so the optimum does not depend on the start; a nearby
    // start only saves Newton iterations.
    const warm = objectiveAt(rows, start);
    if (warm < objective) {
      theta.set(start);
      objective = warm;
    } else objectiveAt(rows, theta); // restore η for the default start
  }
  let gradientNorm = Infinity;
  let converged = false;
  let iterations = 0;
  const gradTol = params.tol * totalW;
  // Lazy Newton (Shamanskii): the factorised Hessian is reused while each step still shrinks the
  // gradient at least fourfold, and recomputed otherwise. Near the optimum a step then costs
  // O(n·d) instead of the O(n·d²) Hessian.
  let haveFactor = false;
  let previousGmax = Infinity;

  for (;;) {
    // Gradient at θ (η already holds θ's linear predictor); the Hessian only if another step is needed.
    const gmax = gradientAt(rows, theta, grad);
    gradientNorm = gmax / totalW;
    if (gmax <= gradTol) {
      converged = true;
      break;
    }
    if (iterations >= params.maxIter) break;
    iterations++;
    const refresh = !haveFactor || gmax > 0.25 * previousGmax;
    previousGmax = gmax;
    if (refresh) {
      hessianAt(rows, hess);
      factor.set(hess);
      haveFactor = true;
    }
    if (refresh && !choleskyInPlace(factor, q)) {
      // Only reachable when Σ w p(1−p) underflows (near-separable data with a huge C): add a ridge
      // just large enough to factorise, and say so.
      warnings.push(`logistic: Hessian not positive definite at iteration ${iterations}; added a small ridge`);
      factor.set(hess);
      for (let j = 0; j < q; j++) factor[j * q + j] += 1e-8 * totalW + 1e-12;
      if (!choleskyInPlace(factor, q)) {
        warnings.push('logistic: Hessian could not be factorised; stopping');
        break;
      }
    }
    for (let j = 0; j < q; j++) step[j] = grad[j];
    choleskySolveInPlace(factor, q, step);
    // Armijo backtracking on the penalised objective.
    let slope = 0;
    for (let j = 0; j < q; j++) slope -= grad[j] * step[j];
    let alpha = 1;
    let accepted = false;
    // Near the optimum the predicted decrease falls below the rounding noise of the objective and
    // Armijo would reject (and shrink) an exact Newton step; a full step that does not increase the
    // objective beyond that noise is accepted.
    const noise = 1e-13 * (Math.abs(objective) + 1);
    for (let halvings = 0; halvings < 40; halvings++) {
      for (let j = 0; j < q; j++) trial[j] = theta[j] - alpha * step[j];
      const fTrial = objectiveAt(rows, trial);
      if (fTrial <= objective + 1e-4 * alpha * slope || (alpha === 1 && fTrial <= objective + noise)) {
        objective = fTrial;
        theta.set(trial);
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted && !refresh) {
      // The stale Hessian gave a poor direction: retry from θ with a fresh one.
      objectiveAt(rows, theta);
      haveFactor = false;
      continue;
    }
    if (!accepted) {
      // No decrease is possible at floating-point resolution: we are at the optimum to machine
      // precision even if the gradient test is not met.
      objectiveAt(rows, theta);
      warnings.push(`logistic: line search made no progress (max |gradient|/Σw = ${gradientNorm.toExponential(2)})`);
      break;
    }
  }
  if (!converged) {
    warnings.push(
      `logistic: did not converge in ${iterations} Newton iterations (max |gradient|/Σw = ${gradientNorm.toExponential(2)}, tol ${params.tol})`,
    );
  }
  return {
    coef: theta.slice(0, d),
    intercept: theta[d],
    diagnostics: { iterations, converged, objective, gradientNorm, warnings },
  };
}

export class LogisticLearner implements ClassificationLearner {
  readonly name = 'logistic';
  readonly task = 'classification' as const;
  readonly params: Readonly<LogisticParams>;

  /**
   * Where fits start, set only by `anchorAt`: the zero-order loop anchors at the step's unperturbed
   * rows, and its 2K nearby fits then need about half the Newton iterations. Never the previous
   * fit's solution: that made a fit depend on which fits the same thread had done before, so
   * seeded runs differed with the number of worker threads.
   */
  private anchor: Float64Array | undefined;
  /** Newton's work buffers, kept across fits (condensation refits on every evaluation). */
  private readonly scratch = new ScratchBuffers();

  constructor(params: Partial<LogisticParams>, _rng?: Rng) {
    this.params = Object.freeze(resolveLogisticParams(this.name, params));
  }

  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel {
    const v = validateClassificationFit(this.name, X, target, weights);
    const constant = singleClassModel(this.name, v);
    if (constant) return constant;
    let design = X;
    if (v.missingCount > 0) {
      const filled = X.data.slice();
      for (let k = 0; k < filled.length; k++) if (filled[k] !== filled[k]) filled[k] = 0;
      design = { rows: X.rows, cols: X.cols, data: filled };
    }
    const fit = fitLogisticNewton(design, target.y, v.weights, this.params, this.anchor, this.scratch);
    if (v.missingCount > 0) {
      fit.diagnostics.warnings.unshift(`logistic: ${v.missingCount} missing value(s) in X contribute 0 to the linear predictor`);
    }
    return new LogisticModel(fit.coef, fit.intercept, fit.diagnostics);
  }

  anchorAt(X: Matrix, target: ClassificationTarget, weights?: Float64Array): void {
    this.anchor = undefined;
    const model = this.fit(X, target, weights);
    if (!(model instanceof LogisticModel) || !model.diagnostics.converged) return;
    const q = model.coef.length + 1;
    this.anchor = new Float64Array(q);
    this.anchor.set(model.coef);
    this.anchor[q - 1] = model.intercept;
  }
}

export const logisticSpec = defineLearner<LogisticParams>({
  name: 'logistic',
  task: 'classification',
  description: 'L2-penalised logistic regression (Newton–Cholesky; C = inverse penalty, intercept unpenalised)',
  defaults: logisticDefaults,
  create: (params, rng) => new LogisticLearner(params, rng),
});
