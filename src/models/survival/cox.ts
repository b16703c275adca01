/**
 * Cox proportional hazards regression, fitted the way R `survival::coxph` fits it (survival 3.x,
 * `coxfit6`): Newton–Raphson on the log partial likelihood with step halving, Efron or Breslow
 * handling of tied event times, case weights, and the same convergence rule — stop when
 * |1 − ℓ_old / ℓ_new| ≤ eps (default 1e-9, at most 20 iterations: `coxph.control()` defaults).
 *
 * Numerics, as in coxfit6: the data are sorted by time once; covariates are centred at their
 * weighted means and scaled by 1 / (weighted mean absolute deviation) internally (Newton's method
 * is affine-invariant, so the iterates equal the unscaled ones; only conditioning improves);
 * exp(η) is computed relative to max η (the partial likelihood is invariant to a common shift), so
 * it cannot overflow. The information matrix is factorised by an LDLᵀ with a pivot tolerance
 * (`cholesky.ts`): a constant or collinear covariate gets a zero Newton step, so its coefficient
 * stays 0 and a "singular" warning is reported (R reports NA for it).
 *
 * Optional ridge penalty: maximises ℓ(β) − ½·λ·‖β‖² on the original covariate scale (R
 * `ridge(theta = λ, scale = FALSE)`), which also keeps separated data finite.
 *
 * Baseline: the Breslow (ties = 'breslow') or Efron-corrected (ties = 'efron') cumulative hazard,
 * reported uncentred, i.e. at covariates = 0 (R `basehaz(fit, centered = FALSE)`), on the distinct
 * event times. Survival S(t | x) = exp(−H0(t)·exp(xβ)), a right-continuous step function.
 */
import type { Matrix } from '../../core/matrix.js';
import type { FitDiagnostics, SurvivalLearner, SurvivalModel, SurvivalTarget } from '../types.js';
import { ModelInputError } from '../types.js';
import { argsortRange } from '../../core/argsort.js';
import { ldlFactor, ldlSolve } from '../../core/linalg.js';
import { defineLearner } from '../params.js';
import { ScratchBuffers } from '../../core/scratch.js';
import { noEventsWarning, validateSurvivalFit } from './validate.js';

export type CoxTies = 'efron' | 'breslow';

export interface CoxOptions {
  /** Tie handling for the partial likelihood and the baseline hazard. Default 'efron' (as coxph). */
  ties?: CoxTies;
  /** Ridge penalty λ ≥ 0 on ½·λ·‖β‖² (original covariate scale). Default 0. */
  ridge?: number;
  /** Newton iterations cap (coxph.control iter.max). Default 20. */
  maxIterations?: number;
  /** Convergence tolerance on the relative change of the log partial likelihood. Default 1e-9. */
  eps?: number;
  /** Pivot tolerance of the LDLᵀ factorisation (coxph.control toler.chol). Default 2.22e-16^0.75. */
  cholTolerance?: number;
  /** Threshold of the "coefficient may be infinite" check (coxph.control toler.inf). Default √eps. */
  infTolerance?: number;
  /**
   * When > 0: after the fit, the coefficients are scaled so that the linear predictor's weighted sd
   * over the training rows is lpSd, and the baseline hazard is fitted for the scaled coefficients.
   * The model then carries the fit's direction at a fixed strength. Default 0: the maximum-likelihood
   * fit. A research option for the survival loss of a condensation (`--model cox:lpSd=1`): with it the
   * loss no longer rewards a weaker association, but nothing holds the association back either, and
   * tables drift towards separation (docs/RESULTS.md, "Session 34: the Cox model in the survival loss
   * at a fixed strength", rule M: not adopted).
   */
  lpSd?: number;
  /**
   * A shrinkage factor c in (0, 1]: the fitted coefficients multiplied by c (a fixed calibration
   * slope), the baseline hazard refitted for them. Default 1: the maximum-likelihood fit. The survival
   * loss of a condensation judges Cox with c = 0.5 by default (docs/RESULTS.md, "Session 34: the Cox
   * model in the survival loss with a fixed shrinkage", rule N).
   */
  shrinkage?: number;
}

export interface CoxDiagnostics extends FitDiagnostics {
  iterations: number;
  converged: boolean;
  /** Log partial likelihood at the returned β (without the ridge penalty). */
  loglik: number;
  /** Log partial likelihood at β = 0. */
  loglikNull: number;
  /** loglik − ½·λ·‖β‖² (equals loglik when ridge = 0). */
  penalisedLoglik: number;
  /** 0-based columns whose coefficient may be infinite (coxph's toler.inf rule; see fitCox). */
  divergentColumns: number[];
  warnings: string[];
}

/** The `cox` defaults, as R's coxph: Efron ties, no penalty, 20 Newton iterations, tolerance 1e-9; the fit not rescaled (lpSd 0, shrinkage 1). */
export const coxDefaults = { ties: 'efron', ridge: 0, maxIterations: 20, eps: 1e-9, lpSd: 0, shrinkage: 1 } as const satisfies CoxOptions;

const DEFAULT_CHOL_TOLERANCE = Math.pow(2.220446049250313e-16, 0.75);

