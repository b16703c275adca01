/**
 * Numerical privacy-loss-distribution (PLD) accountant with a two-sided error bound — the tighter
 * second accountant next to RDP. Pure functions; `../ledger.ts` can use it (accountant 'pld').
 *
 * Background. For a dominating pair (P, Q) of a mechanism, the privacy loss L = log(dP/dQ)(ω),
 * ω ∼ P, determines the tight privacy profile δ(ε) = E_P[(1 − e^{ε−L})₊] (+ P(L = ∞)), and the
 * loss of a composition is the sum of independent losses (Sommer, Meiser & Mohammadi 2019; Koskela,
 * Jälkö & Honkela 2020). Under add/remove adjacency both orders of the pair must hold, so we carry
 * two PLDs — 'remove' (P = mechanism on the larger data set) and 'add' (roles swapped) — compose
 * each separately and report the worse: δ(ε) = max(δ_remove(ε), δ_add(ε)).
 *
 * Discretisation: "connect the dots" (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi 2022). The loss
 * is put on the grid kΔ by splitting the P-mass of each cell (kΔ, (k+1)Δ] between its two ends so
 * that both the P-mass and the Q-mass of the cell are preserved. The result is itself a valid
 * dominating pair — its hockey-stick curve is the chord interpolation of the true convex curve in
 * e^ε — so composing it gives an UPPER bound on δ(ε), hence on ε(δ). Tails beyond the grid are
 * handled the same way (the top tail partly becomes an atom at +∞), so the upper bound is rigorous.
 *
 * Composition: linear convolution by FFT (`./fft.ts`, zero padded, so no wrap-around), self
 * composition by repeated squaring. After each convolution the tails are cut (τ/2 of mass from each
 * end, plus a per-bin allowance for FFT noise, see `truncate`): the upper tail is moved to +∞ and
 * the lower tail onto the lowest kept bin — both can only increase δ(ε), so the upper bound stays
 * rigorous. FFT round-off is bounded (`convolve`) and that bound is added to δ. Gaussian pieces are
 * merged exactly before discretising (1/σ² adds up), and a list of Gaussians only is answered by
 * the closed form of `./gaussianDp.ts`.
 *
 * Error bound (lower side), our own coupling argument: the split above is a randomised rounding of
 * each loss value ℓ to the ends of its cell that preserves E[e^{−L}]; by convexity the rounded value
 * exceeds ℓ on average by at most e^Δ Δ²/8, and the rounding errors of the T discretised pieces are
 * independent with range Δ. Hoeffding's inequality then gives, except with probability η_H,
 *   L_true ≥ L_grid − t,   t = T e^Δ Δ²/8 + Δ·sqrt(T ln(1/η_H)/2),
 * and so δ_true(ε) ≥ δ_grid(ε + t) − η, where η = η_H + (P-mass of every tail cut or moved) +
 * round-off. Hence ε_true(δ) ∈ [ε_grid(δ + η) − t, ε_grid(δ − round-off)]: `epsilonLower` and
 * `epsilon` below. We use η_H = δ/100. The bracket narrows like Δ·√T; the upper bound itself is
 * much closer to the truth (its bias is second order in Δ): for q = 0.001, σ = 1, T = 10⁴, δ = 1e−5 it
 * gives 0.47604 at the automatic Δ = 1e−4 and 0.47582 at Δ = 1e−5 (RDP: 0.7877).
 *
 * The published check in the tests: dp_accounting's δ(ε = 1) = 0.15594 for q = 0.2, σ = 0.5, 3 steps.
 */
import { PrivacyParameterError } from '../errors.js';
import { convolve } from './fft.js';
import { gaussianDeltaForEpsilon, gaussianEpsilonForDelta } from './gaussianDp.js';
import { normalSf } from './special.js';

// ---------------------------------------------------------------------------------------------
// Dominating pairs

/**
 * A dominating pair (P, Q) described by the masses of its privacy loss L = log dP/dQ on cells.
 * For K ascending boundaries b_0 < … < b_{K−1}, `cellMasses` returns p and q of length K + 1 with
 * cell 0 = (−∞, b_0], cell i = (b_{i−1}, b_i], cell K = (b_{K−1}, ∞).
 */
export interface PrivacyLossPair {
  cellMasses(boundaries: Float64Array): { p: Float64Array; q: Float64Array };
  /** Essential infimum / supremum of L under P (±Infinity allowed); used to place the grid. */
  readonly minLoss: number;
  readonly maxLoss: number;
}

export type Direction = 'remove' | 'add';

