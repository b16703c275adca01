/**
 * Exact privacy profile of the Gaussian mechanism. With μ = (L2 sensitivity)/(noise std), the
 * mechanism's tight (ε, δ) trade-off is (Balle & Wang 2018, "Improving the Gaussian mechanism for
 * differential privacy", Thm 8; equivalently μ-GDP, Dong, Roth & Su 2022, Cor. 2.13)
 *   δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2).
 * T-fold composition of Gaussian mechanisms with multipliers σ_i is again Gaussian with
 * μ = sqrt(Σ 1/σ_i²), so these formulas are exact for any number of Gaussian releases.
 */
import { PrivacyParameterError } from '../errors.js';
import { logNormalCdf } from './special.js';

/** δ(ε) of the Gaussian mechanism with privacy parameter μ (sensitivity / noise std). */
export function gaussianDeltaForEpsilon(mu: number, epsilon: number): number {
  if (!(mu >= 0)) throw new PrivacyParameterError(`μ must be ≥ 0 (got ${mu})`);
  if (mu === 0) return 0;
  if (mu === Infinity) return 1;
  // e^ε Φ(b) computed as exp(ε + log Φ(b)) so large ε does not overflow.
  const a = logNormalCdf(-epsilon / mu + mu / 2);
  const b = epsilon + logNormalCdf(-epsilon / mu - mu / 2);
  if (!(a > b)) return 0;
  return Math.exp(a) * -Math.expm1(b - a);
}

/**
 * Smallest ε ≥ 0 with δ(ε) ≤ delta, by bisection to a relative tolerance of 1e−12 (δ(ε) is
 * decreasing in ε). Returns the upper end of the final bracket, so δ(result) ≤ delta.
 */
export function gaussianEpsilonForDelta(mu: number, delta: number): number {
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError(`δ must be in (0, 1) (got ${delta})`);
  if (mu === 0) return 0;
  if (mu === Infinity) return Infinity;
  if (gaussianDeltaForEpsilon(mu, 0) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (gaussianDeltaForEpsilon(mu, hi) > delta) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (gaussianDeltaForEpsilon(mu, mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