/** Time-sorted, centred and scaled copy of the data plus every buffer the Newton loop reuses. */
interface CoxWorkspace {
  n: number;
  p: number;
  /** Row-major n × p, rows sorted by time ascending, z = (x − mean) · scale. */
  z: Float64Array;
  weight: Float64Array;
  event: Uint8Array;
  /** Tie groups of equal time over the sorted rows: group g is rows groupStart[g] .. groupStart[g+1]-1. */
  groupStart: Int32Array;
  /** Number of events with positive weight in each group. */
  groupDeaths: Int32Array;
  /** Group index of each sorted row. */
  groupOf: Int32Array;
  eta: Float64Array;
  riskWeight: Float64Array;
  s1: Float64Array;
  e1: Float64Array;
  /** One row per likelihood term (death, or Efron sub-term): the risk-set mean a = S1/S0 … */
  termMean: Float64Array;
  /** … and its weight. */
  termWeight: Float64Array;
  /** Number of likelihood terms: fixed by the tie groups and the tie method (`likelihoodTerms`). */
  termCount: number;
  /** Per group: Σ_terms w/denominator (the hazard increment seen by everyone at risk) … */
  groupHazard: Float64Array;
  /** … and Σ_terms w·(k/d)/denominator (the Efron correction seen by the group's deaths). */
  groupEfronCorrection: Float64Array;
  /** Per sorted row: its coefficient c_i in the information sum (scratch of `information`). */
  rowCoefficient: Float64Array;
  score: Float64Array;
  info: Float64Array;
}

function buildWorkspace(X: Matrix, target: SurvivalTarget, weights: Float64Array | undefined, efron: boolean, scratch: ScratchBuffers): {
  ws: CoxWorkspace; centre: Float64Array; scale: Float64Array; sortedTime: Float64Array;
} {
  const n = X.rows, p = X.cols;
  const order = identityOrder(scratch.i32('order', n));
  const time = target.time;
  argsortRange(time, order, 0, n, scratch.i32('sortScratch', n));
  // Unit weights as an array of ones (1·x = x and a sum of ones is exact: the same numbers), so
  // every loop below sees one kind of argument.
  const rowWeights = weights ?? scratch.f64('unitWeights', n).fill(1);

  // The model keeps `centre` (its means): a fresh array.
  const centre = new Float64Array(p), scale = scratch.f64('scale', p).fill(0);
  const totalWeight = sumOf(rowWeights, n);
  addWeightedRows(X, rowWeights, centre);
  divideBy(centre, totalWeight);
  addWeightedAbsoluteDeviations(X, rowWeights, centre, scale);
  invertScales(scale, totalWeight);

  const z = scratch.f64('z', n * p), weight = scratch.f64('weight', n), event = scratch.u8('event', n);
  const sortedTime = scratch.f64('sortedTime', n);
  sortRows(X, rowWeights, target.event, time, order, centre, scale, z, weight, event, sortedTime);
  const nGroups = countGroups(sortedTime);
  const groupStart = scratch.i32('groupStart', nGroups + 1), groupDeaths = scratch.i32('groupDeaths', nGroups).fill(0);
  const groupOf = scratch.i32('groupOf', n);
  const deathRows = assignGroups(sortedTime, event, weight, groupStart, groupDeaths, groupOf);
  groupStart[nGroups] = n;
  const ws: CoxWorkspace = {
    n, p, z, weight, event, groupStart, groupDeaths, groupOf,
    eta: scratch.f64('eta', n),
    riskWeight: scratch.f64('riskWeight', n),
    s1: scratch.f64('s1', p),
    e1: scratch.f64('e1', p),
    termMean: scratch.f64('termMean', deathRows * p),
    termWeight: scratch.f64('termWeight', deathRows),
    termCount: likelihoodTerms(groupDeaths, efron),
    groupHazard: scratch.f64('groupHazard', nGroups),
    groupEfronCorrection: scratch.f64('groupEfronCorrection', nGroups),
    rowCoefficient: scratch.f64('rowCoefficient', n),
    score: scratch.f64('score', p),
    info: scratch.f64('info', p * p),
  };
  return { ws, centre, scale, sortedTime };
}

function identityOrder(order: Int32Array): Int32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order;
}

function sumOf(values: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  return sum;
}

/** out[j] += Σ_i w_i·X_ij (row order). */
function addWeightedRows(X: Matrix, w: Float64Array, out: Float64Array): void {
  const p = X.cols, data = X.data;
  for (let i = 0; i < X.rows; i++) {
    const wi = w[i];
    const row = i * p;
    for (let j = 0; j < p; j++) out[j] += wi * data[row + j];
  }
}

function divideBy(values: Float64Array, divisor: number): void {
  for (let j = 0; j < values.length; j++) values[j] /= divisor;
}

/** out[j] += Σ_i w_i·|X_ij − centre_j| (row order). */
function addWeightedAbsoluteDeviations(X: Matrix, w: Float64Array, centre: Float64Array, out: Float64Array): void {
  const p = X.cols, data = X.data;
  for (let i = 0; i < X.rows; i++) {
    const wi = w[i];
    const row = i * p;
    for (let j = 0; j < p; j++) out[j] += wi * Math.abs(data[row + j] - centre[j]);
  }
}

/** Mean absolute deviations (as sums) to scale factors: total / sum, or 1 for a constant column. */
function invertScales(scale: Float64Array, totalWeight: number): void {
  for (let j = 0; j < scale.length; j++) scale[j] = scale[j] > 0 ? totalWeight / scale[j] : 1;
}

/** The rows in time order: z = (x − centre)·scale, and their weights, events and times. */
function sortRows(
  X: Matrix, w: Float64Array, events: Uint8Array, time: Float64Array, order: Int32Array, centre: Float64Array, scale: Float64Array,
  z: Float64Array, weight: Float64Array, event: Uint8Array, sortedTime: Float64Array,
): void {
  const p = X.cols, data = X.data;
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    const src = i * p, dst = r * p;
    for (let j = 0; j < p; j++) z[dst + j] = (data[src + j] - centre[j]) * scale[j];
    weight[r] = w[i];
    event[r] = events[i];
    sortedTime[r] = time[i];
  }
}

