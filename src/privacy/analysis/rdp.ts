/**
 * Rényi differential privacy (RDP, Mironov 2017) of the mechanisms the ledger composes, and the
 * conversion of an RDP curve to (ε, δ)-DP. Pure functions; the stateful bookkeeping lives in
 * `../ledger.ts`.
 *
 * Conventions (all as in Opacus `opacus/accountants/analysis/rdp.py`, whose outputs the tests
 * reproduce to 1e−6):
 * - Adjacency is add/remove-one. The noise multiplier σ is the noise standard deviation divided by
 *   the L2 sensitivity of the summed query.
 * - An RDP curve is a Float64Array aligned with an array of orders α > 1; RDP of a composition is
 *   the sum of the curves (Mironov 2017, Prop. 1).
 * - `Infinity` marks an order with no finite guarantee (σ = 0, or a numerically failed series);
 *   such orders are simply never selected by the conversion.
 */
import { PrivacyParameterError } from '../errors.js';
import { logAddExp, logErfc } from './special.js';

/**
 * The orders of Opacus's `DEFAULT_ALPHAS` = [1.1, 1.2, …, 10.9] ∪ [12, …, 63] (151 orders; 11 is
 * absent there too) — the grid used by the reference fixture.
 */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/**
 * A strict superset of DEFAULT_ORDERS (so ε computed on it is never larger): orders close to 1
 * (large-ε regimes), 11, and large integer orders up to 1024 (large σ / small q regimes, where the
 * optimum of the default grid sits at its upper end 63). The ledger uses this grid.
 */
export const EXTENDED_ORDERS: readonly number[] = Object.freeze(
  [
    1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09,
    ...DEFAULT_ORDERS,
    11,
    64, 72, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512, 768, 1024,
  ].sort((a, b) => a - b),
);

function assertOrders(orders: ArrayLike<number>): void {
  for (let i = 0; i < orders.length; i++) {
    if (!(orders[i] > 1) || !Number.isFinite(orders[i])) {
      throw new PrivacyParameterError(`RDP orders must be finite and > 1 (got ${orders[i]})`);
    }
  }
}

function assertNoiseMultiplier(sigma: number): void {
  if (!(sigma >= 0) || Number.isNaN(sigma)) throw new PrivacyParameterError(`noise multiplier must be ≥ 0 (got ${sigma})`);
}

/**
 * log A_α for integer α: the binomial expansion of E_{z∼μ0}[(μ(z)/μ0(z))^α] for the mixture
 * μ = (1−q)μ0 + qμ1 of Mironov, Talwar & Zhang 2019 ("Rényi DP of the sampled Gaussian
 * mechanism", §3.3): A_α = Σᵢ C(α,i) qⁱ (1−q)^{α−i} exp((i²−i)/(2σ²)).
 */
function logAIntegerOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  let logA = -Infinity;
  let logBinom = 0; // log C(α, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoSigma2;
    logA = logAddExp(logA, term);
  }
  return logA;
}

/**
 * log(e^x − e^y) for x ≥ y; NaN when the difference would be negative (numerical failure of the
 * alternating series, which makes the caller report no guarantee at that order).
 */
function logSubExp(x: number, y: number): number {
  if (x < y) return NaN;
  if (y === -Infinity) return x;
  if (x === y) return -Infinity;
  const d = Math.expm1(x - y);
  return d === Infinity ? x : Math.log(d) + y;
}

/**
 * log A_α for fractional α: the series of Mironov, Talwar & Zhang 2019 (§3.3), splitting the
 * integral at z0 = σ² log(1/q − 1) + 1/2 and expanding with generalised binomial coefficients
 * (which alternate in sign for i > α). Same stopping rule as Opacus: stop once both new terms are
 * below e^{−30}.
 */