/** Φ and Φc at each standardised point, so cell masses come from the accurate tail. */
function tails(points: Float64Array): { cdf: Float64Array; sf: Float64Array } {
  const cdf = new Float64Array(points.length);
  const sf = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) {
    sf[i] = normalSf(points[i]);
    cdf[i] = normalSf(-points[i]);
  }
  return { cdf, sf };
}

/** Standard normal mass between points[i] and points[j] (i < j) from precomputed tails. */
function massBetween(x: Float64Array, t: { cdf: Float64Array; sf: Float64Array }, i: number, j: number): number {
  const a = x[i];
  const b = x[j];
  if (!(b > a)) return 0;
  let m: number;
  if (a >= 0) m = t.sf[i] - t.sf[j];
  else if (b <= 0) m = t.cdf[j] - t.cdf[i];
  else m = 1 - t.cdf[i] - t.sf[j];
  return m > 0 ? m : 0;
}

/**
 * Poisson-subsampled Gaussian with sampling rate q ∈ (0, 1] and noise multiplier σ > 0 (q = 1 is
 * the Gaussian mechanism). 'remove': P = (1−q)N(0, σ²) + qN(1, σ²), Q = N(0, σ²), with loss
 * L(z) = log(1 − q + q e^{(2z−1)/(2σ²)}), increasing in z; 'add' swaps P and Q (Mironov, Talwar &
 * Zhang 2019; Zhu, Dong & Wang 2022 for the dominating pairs under add/remove).
 */
export function subsampledGaussianPair(samplingRate: number, noiseMultiplier: number, direction: Direction): PrivacyLossPair {
  const q = samplingRate;
  const sigma = noiseMultiplier;
  if (!(q > 0 && q <= 1)) throw new PrivacyParameterError(`sampling rate must be in (0, 1] (got ${q})`);
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new PrivacyParameterError(`noise multiplier must be finite and > 0 (got ${sigma})`);
  const log1mQ = q < 1 ? Math.log1p(-q) : -Infinity;
  const logQ = Math.log(q);
  const s2 = sigma * sigma;
  /** The z with L(z) = ℓ in the 'remove' orientation (−∞ below the support). */
  const zOfLoss = (loss: number): number => {
    if (loss === Infinity) return Infinity;
    if (q === 1) return s2 * loss + 0.5;
    if (loss <= log1mQ) return -Infinity;
    // e^ℓ − (1 − q), with expm1 near ℓ = 0 to keep the digits.
    const t = Math.abs(loss) < 0.5 ? Math.expm1(loss) + q : Math.exp(loss) - (1 - q);
    if (!(t > 0)) return -Infinity;
    return s2 * (Math.log(t) - logQ) + 0.5;
  };
  const removeMasses = (boundaries: Float64Array) => {
    const k = boundaries.length;
    const x0 = new Float64Array(k + 2);
    const x1 = new Float64Array(k + 2);
    x0[0] = x1[0] = -Infinity;
    x0[k + 1] = x1[k + 1] = Infinity;
    for (let i = 0; i < k; i++) {
      const z = zOfLoss(boundaries[i]);
      x0[i + 1] = z / sigma;
      x1[i + 1] = (z - 1) / sigma;
    }
    const t0 = tails(x0);
    const t1 = tails(x1);
    const p = new Float64Array(k + 1);
    const qm = new Float64Array(k + 1);
    for (let c = 0; c <= k; c++) {
      const m0 = massBetween(x0, t0, c, c + 1);
      const m1 = massBetween(x1, t1, c, c + 1);
      qm[c] = m0;
      p[c] = q === 1 ? m1 : (1 - q) * m0 + q * m1;
    }
    return { p, q: qm };
  };
  if (direction === 'remove') {
    return { cellMasses: removeMasses, minLoss: log1mQ, maxLoss: Infinity };
  }
  return {
    cellMasses(boundaries: Float64Array) {
      // Add-direction loss is −L_remove with P and Q swapped: evaluate the mirrored cells.
      const k = boundaries.length;
      const mirrored = new Float64Array(k);
      for (let i = 0; i < k; i++) mirrored[i] = -boundaries[k - 1 - i];
      const r = removeMasses(mirrored);
      const p = new Float64Array(k + 1);
      const qm = new Float64Array(k + 1);
      for (let c = 0; c <= k; c++) {
        p[c] = r.q[k - c];
        qm[c] = r.p[k - c];
      }
      return { p, q: qm };
    },
    minLoss: -Infinity,
    maxLoss: -log1mQ,
  };
}