/** Number of distinct values of the sorted `times`. */
function countGroups(times: Float64Array): number {
  let groups = 0;
  for (let r = 0; r < times.length; r++) if (r === 0 || times[r] !== times[r - 1]) groups++;
  return groups;
}

/** Tie groups of the sorted rows (all but the closing `groupStart` entry); returns the number of death rows. */
function assignGroups(sortedTime: Float64Array, event: Uint8Array, weight: Float64Array, groupStart: Int32Array, groupDeaths: Int32Array, groupOf: Int32Array): number {
  let deathRows = 0;
  for (let r = 0, g = -1; r < sortedTime.length; r++) {
    if (r === 0 || sortedTime[r] !== sortedTime[r - 1]) groupStart[++g] = r;
    groupOf[r] = g;
    if (event[r] === 1 && weight[r] > 0) {
      groupDeaths[g]++;
      deathRows++;
    }
  }
  return deathRows;
}

/**
 * How the loops of this file are cut into functions, and why. V8 compiles a function whose first
 * call runs a long loop while that call is still in the loop (on-stack replacement), before the
 * code after the loop has ever run; it then keeps that compiled code, which bails out to the
 * interpreter at the code it had never seen on every later call that reaches it (in an experiment
 * grid on support, 1,286 bail-outs of `partialLikelihood`, 364 of the risk weights, 131 of the
 * baseline; `node --trace-deopt`). So each function here has at most one loop over rows or tie
 * groups, at its end, with nothing after it but its return value, and the glue between loops
 * lives in loop-free callers.
 */

/** Likelihood terms of the tie groups: one per group with deaths, or one per death for Efron ties. */
function likelihoodTerms(groupDeaths: Int32Array, efron: boolean): number {
  let terms = 0;
  for (let g = 0; g < groupDeaths.length; g++) {
    const deaths = groupDeaths[g];
    terms += deaths === 0 ? 0 : efron && deaths > 1 ? deaths : 1;
  }
  return terms;
}

/** Computes η = zβ and w·exp(η − max η); returns the shift max η. Rows with zero weight get 0. */
function computeRiskWeights(ws: CoxWorkspace, beta: Float64Array): number {
  const shift = linearPredictors(ws, beta);
  shiftedRiskWeights(ws, shift);
  return shift;
}

/** η = zβ into `ws.eta`; returns max η. */
function linearPredictors(ws: CoxWorkspace, beta: Float64Array): number {
  const { n, p, z, eta } = ws;
  let shift = -Infinity;
  for (let i = 0; i < n; i++) {
    let e = 0;
    const row = i * p;
    for (let j = 0; j < p; j++) e += z[row + j] * beta[j];
    eta[i] = e;
    if (e > shift) shift = e;
  }
  return shift;
}

function shiftedRiskWeights(ws: CoxWorkspace, shift: number): void {
  const { n, eta, riskWeight, weight } = ws;
  for (let i = 0; i < n; i++) riskWeight[i] = weight[i] * Math.exp(eta[i] - shift);
}

/**
 * Log partial likelihood at β (scaled coordinates), with its score in `ws.score`; `information`
 * then gives the observed information (negative Hessian, lower triangle) in `ws.info`.
 *
 * Pass 1 walks the tie groups from the latest time down, so the risk-set sums S0, S1 (Σ over
 * time ≥ t of w·e^η·{1, z}) grow by one group at a time; it yields ℓ, the score, and per likelihood
 * term its mean a = S1/S0 and weight. Pass 2 uses
 *   I = Σ_terms v·(S2/S0 − a·aᵀ) = Σ_i c_i z_i z_iᵀ − Σ_terms v·a·aᵀ,
 * where c_i = w_i e^η_i · (Σ of v/S0 over the terms whose risk set contains i), so the p × p work is
 * (n + #terms)·p²/2 multiply-adds without forming S2 at every time.
 *
 * Efron (d tied deaths with weights w, mean weight w̄ = Σw/d): the k-th of the d terms uses the
 * denominator S0 − (k/d)·E0 (E = the same sums over the group's deaths only) with weight w̄ — R
 * coxfit6's weighted Efron approximation; the deaths' own contribution to its S2 part is reduced
 * by the (k/d) factor, which is the group's "Efron correction" in c_i.
 */
