/**
 * Noise calibration: the smallest noise multiplier that keeps a planned run within its ε budget.
 *
 * ε(σ) of T Poisson-subsampled Gaussian steps (added to whatever was already spent) decreases
 * continuously in σ, so bisection on σ finds the boundary. We always return the upper end of the
 * final bracket — a σ whose ε, computed by exactly the arithmetic the ledger uses, is ≤ the
 * target — so rounding is always toward more privacy, and charging the ledger with the calibrated
 * σ cannot fail for lack of budget.
 */
import { PrivacyBudgetError, PrivacyParameterError } from './errors.js';
import { addRdp, EXTENDED_ORDERS, epsilonFromRdp, rdpSubsampledGaussian } from './analysis/rdp.js';
import { gaussianEpsilonForDelta } from './analysis/gaussianDp.js';
import type { PrivacyLedger } from './ledger.js';

export interface CalibrationRequest {
  /** Total ε allowed for prior spending plus the planned steps. Defaults to the ledger's budget. */
  targetEpsilon?: number;
  /** δ of the guarantee. Defaults to the ledger's δ. */
  delta?: number;
  samplingRate: number;
  steps: number;
  /**
   * What was already spent: a ledger (its RDP curve, orders and budget are used) or an RDP curve
   * aligned with `orders`.
   */
  prior?: PrivacyLedger | Float64Array;
  /** RDP orders (default: the ledger's, else EXTENDED_ORDERS). */
  orders?: readonly number[];
  /** Relative width of the final σ bracket (default 1e−6). */
  tolerance?: number;
}

export interface Calibration {
  noiseMultiplier: number;
  /** Total ε (prior + planned steps) at the returned σ; ≤ targetEpsilon. */
  epsilon: number;
  bestOrder: number;
  /** ε of the prior spending alone. */
  priorEpsilon: number;
  iterations: number;
  converged: boolean;
}

const MAX_NOISE_MULTIPLIER = 1e7;

/**
 * Smallest noise multiplier σ (to a relative tolerance) such that prior spending plus `steps`
 * Poisson-subsampled Gaussian steps at rate `samplingRate` costs at most `targetEpsilon` at `delta`
 * (RDP accountant). Throws PrivacyBudgetError if the prior alone already reaches the target.
 */