/** A pair given by a function returning the masses of one cell (lo, hi]. */
function pairFromCellFunction(mass: (lo: number, hi: number) => [number, number], minLoss: number, maxLoss: number): PrivacyLossPair {
  return {
    minLoss,
    maxLoss,
    cellMasses(boundaries: Float64Array) {
      const k = boundaries.length;
      const p = new Float64Array(k + 1);
      const q = new Float64Array(k + 1);
      for (let c = 0; c <= k; c++) {
        const lo = c === 0 ? -Infinity : boundaries[c - 1];
        const hi = c === k ? Infinity : boundaries[c];
        [p[c], q[c]] = mass(lo, hi);
      }
      return { p, q };
    },
  };
}

/**
 * Laplace mechanism, sensitivity 1, scale b (ε = 1/b): P = Lap(1, b), Q = Lap(0, b). The loss
 * (|x| − |x−1|)/b has atoms at ±1/b and a continuous part in between. Symmetric, so the same pair
 * serves both directions.
 */
export function laplacePair(scale: number): PrivacyLossPair {
  if (!(scale > 0 && Number.isFinite(scale))) throw new PrivacyParameterError(`Laplace scale must be finite and > 0 (got ${scale})`);
  const eps = 1 / scale;
  const atomHigh: [number, number] = [0.5, 0.5 * Math.exp(-eps)];
  const atomLow: [number, number] = [0.5 * Math.exp(-eps), 0.5];
  const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  return pairFromCellFunction(
    (lo, hi) => {
      let p = 0;
      let q = 0;
      // Continuous part: x = (ℓ b + 1)/2 ∈ (0, 1); F_P(x) = e^{(x−1)/b}/2, F_Q(x) = 1 − e^{−x/b}/2.
      const xlo = clamp01((Math.max(lo, -eps) * scale + 1) / 2);
      const xhi = clamp01((Math.min(hi, eps) * scale + 1) / 2);
      if (xhi > xlo) {
        p += 0.5 * (Math.exp((xhi - 1) / scale) - Math.exp((xlo - 1) / scale));
        q += 0.5 * (Math.exp(-xlo / scale) - Math.exp(-xhi / scale));
      }
      if (lo < eps && eps <= hi) {
        p += atomHigh[0];
        q += atomHigh[1];
      }
      if (lo < -eps && -eps <= hi) {
        p += atomLow[0];
        q += atomLow[1];
      }
      return [p, q];
    },
    -eps,
    eps,
  );
}

/**
 * Generic ε-DP mechanism: the binary randomised-response pair (losses ±ε), which dominates every
 * ε-DP mechanism (Kairouz, Oh & Viswanath 2015). Symmetric.
 */
export function pureDpPair(epsilon: number): PrivacyLossPair {
  if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw new PrivacyParameterError(`ε must be finite and ≥ 0 (got ${epsilon})`);
  const big = 1 / (1 + Math.exp(-epsilon));
  const small = 1 / (1 + Math.exp(epsilon));
  return pairFromCellFunction(
    (lo, hi) => {
      let p = 0;
      let q = 0;
      if (lo < epsilon && epsilon <= hi) {
        p += big;
        q += small;
      }
      if (lo < -epsilon && -epsilon <= hi) {
        p += small;
        q += big;
      }
      return [p, q];
    },
    -epsilon,
    epsilon,
  );
}

// ---------------------------------------------------------------------------------------------
// Discrete loss distributions on a grid

/** A privacy loss distribution on the grid kΔ (P-probabilities), with error bookkeeping. */
export interface LossPmf {
  /** Grid width Δ: mass[i] sits at loss (offset + i)·Δ. */
  readonly discretisation: number;
  readonly offset: number;
  readonly mass: Float64Array;
  /** P-probability of an infinite loss (goes straight into δ). */
  readonly infinityMass: number;
  /** Number of discretised pieces composed (the T of the error bound). */
  readonly pieces: number;
  /** P-mass of tails that were cut or moved (the η part of the lower bound). */
  readonly excludedMass: number;
  /** Bound on the L1 norm of accumulated FFT round-off. */
  readonly roundoffL1: number;
}

export interface PldOptions {
  /**
   * Grid width Δ of the loss. Default: automatic — q/(10·max(1, σ)) over the subsampled Gaussians,
   * clamped to [1e−5, 1e−3] (the bulk of a subsampled step's loss spreads over ~q/σ, and the
   * grid must resolve it), or 1e−4 without subsampling. Coarsened ×4 automatically if the grid
   * would exceed maxBins.
   */
  discretisation?: number;
  /** Mass τ that may be cut from the tails at each step (default 1e−15). */
  tailMassTruncation?: number;
  /** Largest grid (bins) before coarsening (default 2²¹). */
  maxBins?: number;
}