function partialLikelihood(ws: CoxWorkspace, beta: Float64Array, efron: boolean): number {
  const { p, z, event, weight, groupStart, groupDeaths, eta, riskWeight, s1, e1, score, termMean, termWeight, groupHazard, groupEfronCorrection } = ws;
  const shift = computeRiskWeights(ws, beta);
  s1.fill(0);
  score.fill(0);
  let s0 = 0;
  let loglik = 0;
  let terms = 0;
  const nGroups = groupStart.length - 1;
  for (let g = nGroups - 1; g >= 0; g--) {
    const start = groupStart[g], end = groupStart[g + 1];
    groupEfronCorrection[g] = 0;
    if (end - start === 1) {
      // A time of its own (the usual case with continuous times): the same operations in the same
      // order as the general loop below, in one pass over the columns instead of three.
      const r = riskWeight[start];
      const row = start * p;
      s0 += r;
      if (event[start] === 1 && weight[start] > 0) {
        const w = weight[start];
        loglik += w * (eta[start] - shift);
        loglik -= w * Math.log(s0);
        const dst = terms * p;
        for (let j = 0; j < p; j++) {
          const zj = z[row + j];
          const sum = s1[j] + r * zj;
          s1[j] = sum;
          const a = sum / s0;
          termMean[dst + j] = a;
          score[j] = score[j] + w * zj - w * a;
        }
        termWeight[terms++] = w;
        groupHazard[g] = w / s0;
      } else {
        for (let j = 0; j < p; j++) s1[j] += r * z[row + j];
        groupHazard[g] = 0;
      }
      continue;
    }
    const deaths = groupDeaths[g];
    const tiedEfron = efron && deaths > 1;
    let e0 = 0, deathWeight = 0;
    if (tiedEfron) e1.fill(0);
    for (let i = start; i < end; i++) {
      const r = riskWeight[i];
      const row = i * p;
      s0 += r;
      for (let j = 0; j < p; j++) s1[j] += r * z[row + j];
      if (event[i] === 1 && weight[i] > 0) {
        const w = weight[i];
        deathWeight += w;
        loglik += w * (eta[i] - shift);
        for (let j = 0; j < p; j++) score[j] += w * z[row + j];
        if (tiedEfron) {
          e0 += r;
          for (let j = 0; j < p; j++) e1[j] += r * z[row + j];
        }
      }
    }
    groupHazard[g] = 0;
    if (deaths === 0) continue;
    if (!tiedEfron) {
      loglik -= deathWeight * Math.log(s0);
      const dst = terms * p;
      for (let j = 0; j < p; j++) {
        const a = s1[j] / s0;
        termMean[dst + j] = a;
        score[j] -= deathWeight * a;
      }
      termWeight[terms++] = deathWeight;
      groupHazard[g] = deathWeight / s0;
    } else {
      const meanWeight = deathWeight / deaths;
      let hazard = 0, correction = 0;
      for (let m = 0; m < deaths; m++) {
        const f = m / deaths;
        const denom = s0 - f * e0;
        loglik -= meanWeight * Math.log(denom);
        const dst = terms * p;
        for (let j = 0; j < p; j++) {
          const a = (s1[j] - f * e1[j]) / denom;
          termMean[dst + j] = a;
          score[j] -= meanWeight * a;
        }
        termWeight[terms++] = meanWeight;
        hazard += meanWeight / denom;
        correction += (meanWeight * f) / denom;
      }
      groupHazard[g] = hazard;
      groupEfronCorrection[g] = correction;
    }
  }
  return loglik;
}

/** Pass 2 of `partialLikelihood` (same β): the information matrix from the stored terms. */
function information(ws: CoxWorkspace): void {
  const { p, info, rowCoefficient, termWeight, termCount } = ws;
  info.fill(0);
  riskSetCoefficients(ws);
  addWeightedOuterProducts(info, p, ws.z, rowCoefficient, ws.n);
  negate(termWeight, termCount);
  addWeightedOuterProducts(info, p, ws.termMean, termWeight, termCount);
  negate(termWeight, termCount);
}

/** c_i of `partialLikelihood`'s comment into `ws.rowCoefficient`. */
function riskSetCoefficients(ws: CoxWorkspace): void {
  const { event, weight, groupStart, riskWeight, groupHazard, groupEfronCorrection, rowCoefficient } = ws;
  // Row i is at risk in every group at or before its own: ascending cumulative sum of the hazards.
  let cumulative = 0;
  const nGroups = groupStart.length - 1;
  for (let g = 0; g < nGroups; g++) {
    cumulative += groupHazard[g];
    for (let i = groupStart[g]; i < groupStart[g + 1]; i++) {
      let c = cumulative;
      if (event[i] === 1 && weight[i] > 0) c -= groupEfronCorrection[g];
      rowCoefficient[i] = c * riskWeight[i];
    }
  }
}

function negate(values: Float64Array, count: number): void {
  for (let t = 0; t < count; t++) values[t] = -values[t];
}

/**
 * Lower triangle of  M += Σ_r coef[r] · v_r v_rᵀ  over the first `count` rows v_r of the row-major
 * `vectors` (p columns). This is the hot loop of the Cox fit. Four rows per sweep, so each entry of
 * M is loaded and stored once per four rank-one updates; and two rows j, j + 1 of M per inner loop,
 * so each element of the four vectors loaded there serves both. Every entry still receives the same
 * additions in the same order (one four-term sum per sweep), so the result is the same to the bit.
 */
function addWeightedOuterProducts(m: Float64Array, p: number, vectors: Float64Array, coef: Float64Array, count: number): void {
  addRemainingOuterProducts(m, p, vectors, coef, addOuterProductsByFour(m, p, vectors, coef, count), count);
}