export function calibrateNoiseMultiplier(request: CalibrationRequest): Calibration {
  const ledger = request.prior && !(request.prior instanceof Float64Array) ? request.prior : undefined;
  const targetEpsilon = request.targetEpsilon ?? ledger?.budget.epsilon;
  const delta = request.delta ?? ledger?.budget.delta;
  const orders = request.orders ?? ledger?.orders ?? EXTENDED_ORDERS;
  const tolerance = request.tolerance ?? 1e-6;
  const { samplingRate, steps } = request;
  if (targetEpsilon === undefined || !(targetEpsilon > 0 && Number.isFinite(targetEpsilon))) {
    throw new PrivacyParameterError(`target ε must be finite and > 0 (got ${targetEpsilon})`);
  }
  if (delta === undefined || !(delta > 0 && delta < 1)) throw new PrivacyParameterError(`δ must be in (0, 1) (got ${delta})`);
  if (!(samplingRate > 0 && samplingRate <= 1)) throw new PrivacyParameterError(`sampling rate must be in (0, 1] (got ${samplingRate})`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new PrivacyParameterError(`steps must be a positive integer (got ${steps})`);
  if (!(tolerance > 0 && tolerance < 1)) throw new PrivacyParameterError(`tolerance must be in (0, 1) (got ${tolerance})`);
  if (ledger && request.orders && request.orders !== ledger.orders) {
    throw new PrivacyParameterError('orders must be the ledger’s when calibrating against a ledger');
  }
  const priorCurve = ledger ? ledger.rdpCurve() : (request.prior as Float64Array | undefined) ?? new Float64Array(orders.length);
  if (priorCurve.length !== orders.length) throw new PrivacyParameterError('prior RDP curve and orders differ in length');

  // The same arithmetic as PrivacyLedger.charge: prior curve + steps × per-step curve.
  const totalAt = (sigma: number) =>
    epsilonFromRdp(addRdp(Float64Array.from(priorCurve), rdpSubsampledGaussian(samplingRate, sigma, orders), steps), orders, delta);
  const priorEpsilon = epsilonFromRdp(priorCurve, orders, delta).epsilon;
  if (ledger) {
    const spent = ledger.spent().epsilon;
    if (spent >= targetEpsilon) {
      throw new PrivacyBudgetError(`cannot calibrate: ε = ${spent.toPrecision(6)} already spent ≥ target ${targetEpsilon}`);
    }
  }
  if (priorEpsilon >= targetEpsilon) {
    throw new PrivacyBudgetError(
      `cannot calibrate: prior spending alone costs ε = ${priorEpsilon.toPrecision(6)} ≥ target ${targetEpsilon} at δ = ${delta}`,
    );
  }
  let iterations = 0;
  let hi = 1;
  let hiResult = totalAt(hi);
  while (hiResult.epsilon > targetEpsilon) {
    hi *= 2;
    iterations++;
    if (hi > MAX_NOISE_MULTIPLIER) {
      throw new PrivacyBudgetError(
        `cannot reach ε = ${targetEpsilon} with any noise multiplier ≤ ${MAX_NOISE_MULTIPLIER}` +
          ` (prior spending ε = ${priorEpsilon.toPrecision(6)} leaves too little)`,
      );
    }
    hiResult = totalAt(hi);
  }
  let lo = hi / 2;
  while (lo > 1e-6 && totalAt(lo).epsilon <= targetEpsilon) {
    hi = lo;
    lo /= 2;
    iterations++;
  }
  hiResult = totalAt(hi);
  while (hi - lo > tolerance * hi) {
    const mid = 0.5 * (lo + hi);
    const r = totalAt(mid);
    iterations++;
    if (r.epsilon <= targetEpsilon) {
      hi = mid;
      hiResult = r;
    } else lo = mid;
  }
  return { noiseMultiplier: hi, epsilon: hiResult.epsilon, bestOrder: hiResult.bestOrder, priorEpsilon, iterations, converged: true };
}

export interface BudgetSplitRequest {
  targetEpsilon: number;
  delta: number;
  /** Relative shares of the queries (larger share → less noise), positive. */
  weights: readonly number[];
  prior?: PrivacyLedger | Float64Array;
  orders?: readonly number[];
  tolerance?: number;
}

export interface BudgetSplit {
  /** One noise multiplier per query. */
  noiseMultipliers: number[];
  /** Noise multiplier of the single Gaussian equivalent to all queries together. */
  combinedNoiseMultiplier: number;
  /** Total ε (prior + all queries). */
  epsilon: number;
}

/**
 * Noise multipliers for a list of Gaussian queries that together (plus prior spending) cost at most
 * targetEpsilon at delta. Gaussian mechanisms compose exactly into one Gaussian with
 * 1/σ² = Σ 1/σ_i² (in RDP and in the tight profile alike), so we calibrate that one σ and give
 * query i the share w_i/Σw of its precision: σ_i = σ·sqrt(Σw / w_i).
 */
export function splitBudget(request: BudgetSplitRequest): BudgetSplit {
  const { weights } = request;
  if (weights.length === 0 || !weights.every((w) => w > 0 && Number.isFinite(w))) {
    throw new PrivacyParameterError('weights must be a non-empty list of positive numbers');
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const calibration = calibrateNoiseMultiplier({
    targetEpsilon: request.targetEpsilon,
    delta: request.delta,
    samplingRate: 1,
    steps: 1,
    prior: request.prior,
    orders: request.orders,
    tolerance: request.tolerance,
  });
  const sigma = calibration.noiseMultiplier;
  const ledger = request.prior && !(request.prior instanceof Float64Array) ? request.prior : undefined;
  const orders = request.orders ?? ledger?.orders ?? EXTENDED_ORDERS;
  const prior = ledger ? ledger.rdpCurve() : (request.prior as Float64Array | undefined) ?? new Float64Array(orders.length);
  // Charged one by one, the queries' curves are summed in floating point; rounding could push the
  // total an ulp above the target, so check with the ledger's arithmetic and widen if needed.
  let inflate = 1;
  for (let attempt = 0; attempt < 60; attempt++) {
    const noiseMultipliers = weights.map((w) => sigma * Math.sqrt(total / w) * inflate);
    const curve = Float64Array.from(prior);
    for (const s of noiseMultipliers) addRdp(curve, rdpSubsampledGaussian(1, s, orders));
    const epsilon = epsilonFromRdp(curve, orders, request.delta).epsilon;
    if (epsilon <= request.targetEpsilon) return { noiseMultipliers, combinedNoiseMultiplier: sigma * inflate, epsilon };
    inflate *= 1 + 1e-12 * 2 ** attempt;
  }
  throw new PrivacyParameterError('splitBudget: could not meet the target after rounding corrections');
}

/**
 * Smallest noise multiplier of a single Gaussian mechanism that is exactly (ε, δ)-DP by the tight
 * profile of Balle & Wang 2018 (bisection on σ, returning the private end). Tighter than the RDP
 * calibration; valid for the 'pld' accountant, which uses the same closed form for Gaussians.
 */
export function calibrateGaussianExact(epsilon: number, delta: number, tolerance = 1e-9): number {
  if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new PrivacyParameterError(`ε must be finite and > 0 (got ${epsilon})`);
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError(`δ must be in (0, 1) (got ${delta})`);
  const epsAt = (sigma: number) => gaussianEpsilonForDelta(1 / sigma, delta);
  let hi = 1;
  while (epsAt(hi) > epsilon) hi *= 2;
  let lo = hi / 2;
  while (lo > 1e-9 && epsAt(lo) <= epsilon) {
    hi = lo;
    lo /= 2;
  }
  while (hi - lo > tolerance * hi) {
    const mid = 0.5 * (lo + hi);
    if (epsAt(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}