const DEFAULTS = { tailMassTruncation: 1e-15, maxBins: 1 << 21 };
const DEFAULT_DISCRETISATION = 1e-4;

/** The automatic grid width for a list of mechanisms (see PldOptions.discretisation). */
export function defaultDiscretisation(mechanisms: readonly PldMechanism[]): number {
  let delta = Infinity;
  for (const m of mechanisms) {
    if (m.kind !== 'subsampled_gaussian' || m.count === 0 || !(m.samplingRate > 0 && m.samplingRate < 1)) continue;
    if (!(m.noiseMultiplier > 0 && Number.isFinite(m.noiseMultiplier))) continue;
    delta = Math.min(delta, m.samplingRate / (10 * Math.max(1, m.noiseMultiplier)));
  }
  return delta === Infinity ? DEFAULT_DISCRETISATION : Math.min(1e-3, Math.max(1e-5, delta));
}

/** Thrown internally when a grid would exceed maxBins (the caller coarsens and retries). */
class GridTooLargeError extends Error {}

/** The loss distribution of "no mechanism" (composition identity). */
export function identityPmf(discretisation: number): LossPmf {
  return { discretisation, offset: 0, mass: Float64Array.of(1), infinityMass: 0, pieces: 0, excludedMass: 0, roundoffL1: 0 };
}

function isIdentity(pmf: LossPmf): boolean {
  return pmf.pieces === 0 && pmf.offset === 0 && pmf.mass.length === 1 && pmf.mass[0] === 1 && pmf.infinityMass === 0;
}

/** The loss distribution of a mechanism without any privacy (loss +∞ with probability 1). */
export function noPrivacyPmf(discretisation: number): LossPmf {
  return { discretisation, offset: 0, mass: new Float64Array(1), infinityMass: 1, pieces: 0, excludedMass: 0, roundoffL1: 0 };
}

/**
 * Boundary of a monotone tail: the extreme ℓ with tail(ℓ) ≤ τ, where `tail` decreases in ℓ when
 * `upward` (P(L > ℓ)) and increases otherwise (P(L ≤ ℓ)). Exponential search from 0 for a point
 * inside the support and then for one beyond the tail, then bisection to the grid width.
 */
function tailBoundary(tail: (loss: number) => number, tau: number, upward: boolean, resolution: number): number {
  const dir = upward ? 1 : -1;
  // `inside`: tail(inside) > τ; `outside`: tail(outside) ≤ τ.
  let inside = 0;
  let step = 1;
  while (!(tail(inside) > tau)) {
    inside -= dir * step;
    step *= 2;
    if (step > 1e9) throw new GridTooLargeError('cannot locate the loss distribution');
  }
  let outside = inside + dir * resolution;
  step = resolution;
  while (tail(outside) > tau) {
    inside = outside;
    step *= 2;
    outside += dir * step;
    if (step > 1e9) throw new GridTooLargeError('loss tail too heavy');
  }
  for (let it = 0; it < 100 && Math.abs(outside - inside) > resolution; it++) {
    const mid = 0.5 * (inside + outside);
    if (tail(mid) > tau) inside = mid;
    else outside = mid;
  }
  return outside;
}

/** Grid index range [kLo, kHi] covering the loss up to tail mass τ on each side. */
function gridRange(pair: PrivacyLossPair, delta: number, tau: number, maxBins: number): [number, number] {
  const tailAbove = (loss: number) => pair.cellMasses(Float64Array.of(loss)).p[1];
  const tailBelow = (loss: number) => pair.cellMasses(Float64Array.of(loss)).p[0];
  let hi = tailBoundary(tailAbove, tau, true, delta);
  let lo = tailBoundary(tailBelow, tau, false, delta);
  if (Number.isFinite(pair.maxLoss)) hi = Math.min(hi, pair.maxLoss);
  if (Number.isFinite(pair.minLoss)) lo = Math.max(lo, pair.minLoss);
  // One extra cell on each side, so that an atom sitting exactly on a range end (e.g. the ±ε atoms
  // of the Laplace and randomised-response pairs) falls inside the grid, not into a tail.
  const kLo = Math.floor(lo / delta) - 1;
  const kHi = Math.max(Math.ceil(hi / delta), kLo + 1) + 1;
  if (kHi - kLo + 1 > maxBins) throw new GridTooLargeError(`grid of ${kHi - kLo + 1} bins`);
  return [kLo, kHi];
}

/** q·e^b without overflow (q may underflow to 0 where e^b overflows; the product is then ≤ p anyway). */
function scaledByExp(q: number, b: number): number {
  return q > 0 ? Math.exp(b + Math.log(q)) : 0;
}