/** The sweeps of four rows of `addWeightedOuterProducts`; returns the first row left over. */
function addOuterProductsByFour(m: Float64Array, p: number, vectors: Float64Array, coef: Float64Array, count: number): number {
  let r = 0;
  for (; r + 3 < count; r += 4) {
    const c0 = coef[r], c1 = coef[r + 1], c2 = coef[r + 2], c3 = coef[r + 3];
    const o0 = r * p, o1 = o0 + p, o2 = o1 + p, o3 = o2 + p;
    let j = 0;
    for (; j + 1 < p; j += 2) {
      const a0 = c0 * vectors[o0 + j], a1 = c1 * vectors[o1 + j], a2 = c2 * vectors[o2 + j], a3 = c3 * vectors[o3 + j];
      const j1 = j + 1;
      const b0 = c0 * vectors[o0 + j1], b1 = c1 * vectors[o1 + j1], b2 = c2 * vectors[o2 + j1], b3 = c3 * vectors[o3 + j1];
      const rowJ = j * p, rowJ1 = rowJ + p;
      for (let k = 0; k <= j; k++) {
        const v0 = vectors[o0 + k], v1 = vectors[o1 + k], v2 = vectors[o2 + k], v3 = vectors[o3 + k];
        m[rowJ + k] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
        m[rowJ1 + k] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
      }
      m[rowJ1 + j1] += b0 * vectors[o0 + j1] + b1 * vectors[o1 + j1] + b2 * vectors[o2 + j1] + b3 * vectors[o3 + j1];
    }
    if (j < p) {
      // Odd p: the last row of M alone.
      const a0 = c0 * vectors[o0 + j], a1 = c1 * vectors[o1 + j], a2 = c2 * vectors[o2 + j], a3 = c3 * vectors[o3 + j];
      const rowJ = j * p;
      for (let k = 0; k <= j; k++) m[rowJ + k] += a0 * vectors[o0 + k] + a1 * vectors[o1 + k] + a2 * vectors[o2 + k] + a3 * vectors[o3 + k];
    }
  }
  return r;
}

/** Rows `from` … `count` − 1 of `addWeightedOuterProducts`, one at a time. */
function addRemainingOuterProducts(m: Float64Array, p: number, vectors: Float64Array, coef: Float64Array, from: number, count: number): void {
  for (let r = from; r < count; r++) {
    const c = coef[r];
    if (c === 0) continue;
    const o = r * p;
    for (let j = 0; j < p; j++) {
      const a = c * vectors[o + j];
      const rowJ = j * p;
      for (let k = 0; k <= j; k++) m[rowJ + k] += a * vectors[o + k];
    }
  }
}

/** The fitted Cox model: coefficients on the original covariate scale and the baseline hazard. */
export class CoxModel implements SurvivalModel {
  readonly task = 'survival' as const;

  constructor(
    /** β on the original covariate scale (0 for singular columns). */
    readonly coefficients: Float64Array,
    /** Weighted training means used for centring; prediction uses η − mean·β for stability. */
    readonly means: Float64Array,
    /** Distinct event times (ascending) where the baseline hazard jumps. */
    readonly baselineTimes: Float64Array,
    /** Cumulative baseline hazard at covariates = mean, at `baselineTimes`. */
    private readonly centredCumulativeHazard: Float64Array,
    readonly diagnostics: CoxDiagnostics,
  ) {}

  /** Uncentred baseline cumulative hazard H0 at `baselineTimes` (R `basehaz(fit, centered = FALSE)`). */
  get baselineCumulativeHazard(): Float64Array {
    return this.baselineCumulativeHazardAt(this.baselineTimes);
  }

  /** H0(t) at covariates = 0 for each of `times` (right-continuous step function; 0 before the first event). */
  baselineCumulativeHazardAt(times: ArrayLike<number>): Float64Array {
    const factor = Math.exp(-this.meanLinearPredictor());
    const out: Float64Array = new Float64Array(times.length);
    for (let q = 0; q < times.length; q++) out[q] = this.centredHazardAt(times[q]) * factor;
    return out;
  }

  /** Risk score xβ (the linear predictor, uncentred as R `predict(type = "lp", reference = "zero")`). */
  predictRisk(X: Matrix, out: Float64Array = new Float64Array(X.rows)): Float64Array {
    const p = this.coefficients.length;
    checkColumns(X, p);
    const beta = this.coefficients;
    for (let i = 0; i < X.rows; i++) {
      let s = 0;
      const row = i * p;
      for (let j = 0; j < p; j++) s += X.data[row + j] * beta[j];
      out[i] = s;
    }
    return out;
  }

  /**
   * S(t | x) = exp(−H_c(t)·exp((x − mean)·β)) at `times` (ascending), row-major; NaN features give
   * NaN. The baseline is evaluated once per call, then one exp per row and per entry.
   */
  predictSurvival(X: Matrix, times: Float64Array, out: Float64Array = new Float64Array(X.rows * times.length)): Float64Array {
    const p = this.coefficients.length, nTimes = times.length;
    checkColumns(X, p);
    const hazard = new Float64Array(nTimes);
    for (let k = 0; k < nTimes; k++) hazard[k] = this.centredHazardAt(times[k]);
    const beta = this.coefficients, means = this.means;
    for (let i = 0; i < X.rows; i++) {
      let eta = 0;
      const row = i * p;
      for (let j = 0; j < p; j++) eta += (X.data[row + j] - means[j]) * beta[j];
      const relativeRisk = Math.exp(eta);
      const dst = i * nTimes;
      for (let k = 0; k < nTimes; k++) out[dst + k] = hazard[k] === 0 ? (Number.isNaN(eta) ? NaN : 1) : Math.exp(-hazard[k] * relativeRisk);
    }
    return out;
  }

  private meanLinearPredictor(): number {
    let s = 0;
    for (let j = 0; j < this.coefficients.length; j++) s += this.means[j] * this.coefficients[j];
    return s;
  }

  private centredHazardAt(t: number): number {
    const times = this.baselineTimes;
    let lo = 0, hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.centredCumulativeHazard[lo - 1];
  }
}

function checkColumns(X: Matrix, p: number): void {
  if (X.cols !== p) throw new ModelInputError(`cox: X has ${X.cols} columns, the model was fitted on ${p}`);
}