function logAFractionalOrder(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  let coef = 1; // generalised binomial C(α, i), updated multiplicatively
  for (let i = 0; i < 100_000; i++) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / twoSigma2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
    if (coef > 0) {
      logA0 = logAddExp(logA0, logS0);
      logA1 = logAddExp(logA1, logS1);
    } else {
      logA0 = logSubExp(logA0, logS0);
      logA1 = logSubExp(logA1, logS1);
      if (Number.isNaN(logA0) || Number.isNaN(logA1)) return Infinity;
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAddExp(logA0, logA1);
}

/**
 * Per-step RDP ε(α) of the Poisson-subsampled Gaussian mechanism with sampling rate q and noise
 * multiplier σ (Mironov, Talwar & Zhang 2019), one value per order. Multiply by the number of steps
 * for T-fold composition. q = 1 gives the plain Gaussian α/(2σ²); q = 0 costs nothing.
 */
export function rdpSubsampledGaussian(samplingRate: number, noiseMultiplier: number, orders: ArrayLike<number>): Float64Array {
  const q = samplingRate;
  if (!(q >= 0 && q <= 1)) throw new PrivacyParameterError(`sampling rate must be in [0, 1] (got ${q})`);
  assertNoiseMultiplier(noiseMultiplier);
  assertOrders(orders);
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k];
    if (q === 0) out[k] = 0;
    else if (noiseMultiplier === 0) out[k] = Infinity;
    else if (noiseMultiplier === Infinity) out[k] = 0;
    else if (q === 1) out[k] = alpha / (2 * noiseMultiplier * noiseMultiplier);
    else {
      const logA = Number.isInteger(alpha)
        ? logAIntegerOrder(q, noiseMultiplier, alpha)
        : logAFractionalOrder(q, noiseMultiplier, alpha);
      out[k] = logA / (alpha - 1);
    }
  }
  return out;
}

/** RDP of the Gaussian mechanism: α/(2σ²) for noise multiplier σ (Mironov 2017, Prop. 7). */
export function rdpGaussian(noiseMultiplier: number, orders: ArrayLike<number>): Float64Array {
  return rdpSubsampledGaussian(1, noiseMultiplier, orders);
}

/**
 * RDP of the Laplace mechanism with sensitivity 1 and scale b (so it is (1/b)-DP), Mironov 2017,
 * Prop. 6: ε(α) = log[ α/(2α−1) e^{(α−1)/b} + (α−1)/(2α−1) e^{−α/b} ] / (α−1), in log space.
 */
export function rdpLaplace(scale: number, orders: ArrayLike<number>): Float64Array {
  if (!(scale >= 0)) throw new PrivacyParameterError(`Laplace scale must be ≥ 0 (got ${scale})`);
  assertOrders(orders);
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k];
    if (scale === 0) out[k] = Infinity;
    else if (scale === Infinity) out[k] = 0;
    else {
      const a = Math.log(alpha / (2 * alpha - 1)) + (alpha - 1) / scale;
      const b = Math.log((alpha - 1) / (2 * alpha - 1)) - alpha / scale;
      out[k] = Math.min(logAddExp(a, b) / (alpha - 1), 1 / scale);
    }
  }
  return out;
}

/**
 * RDP bound valid for ANY ε-DP mechanism (exponential mechanism, …): the RDP of binary randomised
 * response with parameter ε,
 *   ε(α) = log[ p^α (1−p)^{1−α} + (1−p)^α p^{1−α} ] / (α−1),  p = e^ε/(1+e^ε).
 * Why it is valid: every ε-DP pair of output distributions is a post-processing of the randomised
 * response pair (Kairouz, Oh & Viswanath 2015, Thm 2.4), and Rényi divergence cannot grow under
 * post-processing (Mironov 2017, Prop. 2 / data processing). It is never larger than the standard
 * bounds min(ε, αε²/2) (Bun & Steinke 2016, Prop. 3.3, whose proof bounds exactly this quantity).
 */