/**
 * Connect-the-dots discretisation of a pair on the grid of width Δ (see the module comment): each
 * cell's P-mass p and Q-mass q go to its ends as (e^{b_hi} q − p)/(e^Δ − 1) at the lower end and
 * the rest at the upper end; the lower tail goes up to the first grid point; of the upper tail,
 * e^{b_K}·q stays at the last grid point and the rest becomes the atom at +∞.
 */
export function discretisePair(pair: PrivacyLossPair, options: PldOptions = {}): LossPmf {
  const delta = options.discretisation ?? DEFAULT_DISCRETISATION;
  const tau = options.tailMassTruncation ?? DEFAULTS.tailMassTruncation;
  const maxBins = options.maxBins ?? DEFAULTS.maxBins;
  const [kLo, kHi] = gridRange(pair, delta, tau, maxBins);
  const size = kHi - kLo + 1;
  const boundaries = new Float64Array(size);
  for (let i = 0; i < size; i++) boundaries[i] = (kLo + i) * delta;
  const { p, q } = pair.cellMasses(boundaries);
  const mass = new Float64Array(size);
  const expm1Delta = Math.expm1(delta);
  mass[0] += p[0];
  for (let c = 1; c < size; c++) {
    const pc = p[c];
    if (pc <= 0) continue;
    let lower = (scaledByExp(q[c], boundaries[c]) - pc) / expm1Delta;
    if (!(lower > 0)) lower = 0;
    else if (lower > pc) lower = pc;
    mass[c - 1] += lower;
    mass[c] += pc - lower;
  }
  const pTop = p[size];
  const stay = Math.min(pTop, scaledByExp(q[size], boundaries[size - 1]));
  mass[size - 1] += stay;
  const infinityMass = Math.max(0, pTop - stay);
  return { discretisation: delta, offset: kLo, mass, infinityMass, pieces: 1, excludedMass: p[0] + pTop, roundoffL1: 0 };
}

/**
 * Cut the tails: the top goes to +∞, the bottom onto the lowest kept bin (both only raise δ).
 * A tail is cut while its mass is ≤ τ/2 plus `noiseFloor` per bin cut — FFT round-off leaves every
 * bin of a long grid with ~1e−20 of noise, and without the allowance that noise alone (summed over
 * millions of bins) would stop truncation and let the grid double at every squaring. The mass
 * moved is recorded (excludedMass), so the lower bound accounts for it.
 */
function truncate(pmf: LossPmf, tau: number, noiseFloor = 0): LossPmf {
  const m = pmf.mass;
  let top = m.length - 1;
  let cutTop = 0;
  let allowance = tau / 2;
  while (top > 0 && cutTop + m[top] <= allowance + noiseFloor) {
    cutTop += m[top--];
    allowance += noiseFloor;
  }
  let bottom = 0;
  let cutBottom = 0;
  allowance = tau / 2;
  while (bottom < top && cutBottom + m[bottom] <= allowance + noiseFloor) {
    cutBottom += m[bottom++];
    allowance += noiseFloor;
  }
  if (bottom === 0 && top === m.length - 1) return pmf;
  const mass = m.slice(bottom, top + 1);
  mass[0] += cutBottom;
  return {
    ...pmf,
    offset: pmf.offset + bottom,
    mass,
    infinityMass: pmf.infinityMass + cutTop,
    excludedMass: pmf.excludedMass + cutTop + cutBottom,
  };
}

/** Distribution of the sum of two independent losses (composition), truncated by τ. */
export function composePmfs(a: LossPmf, b: LossPmf, options: PldOptions = {}): LossPmf {
  if (a.discretisation !== b.discretisation) throw new PrivacyParameterError('cannot compose loss distributions on different grids');
  if (isIdentity(a)) return b;
  if (isIdentity(b)) return a;
  const tau = options.tailMassTruncation ?? DEFAULTS.tailMassTruncation;
  const maxBins = options.maxBins ?? DEFAULTS.maxBins;
  if (a.mass.length + b.mass.length - 1 > 2 * maxBins) throw new GridTooLargeError('composition grid too large');
  const { values, roundoffL1 } = convolve(a.mass, b.mass);
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) values[i] = 0;
    else if (values[i] > largest) largest = values[i];
  }
  // Observed FFT noise in empty bins is ~0.01–0.1·u·(largest bin); 4u·(largest bin) is safely above
  // it while the mass it lets us cut stays negligible (≤ 4u per bin of the grid).
  const noiseFloor = roundoffL1 > 0 ? 4 * 2 ** -53 * largest : 0;
  const composed: LossPmf = {
    discretisation: a.discretisation,
    offset: a.offset + b.offset,
    mass: values,
    infinityMass: a.infinityMass + b.infinityMass - a.infinityMass * b.infinityMass,
    pieces: a.pieces + b.pieces,
    excludedMass: a.excludedMass + b.excludedMass,
    roundoffL1: a.roundoffL1 + b.roundoffL1 + roundoffL1,
  };
  const result = truncate(composed, tau, noiseFloor);
  if (result.mass.length > maxBins) throw new GridTooLargeError(`composed grid of ${result.mass.length} bins`);
  return result;
}