/** Check the given options' ranges and fill in the defaults (`coxDefaults`). */
export function resolveCoxParams(learner: string, options: CoxOptions): Required<Pick<CoxOptions, keyof typeof coxDefaults>> {
  const ties = options.ties ?? coxDefaults.ties;
  if (ties !== 'efron' && ties !== 'breslow') throw new ModelInputError(`${learner}: ties must be "efron" or "breslow", got "${String(ties)}"`);
  const ridge = options.ridge ?? coxDefaults.ridge;
  if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new ModelInputError(`${learner}: ridge = ${ridge} must be a finite number ≥ 0`);
  const maxIterations = options.maxIterations ?? coxDefaults.maxIterations;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) throw new ModelInputError(`${learner}: maxIterations = ${maxIterations} must be an integer ≥ 0`);
  const eps = options.eps ?? coxDefaults.eps;
  if (!(eps > 0 && Number.isFinite(eps))) throw new ModelInputError(`${learner}: eps = ${eps} must be a finite number > 0`);
  const lpSd = options.lpSd ?? coxDefaults.lpSd;
  if (!(lpSd >= 0) || !Number.isFinite(lpSd)) throw new ModelInputError(`${learner}: lpSd = ${lpSd} must be a finite number ≥ 0`);
  const shrinkage = options.shrinkage ?? coxDefaults.shrinkage;
  if (!(shrinkage > 0 && shrinkage <= 1)) throw new ModelInputError(`${learner}: shrinkage = ${shrinkage} must be in (0, 1]`);
  if (lpSd > 0 && shrinkage !== 1) throw new ModelInputError(`${learner}: lpSd and shrinkage cannot both be set`);
  return { ties, ridge, maxIterations, eps, lpSd, shrinkage };
}

/**
 * Fits a Cox model (see the module comment for the algorithm and its R counterpart). Throws
 * ModelInputError for invalid input (see `validateSurvivalFit`). Non-convergence and divergent
 * coefficients are reported in `diagnostics` (converged = false / warnings), never silently.
 */
export function fitCox(X: Matrix, target: SurvivalTarget, weights?: Float64Array, options: CoxOptions = {}, scratch = new ScratchBuffers()): CoxModel {
  const eventWeight = validateSurvivalFit('cox', X, target, weights);
  const { ties, ridge, maxIterations, eps, lpSd, shrinkage } = resolveCoxParams('cox', options);
  const cholTolerance = options.cholTolerance ?? DEFAULT_CHOL_TOLERANCE;
  const infTolerance = options.infTolerance ?? Math.sqrt(eps);
  const efron = ties === 'efron';
  if (eventWeight === 0) return noEventCoxModel(X.cols);

  const { ws, centre, scale, sortedTime } = buildWorkspace(X, target, weights, efron, scratch);
  const p = ws.p;
  // Penalty ½λ‖β‖² on the original scale, where β_j = β̃_j · scale_j for the internal coordinates β̃.
  const ridgeDiagonal = scratch.f64('ridgeDiagonal', p);
  for (let j = 0; j < p; j++) ridgeDiagonal[j] = ridge * scale[j] * scale[j];
  /** Pass 1 at β: the penalised loglik (returned) and score; the unpenalised loglik in `unpenalised`. */
  let unpenalised = 0;
  const evaluate = (beta: Float64Array): number => {
    unpenalised = partialLikelihood(ws, beta, efron);
    if (ridge === 0) return unpenalised;
    let pen = 0;
    for (let j = 0; j < p; j++) {
      pen += ridgeDiagonal[j] * beta[j] * beta[j];
      ws.score[j] -= ridgeDiagonal[j] * beta[j];
    }
    return unpenalised - 0.5 * pen;
  };
  /** Pass 2 at the β last given to `evaluate` (only needed where a Newton step is taken). */
  const completeInformation = (): void => {
    information(ws);
    for (let j = 0; j < p; j++) ws.info[j * p + j] += ridgeDiagonal[j];
  };

  const factor = scratch.f64('factor', p * p);
  const singular = scratch.u8('singular', p);
  const step = scratch.f64('step', p);
  /** Factorises the current information and solves for the Newton step into `step`. */
  const newtonStep = (): void => {
    factor.set(ws.info);
    ldlFactor(factor, p, cholTolerance, singular);
    step.set(ws.score);
    ldlSolve(factor, p, step);
  };

  const start = scratch.f64('beta', p).fill(0);
  const trial = scratch.f64('newBeta', p);
  const startLoglik = evaluate(start);
  const loglikNull = unpenalised;
  completeInformation();
  newtonStep();
  for (let j = 0; j < p; j++) trial[j] = start[j] + step[j];
  // `beta` is the last accepted point (loglik `bestLoglik`), `newBeta` the last evaluated one.
  const { iterations, converged, beta, bestLoglik, bestUnpenalised, newBeta, lastLoglik, lastUnpenalised } = newtonIterations(
    { p, maxIterations, eps, step, evaluate, unpenalised: () => unpenalised, completeInformation, newtonStep },
    start, trial, startLoglik, loglikNull,
  );

  // R returns the last evaluated β; we return it when it is at least as good as the last accepted
  // one (always so after convergence), and otherwise keep the better, accepted β. With
  // maxIterations = 0 the initial β = 0 is returned (ws still holds its score and information).
  let finalBeta = newBeta;
  let finalLoglik = lastLoglik, finalUnpenalised = lastUnpenalised;
  if (iterations === 0) {
    finalBeta = beta;
  } else if (!converged && !(lastLoglik >= bestLoglik)) {
    finalBeta = beta;
    finalLoglik = bestLoglik;
    finalUnpenalised = bestUnpenalised;
    evaluate(beta);
    completeInformation();
  } else {
    completeInformation();
  }

  const warnings: string[] = [];
  const divergentColumns: number[] = [];
  const coefficients = new Float64Array(p);
  for (let j = 0; j < p; j++) coefficients[j] = finalBeta[j] * scale[j];
  // Final factorisation at the returned β: singular columns, and the Newton step that would follow.
  newtonStep();
  const singularColumns: number[] = [];
  for (let j = 0; j < p; j++) if (singular[j]) singularColumns.push(j + 1);
  if (singularColumns.length > 0) {
    warnings.push(`X matrix deemed to be singular; variable ${singularColumns.join(', ')} (coefficient kept at 0)`);
  }
  if (iterations === 0) {
    warnings.push('maxIterations = 0: coefficients are the initial values (0)');
  } else if (!converged) {
    warnings.push(`Ran out of iterations (${maxIterations}) and did not converge`);
  } else if (maxIterations > 1) {
    // coxph.fit: a coefficient whose remaining Newton step is still large relative to itself after
    // the loglik has converged is running off to ±∞ (monotone likelihood, separated data).
    for (let j = 0; j < p; j++) {
      const remaining = Math.abs(step[j] * scale[j]);
      if (remaining > eps && remaining > infTolerance * Math.abs(coefficients[j])) divergentColumns.push(j);
    }
    if (divergentColumns.length > 0) warnings.push(`Loglik converged before variable ${divergentColumns.map((j) => j + 1).join(', ')}; coefficient may be infinite`);
  }
  for (let j = 0; j < p; j++) {
    if (!Number.isFinite(coefficients[j])) {
      warnings.push(`coefficient ${j + 1} is not finite`);
      break;
    }
  }

  // `lpSd` / `shrinkage`: the coefficients rescaled (to a linear-predictor sd of lpSd over the
  // training rows, or by the factor `shrinkage`) and the baseline hazard refitted for them; the
  // diagnostics above are the maximum-likelihood fit's own.
  if (lpSd > 0 || shrinkage !== 1) {
    const k = lpSd > 0 ? lpSd / linearPredictorSd(ws, finalBeta) : shrinkage;
    if (Number.isFinite(k) && k > 0) {
      finalBeta = Float64Array.from(finalBeta, (b) => b * k);
      for (let j = 0; j < p; j++) coefficients[j] *= k;
    }
  }
  const { times, centredCumulativeHazard } = baselineHazard(ws, finalBeta, efron, sortedTime, scratch);
  const diagnostics: CoxDiagnostics = {
    iterations,
    converged,
    loglik: finalUnpenalised,
    loglikNull,
    penalisedLoglik: finalLoglik,
    divergentColumns,
    warnings,
  };
  return new CoxModel(coefficients, centre, times, centredCumulativeHazard, diagnostics);
}