export function rdpPureDp(epsilon: number, orders: ArrayLike<number>): Float64Array {
  if (!(epsilon >= 0)) throw new PrivacyParameterError(`pure-DP ε must be ≥ 0 (got ${epsilon})`);
  assertOrders(orders);
  const out = new Float64Array(orders.length);
  const logP = -Math.log1p(Math.exp(-epsilon)); // log(e^ε/(1+e^ε))
  const log1mP = -epsilon + logP; // log(1/(1+e^ε))
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k];
    if (epsilon === Infinity) out[k] = Infinity;
    else if (epsilon === 0) out[k] = 0;
    else {
      const t1 = alpha * logP + (1 - alpha) * log1mP;
      const t2 = alpha * log1mP + (1 - alpha) * logP;
      out[k] = Math.max(0, Math.min(logAddExp(t1, t2) / (alpha - 1), epsilon));
    }
  }
  return out;
}

/**
 * RDP of the exponential mechanism with parameter ε (sensitivity-normalised): it is ε-bounded-range,
 * hence ε²/8-zCDP (Cesar & Rogers 2021), i.e. RDP α·ε²/8 at every order α; being ε-DP, it also has
 * the pure-DP bound of `rdpPureDp`. The smaller of the two at each order.
 */
export function rdpExponentialMechanism(epsilon: number, orders: ArrayLike<number>): Float64Array {
  const out = rdpPureDp(epsilon, orders);
  for (let k = 0; k < orders.length; k++) out[k] = Math.min(out[k], (orders[k] * epsilon * epsilon) / 8);
  return out;
}

export interface RdpConversion {
  /** Smallest ε over the orders (≥ 0; Infinity if no order gives a finite value). */
  epsilon: number;
  /** The order attaining it (NaN when ε is infinite). */
  bestOrder: number;
  /** Non-empty when the optimum sits at an end of the grid (a wider grid may give a smaller ε). */
  warnings: string[];
}

/**
 * Tight RDP → (ε, δ) conversion of Balle, Barthe, Gaboardi, Hsu & Sato 2020 ("Hypothesis testing
 * interpretations and Rényi DP", Thm 21), exactly as Opacus `get_privacy_spent`:
 *   ε = min_α  rdp(α) − (log δ + log α)/(α − 1) + log((α − 1)/α).
 * NaN entries are skipped; ties go to the first order; the result is clamped at 0 (an (ε,δ)
 * guarantee with ε < 0 implies the one with ε = 0).
 */
export function epsilonFromRdp(rdp: ArrayLike<number>, orders: ArrayLike<number>, delta: number): RdpConversion {
  if (rdp.length !== orders.length) throw new PrivacyParameterError('RDP curve and orders differ in length');
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError(`δ must be in (0, 1) (got ${delta})`);
  assertOrders(orders);
  const logDelta = Math.log(delta);
  let best = Infinity;
  let bestIndex = -1;
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k];
    const eps = rdp[k] - (logDelta + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (Number.isNaN(eps)) continue;
    if (eps < best) {
      best = eps;
      bestIndex = k;
    }
  }
  const warnings: string[] = [];
  if (bestIndex < 0 || best === Infinity) return { epsilon: Infinity, bestOrder: NaN, warnings: ['no order gives a finite ε'] };
  if (bestIndex === 0 || bestIndex === orders.length - 1) {
    warnings.push(`optimal RDP order ${orders[bestIndex]} is the ${bestIndex === 0 ? 'smallest' : 'largest'} of the grid; a wider grid may give a smaller ε`);
  }
  return { epsilon: Math.max(0, best), bestOrder: orders[bestIndex], warnings };
}

/** out[k] += scale · curve[k] (the RDP of `scale`-fold composition added to an existing curve). */
export function addRdp(out: Float64Array, curve: ArrayLike<number>, scale = 1): Float64Array {
  if (out.length !== curve.length) throw new PrivacyParameterError('RDP curves differ in length');
  // A zero entry stays zero even for an infinite scale (no 0·∞ = NaN).
  for (let k = 0; k < out.length; k++) if (curve[k] !== 0) out[k] += scale * curve[k];
  return out;
}