/** count-fold composition of a loss distribution with itself, by repeated squaring. */
export function selfComposePmf(pmf: LossPmf, count: number, options: PldOptions = {}): LossPmf {
  if (!(Number.isInteger(count) && count >= 0)) throw new PrivacyParameterError(`composition count must be a non-negative integer (got ${count})`);
  let result: LossPmf | null = null;
  let base = pmf;
  let remaining = count;
  while (remaining > 0) {
    if (remaining & 1) result = result ? composePmfs(result, base, options) : base;
    remaining = Math.floor(remaining / 2);
    if (remaining > 0) base = composePmfs(base, base, options);
  }
  return result ?? identityPmf(pmf.discretisation);
}

/** δ(ε) = P(L = ∞) + Σ_k m_k (1 − e^{ε − ℓ_k})₊ of a discrete loss distribution. */
export function deltaForEpsilonPmf(pmf: LossPmf, epsilon: number): number {
  let delta = 0;
  const d = pmf.discretisation;
  for (let i = pmf.mass.length - 1; i >= 0; i--) {
    const loss = (pmf.offset + i) * d;
    if (loss <= epsilon) break;
    delta += pmf.mass[i] * -Math.expm1(epsilon - loss);
  }
  return Math.min(1, pmf.infinityMass + delta);
}

/**
 * Smallest ε ≥ 0 with δ(ε) ≤ target for a discrete loss distribution (exact for the discrete
 * distribution: δ is e^ε-linear between grid points, solved in closed form on the right cell).
 */