/** Weighted sd over the workspace's rows of the linear predictor z·β (z centred and scaled). */
function linearPredictorSd(ws: CoxWorkspace, beta: Float64Array): number {
  let total = 0;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < ws.n; i++) {
    let lp = 0;
    for (let j = 0; j < ws.p; j++) lp += ws.z[i * ws.p + j] * beta[j];
    total += ws.weight[i];
    sum += ws.weight[i] * lp;
    squares += ws.weight[i] * lp * lp;
  }
  return Math.sqrt(Math.max(0, squares / total - (sum / total) ** 2));
}

/** What `newtonIterations` needs of a fit: its pass 1 and 2 and its Newton step (into `step`). */
interface NewtonProblem {
  p: number;
  maxIterations: number;
  eps: number;
  step: Float64Array;
  /** Pass 1 at β: the penalised loglik, with the score. */
  evaluate: (beta: Float64Array) => number;
  /** The unpenalised loglik of the last `evaluate`. */
  unpenalised: () => number;
  completeInformation: () => void;
  newtonStep: () => void;
}

interface NewtonOutcome {
  iterations: number;
  converged: boolean;
  /** The last accepted point and its (penalised, unpenalised) logliks. */
  beta: Float64Array;
  bestLoglik: number;
  bestUnpenalised: number;
  /** The last evaluated point and its logliks. */
  newBeta: Float64Array;
  lastLoglik: number;
  lastUnpenalised: number;
}

/**
 * coxfit6's Newton–Raphson loop with step halving, from the accepted `beta` (loglik `bestLoglik`,
 * unpenalised `loglikNull`) and the first trial point `newBeta`. A function of its own that ends
 * with its loop (see the note above `likelihoodTerms`): inside `fitCox`, V8 compiled the loop on
 * stack and every later fit bailed out of that code after the loop (an experiment grid on
 * support, `node --trace-deopt`: 101 bail-outs of one `fitCox` code object, wrong map).
 */
function newtonIterations(problem: NewtonProblem, beta: Float64Array, newBeta: Float64Array, bestLoglik: number, loglikNull: number): NewtonOutcome {
  const { p, maxIterations, eps, step } = problem;
  const outcome: NewtonOutcome = {
    iterations: 0, converged: false, beta, bestLoglik, bestUnpenalised: loglikNull, newBeta, lastLoglik: bestLoglik, lastUnpenalised: loglikNull,
  };
  let halving = false;
  for (let iter = 1; iter <= maxIterations; iter++) {
    outcome.iterations = iter;
    outcome.lastLoglik = problem.evaluate(outcome.newBeta);
    outcome.lastUnpenalised = problem.unpenalised();
    const relativeChange = Math.abs(1 - outcome.bestLoglik / outcome.lastLoglik);
    if (!halving && (relativeChange <= eps || outcome.lastLoglik === outcome.bestLoglik)) {
      outcome.converged = true;
      break;
    }
    if (iter === maxIterations) break;
    if (!(outcome.lastLoglik >= outcome.bestLoglik)) {
      // Not improving (or non-finite): halve the increment, as coxfit6.
      halving = true;
      for (let j = 0; j < p; j++) outcome.newBeta[j] = (outcome.newBeta[j] + outcome.beta[j]) / 2;
    } else {
      halving = false;
      outcome.bestLoglik = outcome.lastLoglik;
      outcome.bestUnpenalised = outcome.lastUnpenalised;
      problem.completeInformation();
      problem.newtonStep();
      const accepted = outcome.newBeta;
      outcome.newBeta = outcome.beta;
      outcome.beta = accepted;
      for (let j = 0; j < p; j++) outcome.newBeta[j] = outcome.beta[j] + step[j];
    }
  }
  return outcome;
}

/**
 * Without events the partial likelihood is 1 for every β (R `coxph`: NA coefficients, loglik 0):
 * β = 0 (our convention for coefficients the data do not determine, as for singular columns) and
 * no baseline jump, so S(t | x) = 1 and every row has risk 0.
 */
function noEventCoxModel(p: number): CoxModel {
  const diagnostics: CoxDiagnostics = { iterations: 0, converged: true, loglik: 0, loglikNull: 0, penalisedLoglik: 0, divergentColumns: [], warnings: [noEventsWarning('cox')] };
  return new CoxModel(new Float64Array(p), new Float64Array(p), new Float64Array(0), new Float64Array(0), diagnostics);
}

/**
 * Breslow (or, for Efron ties, the Efron-corrected) cumulative hazard at the centring point, at the
 * distinct event times: increment Σw_d / S0 (Breslow) or Σ_{k<d} w̄ / (S0 − (k/d)·E0) (Efron), as R
 * `survfit.coxph` with ctype 1 / 2. The shift of exp(η − shift) is undone at the end.
 */
function baselineHazard(ws: CoxWorkspace, beta: Float64Array, efron: boolean, sortedTime: Float64Array, scratch: ScratchBuffers): {
  times: Float64Array; centredCumulativeHazard: Float64Array;
} {
  const shift = computeRiskWeights(ws, beta);
  const nEventTimes = countPositive(ws.groupDeaths);
  const times = new Float64Array(nEventTimes);
  const increments = scratch.f64('increments', nEventTimes);
  hazardIncrements(ws, efron, sortedTime, times, increments);
  const centredCumulativeHazard = new Float64Array(nEventTimes);
  cumulativeSum(increments, Math.exp(-shift), centredCumulativeHazard);
  return { times, centredCumulativeHazard };
}

function countPositive(values: Int32Array): number {
  let count = 0;
  for (let g = 0; g < values.length; g++) if (values[g] > 0) count++;
  return count;
}

/** Per event time (ascending, into `times`), its baseline hazard increment before the unshift. */
function hazardIncrements(ws: CoxWorkspace, efron: boolean, sortedTime: Float64Array, times: Float64Array, increments: Float64Array): void {
  const { event, weight, groupStart, groupDeaths, riskWeight } = ws;
  let slot = times.length;
  let s0 = 0;
  for (let g = groupStart.length - 2; g >= 0; g--) {
    const start = groupStart[g], end = groupStart[g + 1];
    let e0 = 0, deathWeight = 0;
    for (let i = start; i < end; i++) {
      s0 += riskWeight[i];
      if (event[i] === 1 && weight[i] > 0) {
        e0 += riskWeight[i];
        deathWeight += weight[i];
      }
    }
    const deaths = groupDeaths[g];
    if (deaths === 0) continue;
    let increment: number;
    if (!efron || deaths === 1) increment = deathWeight / s0;
    else {
      increment = 0;
      const meanWeight = deathWeight / deaths;
      for (let m = 0; m < deaths; m++) increment += meanWeight / (s0 - (m / deaths) * e0);
    }
    slot--;
    times[slot] = sortedTime[start];
    increments[slot] = increment;
  }
}

/** out[k] = (increments[0] + … + increments[k]) · factor. */
function cumulativeSum(increments: Float64Array, factor: number, out: Float64Array): void {
  let cumulative = 0;
  for (let k = 0; k < out.length; k++) {
    cumulative += increments[k];
    out[k] = cumulative * factor;
  }
}

/** The `cox` learner: hyperparameters fixed at construction, `fit` returns a CoxModel. */
export class CoxLearner implements SurvivalLearner {
  readonly name = 'cox';
  readonly task = 'survival' as const;
  readonly params: Readonly<CoxOptions>;
  /**
   * Work buffers kept across fits: a fit then allocates only what its model keeps (coefficients,
   * means, baseline). About twenty fresh typed arrays per fit were about a sixth of a Cox fit at
   * m = 200, p = 30.
   */
  private readonly scratch = new ScratchBuffers();

  constructor(options: CoxOptions = {}) {
    resolveCoxParams(this.name, options);
    this.params = { ...options };
  }

  fit(X: Matrix, target: SurvivalTarget, weights?: Float64Array): CoxModel {
    return fitCox(X, target, weights, this.params, this.scratch);
  }
}

export const coxSpec = defineLearner<CoxOptions>({
  name: 'cox',
  task: 'survival',
  description: 'Cox proportional hazards (Newton–Raphson as R coxph; Efron or Breslow ties; optional ridge 0.5·λ·‖β‖²)',
  defaults: coxDefaults,
  // Resolved here, so the receipt lists every parameter with its value (as the other learners).
  create: (params) => new CoxLearner(resolveCoxParams('cox', params)),
});