export function epsilonForDeltaPmf(pmf: LossPmf, targetDelta: number): number {
  if (pmf.infinityMass >= targetDelta) return Infinity;
  const d = pmf.discretisation;
  const m = pmf.mass;
  const excess = pmf.infinityMass - targetDelta; // < 0
  let s1 = 0; // Σ_{j ≥ k} m_j
  let s2 = 0; // Σ_{j ≥ k} m_j e^{ℓ_k − ℓ_j}
  const decay = Math.exp(-d);
  for (let k = m.length - 1; k >= 0; k--) {
    s1 += m[k];
    s2 = s2 * decay + m[k];
    const lossK = (pmf.offset + k) * d;
    if (lossK <= 0) return 0;
    // On [ℓ_{k−1}, ℓ_k]: δ(ε) = P∞ + s1 − e^{ε−ℓ_k} s2.
    const deltaAtPrevious = k > 0 ? excess + s1 - decay * s2 : excess + s1; // (ε → −∞ below the grid)
    if (deltaAtPrevious > 0 || k === 0) {
      if (!(s2 > 0)) return Math.max(0, lossK);
      const ratio = (excess + s1) / s2;
      if (!(ratio > 0)) return Math.max(0, lossK);
      return Math.max(0, lossK + Math.log(ratio));
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Mechanism lists → (ε, δ)

/** A mechanism for the PLD accountant; `count` is the number of independent repetitions. */
export type PldMechanism =
  | { kind: 'subsampled_gaussian'; samplingRate: number; noiseMultiplier: number; count: number }
  | { kind: 'gaussian'; noiseMultiplier: number; count: number }
  | { kind: 'laplace'; scale: number; count: number }
  | { kind: 'pure_dp'; epsilon: number; count: number };

export interface ComposedPld {
  remove: LossPmf;
  add: LossPmf;
  discretisation: number;
}

function composeAt(mechanisms: readonly PldMechanism[], options: Required<PldOptions>): ComposedPld {
  const d = options.discretisation;
  const result: Record<Direction, LossPmf> = { remove: identityPmf(d), add: identityPmf(d) };
  // Gaussian pieces (including subsampling rate 1) compose exactly into one Gaussian with
  // 1/σ² = Σ count/σ_i², discretised once (no accumulated discretisation error).
  let gaussianPrecision = 0;
  const pieces: { pair: (dir: Direction) => PrivacyLossPair; count: number }[] = [];
  let infinite = false;
  for (const mech of mechanisms) {
    if (mech.count === 0) continue;
    switch (mech.kind) {
      case 'gaussian':
      case 'subsampled_gaussian': {
        const q = mech.kind === 'gaussian' ? 1 : mech.samplingRate;
        if (q === 0 || mech.noiseMultiplier === Infinity) break;
        if (mech.noiseMultiplier === 0) {
          infinite = true;
          break;
        }
        if (q === 1) gaussianPrecision += mech.count / (mech.noiseMultiplier * mech.noiseMultiplier);
        else {
          const { noiseMultiplier } = mech;
          pieces.push({ pair: (dir) => subsampledGaussianPair(q, noiseMultiplier, dir), count: mech.count });
        }
        break;
      }
      case 'laplace': {
        if (mech.scale === Infinity) break;
        if (mech.scale === 0) {
          infinite = true;
          break;
        }
        const pair = laplacePair(mech.scale);
        pieces.push({ pair: () => pair, count: mech.count });
        break;
      }
      case 'pure_dp': {
        if (mech.epsilon === 0) break;
        if (mech.epsilon === Infinity) {
          infinite = true;
          break;
        }
        const pair = pureDpPair(mech.epsilon);
        pieces.push({ pair: () => pair, count: mech.count });
        break;
      }
    }
  }
  if (infinite) return { remove: noPrivacyPmf(d), add: noPrivacyPmf(d), discretisation: d };
  if (gaussianPrecision > 0) {
    const sigma = 1 / Math.sqrt(gaussianPrecision);
    pieces.push({ pair: (dir) => subsampledGaussianPair(1, sigma, dir), count: 1 });
  }
  for (const direction of ['remove', 'add'] as const) {
    for (const piece of pieces) {
      const pmf = discretisePair(piece.pair(direction), options);
      result[direction] = composePmfs(result[direction], selfComposePmf(pmf, piece.count, options), options);
    }
  }
  return { ...result, discretisation: d };
}

function validateMechanism(m: PldMechanism): void {
  if (!(Number.isInteger(m.count) && m.count >= 0)) throw new PrivacyParameterError(`count must be a non-negative integer (got ${m.count})`);
  if ((m.kind === 'gaussian' || m.kind === 'subsampled_gaussian') && !(m.noiseMultiplier >= 0)) {
    throw new PrivacyParameterError(`noise multiplier must be ≥ 0 (got ${m.noiseMultiplier})`);
  }
  if (m.kind === 'subsampled_gaussian' && !(m.samplingRate >= 0 && m.samplingRate <= 1)) {
    throw new PrivacyParameterError(`sampling rate must be in [0, 1] (got ${m.samplingRate})`);
  }
  if (m.kind === 'laplace' && !(m.scale >= 0)) throw new PrivacyParameterError(`Laplace scale must be ≥ 0 (got ${m.scale})`);
  if (m.kind === 'pure_dp' && !(m.epsilon >= 0)) throw new PrivacyParameterError(`ε must be ≥ 0 (got ${m.epsilon})`);
}

/**
 * Compose the mechanisms' loss distributions (both directions). If the grid would exceed maxBins,
 * Δ is multiplied by 4 and the composition retried — a coarser grid keeps the bounds valid, only
 * wider (the result reports the Δ used).
 */
export function composePld(mechanisms: readonly PldMechanism[], options: PldOptions = {}): ComposedPld {
  mechanisms.forEach(validateMechanism);
  const resolved: Required<PldOptions> = {
    discretisation: options.discretisation ?? defaultDiscretisation(mechanisms),
    tailMassTruncation: options.tailMassTruncation ?? DEFAULTS.tailMassTruncation,
    maxBins: options.maxBins ?? DEFAULTS.maxBins,
  };
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      return composeAt(mechanisms, resolved);
    } catch (e) {
      if (!(e instanceof GridTooLargeError)) throw e;
      resolved.discretisation *= 4;
    }
  }
  throw new PrivacyParameterError('PLD accountant: loss distribution too wide even on a coarse grid');
}

function hoeffdingSlack(pmf: LossPmf, etaH: number): number {
  const d = pmf.discretisation;
  const t = pmf.pieces;
  return t * Math.exp(d) * d * d / 8 + d * Math.sqrt((t * Math.log(1 / etaH)) / 2);
}

export interface PldEpsilonResult {
  /** Rigorous upper bound on the tight ε(δ) — the guarantee to report. */
  epsilon: number;
  /** Rigorous lower bound on the tight ε(δ); epsilon − epsilonLower is the stated error. */
  epsilonLower: number;
  delta: number;
  /** Grid width actually used. */
  discretisation: number;
  /** Which adjacency direction is binding. */
  bindingDirection: Direction;
}

/** ε(δ) bracket from composed loss distributions (see the module comment for the bound). */
export function epsilonBracket(pld: ComposedPld, delta: number): PldEpsilonResult {
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError(`δ must be in (0, 1) (got ${delta})`);
  const etaH = delta / 100;
  let upper = 0;
  let lower = 0;
  let binding: Direction = 'remove';
  for (const direction of ['remove', 'add'] as const) {
    const pmf = pld[direction];
    const roundoff = pmf.roundoffL1;
    const up = delta - roundoff > 0 ? epsilonForDeltaPmf(pmf, delta - roundoff) : Infinity;
    const eta = etaH + pmf.excludedMass + roundoff;
    const lowRaw = epsilonForDeltaPmf(pmf, Math.min(delta + eta, 1));
    const low = Math.max(0, lowRaw - hoeffdingSlack(pmf, etaH));
    if (up > upper) {
      upper = up;
      binding = direction;
    }
    lower = Math.max(lower, low);
  }
  return { epsilon: upper, epsilonLower: Math.min(lower, upper), delta, discretisation: pld.discretisation, bindingDirection: binding };
}

export interface PldDeltaResult {
  /** Rigorous upper bound on the tight δ(ε). */
  delta: number;
  /** Rigorous lower bound on the tight δ(ε). */
  deltaLower: number;
  epsilon: number;
  discretisation: number;
}

/** δ(ε) bracket from composed loss distributions. */
export function deltaBracket(pld: ComposedPld, epsilon: number): PldDeltaResult {
  let upper = 0;
  let lower = 0;
  for (const direction of ['remove', 'add'] as const) {
    const pmf = pld[direction];
    upper = Math.max(upper, Math.min(1, deltaForEpsilonPmf(pmf, epsilon) + pmf.roundoffL1));
    // η_H is a free parameter of the lower bound (any value is valid); 1/1000 of δ is a good trade-off.
    const etaH = Math.max(1e-15, deltaForEpsilonPmf(pmf, epsilon) / 1000);
    const t = hoeffdingSlack(pmf, etaH);
    lower = Math.max(lower, deltaForEpsilonPmf(pmf, epsilon + t) - etaH - pmf.excludedMass - pmf.roundoffL1);
  }
  return { delta: upper, deltaLower: Math.max(0, lower), epsilon, discretisation: pld.discretisation };
}

/**
 * μ of the single Gaussian mechanism equivalent to the list, if every mechanism is Gaussian
 * (subsampling rate 1 or plain 'gaussian', all with σ > 0); undefined otherwise.
 */
function gaussianOnlyMu(mechanisms: readonly PldMechanism[]): number | undefined {
  let precision = 0;
  for (const m of mechanisms) {
    if (m.count === 0) continue;
    if (m.kind === 'gaussian' || (m.kind === 'subsampled_gaussian' && m.samplingRate === 1)) {
      if (!(m.noiseMultiplier > 0)) return undefined;
      precision += m.count / (m.noiseMultiplier * m.noiseMultiplier);
    } else if (m.kind === 'subsampled_gaussian' && m.samplingRate === 0) continue;
    else return undefined;
  }
  return Math.sqrt(precision);
}

/**
 * ε(δ) bracket of a list of mechanisms under add/remove adjacency. A list of Gaussian mechanisms
 * only is answered exactly by the closed form (`gaussianDp.ts`; bracket of width 0).
 */
export function pldEpsilon(mechanisms: readonly PldMechanism[], delta: number, options: PldOptions = {}): PldEpsilonResult {
  mechanisms.forEach(validateMechanism);
  const mu = gaussianOnlyMu(mechanisms);
  if (mu !== undefined) {
    const epsilon = gaussianEpsilonForDelta(mu, delta);
    return { epsilon, epsilonLower: epsilon, delta, discretisation: 0, bindingDirection: 'remove' };
  }
  return epsilonBracket(composePld(mechanisms, options), delta);
}

/** δ(ε) bracket of a list of mechanisms under add/remove adjacency (Gaussian-only lists exactly). */
export function pldDelta(mechanisms: readonly PldMechanism[], epsilon: number, options: PldOptions = {}): PldDeltaResult {
  mechanisms.forEach(validateMechanism);
  const mu = gaussianOnlyMu(mechanisms);
  if (mu !== undefined) {
    const delta = gaussianDeltaForEpsilon(mu, epsilon);
    return { delta, deltaLower: delta, epsilon, discretisation: 0 };
  }
  return deltaBracket(composePld(mechanisms, options), epsilon);
}
