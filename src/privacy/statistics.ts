/**
^ * DP statistics for the public API (counts, class counts, means, spreads, quantiles). Each one charges the ledger it is given FIRST (so a refused
 * charge releases nothing), registers the generator it draws from, then computes its noisy answer.
 * Each returns its value(s) and the ledger entry it charged.
 *
 * Adjacency is add/remove-one record throughout; a missing value (NaN) contributes nothing to
 * any statistic (it is neither counted nor summed), which is itself a function of the record, so
 * the sensitivities below hold with missing values too.
 *
 * Noise is specified either by a noise multiplier (noise std / L2 sensitivity) or by a standalone
 * ε: the smallest multiplier for which this one mechanism alone is (ε, δ_ledger)-DP under the
 * ledger's accountant (RDP conversion, or the exact Gaussian profile for 'pld'). What the ledger
 * charges is always the entry; the total is computed by composition.
 */
import type { Rng } from '../core/rng.js';
import { PrivacyParameterError } from './errors.js';
import { calibrateGaussianExact, calibrateNoiseMultiplier } from './calibrate.js';
import type { LedgerEntry, PrivacyLedger } from './ledger.js';
import { addGaussianNoise } from './random.js';

/** How much noise: a noise multiplier, or a standalone ε at the ledger's δ. */
export type NoiseSpec = { noiseMultiplier: number; epsilon?: undefined } | { epsilon: number; noiseMultiplier?: undefined };

export interface MechanismLabels {
  /** Ledger entry name (defaults to the primitive's name). */
  name?: string;
  /** Why the statistic is needed (shown in the receipt). */
  purpose?: string;
}

/** Noise multiplier for a Gaussian query from a spec (see the module comment). */
export function resolveNoiseMultiplier(ledger: PrivacyLedger, spec: NoiseSpec): number {
  if (spec.noiseMultiplier !== undefined) {
    if (!(spec.noiseMultiplier >= 0)) throw new PrivacyParameterError(`noise multiplier must be ≥ 0 (got ${spec.noiseMultiplier})`);
    return spec.noiseMultiplier;
  }
  const { epsilon } = spec;
  if (!(epsilon !== undefined && epsilon > 0 && Number.isFinite(epsilon))) throw new PrivacyParameterError(`ε must be finite and > 0 (got ${epsilon})`);
  const delta = ledger.budget.delta;
  if (!(delta > 0)) throw new PrivacyParameterError('a Gaussian mechanism needs a ledger with δ > 0');
  if (ledger.accountant === 'pld') return calibrateGaussianExact(epsilon, delta);
  return calibrateNoiseMultiplier({ targetEpsilon: epsilon, delta, samplingRate: 1, steps: 1, orders: ledger.orders }).noiseMultiplier;
}

/**
 * The Gaussian sum query every primitive here is built on, exported for joint queries (one vector
 * of sums whose per-record contribution has a known L2 bound): charge the ledger, register the
 * generator, then add snapped Gaussian noise of std noiseMultiplier·l2Sensitivity in place.
 */
export function gaussianSumQuery(
  values: Float64Array,
  l2Sensitivity: number,
  ledger: PrivacyLedger,
  spec: NoiseSpec,
  rng: Rng,
  name: string,
  purpose: string | undefined,
): { entry: LedgerEntry; noiseStd: number } {
  const noiseMultiplier = resolveNoiseMultiplier(ledger, spec);
  const entry = ledger.charge({ kind: 'gaussian', name, noiseMultiplier, purpose });
  ledger.registerRandomness(rng);
  const noiseStd = noiseMultiplier * l2Sensitivity;
  addGaussianNoise(values, noiseStd, rng);
  return { entry, noiseStd };
}

function checkBounds(bounds: readonly [number, number]): [number, number] {
  const [lo, hi] = bounds;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new PrivacyParameterError(`bounds must be finite with lo < hi (got [${lo}, ${hi}])`);
  return [lo, hi];
}

/**
 * One pass over a column for the moment queries: values clamped into [lo, hi] and centred,
 * u = (x − mid)/halfWidth ∈ [−1, 1] (centring halves the sensitivity of Σu); NaN excluded.
 * Returns the count n, Σu and Σ(u² − ½) (the −½ centres u² in [0, 1] the same way).
 */
function centredSums(values: Float64Array, lo: number, hi: number): { mid: number; half: number; n: number; s1: number; s2: number } {
  const mid = 0.5 * (lo + hi);
  const half = 0.5 * (hi - lo);
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    const u = Math.min(1, Math.max(-1, (x - mid) / half));
    n++;
    s1 += u;
    s2 += u * u - 0.5;
  }
  return { mid, half, n, s1, s2 };
}

export interface NoisyCount {
  /** Noisy count (unbiased; may be negative or fractional — clamp as the use requires). */
  value: number;
  noiseStd: number;
  entry: LedgerEntry;
}

/** DP count of n records: Gaussian mechanism with sensitivity 1. */
export function dpCount(n: number, ledger: PrivacyLedger, spec: NoiseSpec & MechanismLabels, rng: Rng): NoisyCount {
  if (!(n >= 0 && Number.isFinite(n))) throw new PrivacyParameterError(`count must be finite and ≥ 0 (got ${n})`);
  const values = Float64Array.of(n);
  const { entry, noiseStd } = gaussianSumQuery(values, 1, ledger, spec, rng, spec.name ?? 'dp_count', spec.purpose);
  return { value: values[0], noiseStd, entry };
}

export interface NoisyClassCounts {
  /** Noisy count per class (unbiased; may be negative). */
  counts: Float64Array;
  noiseStd: number;
  entry: LedgerEntry;
}

/**
 * DP class counts: one histogram query; a record adds 1 to exactly one class, so the L2
 * sensitivity is 1. `numClasses` must be public (it is not read from the data).
 */
export function dpClassCounts(
  labels: Uint8Array | Int32Array,
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels & { numClasses: number },
  rng: Rng,
): NoisyClassCounts {
  const { numClasses } = options;
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new PrivacyParameterError(`numClasses must be a positive integer (got ${numClasses})`);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c >= 0 && c < numClasses) counts[c] += 1;
  }
  const { entry, noiseStd } = gaussianSumQuery(counts, 1, ledger, options, rng, options.name ?? 'dp_class_counts', options.purpose);
  return { counts, noiseStd, entry };
}

export interface NoisyMean {
  /** DP mean, clamped into the bounds. */
  mean: number;
  /** Count used as denominator: the given one, or the noisy count of non-missing values. */
  count: number;
  noiseStd: number;
  entry: LedgerEntry;
  warnings: string[];
}

/**
 * DP mean of values clamped into public bounds [lo, hi]; NaN values are excluded. Released as one
 * Gaussian query on (Σu, n) with u = (x − mid)/halfWidth ∈ [−1, 1] (centring halves the
 * sensitivity of the sum): L2 sensitivity √2. If `count` is given (public, or a DP count released
 * before) only Σu is noised (sensitivity 1) and that count is the denominator. The denominator is
 * floored at 1; the mean is mid + halfWidth·Σu/n, clamped into the bounds.
 */
export function dpMean(
  values: Float64Array,
  bounds: readonly [number, number],
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels & { count?: number },
  rng: Rng,
): NoisyMean {
  const [lo, hi] = checkBounds(bounds);
  const { mid, half, n, s1: sum } = centredSums(values, lo, hi);
  const given = options.count;
  if (given !== undefined && !(given >= 0 && Number.isFinite(given))) throw new PrivacyParameterError(`count must be finite and ≥ 0 (got ${given})`);
  const query = given === undefined ? Float64Array.of(sum, n) : Float64Array.of(sum);
  const { entry, noiseStd } = gaussianSumQuery(query, given === undefined ? Math.SQRT2 : 1, ledger, options, rng, options.name ?? 'dp_mean', options.purpose);
  const warnings: string[] = [];
  const rawCount = given ?? query[1];
  if (rawCount < 1) warnings.push(`noisy count ${rawCount.toPrecision(3)} < 1; denominator floored at 1`);
  const count = Math.max(1, rawCount);
  const meanU = Math.min(1, Math.max(-1, query[0] / count));
  return { mean: mid + half * meanU, count, noiseStd, entry, warnings };
}

export interface NoisyMeanAndSpread {
  mean: number;
  /** DP standard deviation, clamped to [minSpreadFraction·(hi − lo), (hi − lo)/2]. */
  sd: number;
  count: number;
  noiseStd: number;
  entry: LedgerEntry;
  warnings: string[];
}

/**
 * DP mean and standard deviation (for standardising a feature) of values clamped into [lo, hi];
 * NaN excluded. One Gaussian query on (n, Σu, Σ(u² − ½)) with u = (x − mid)/halfWidth ∈ [−1, 1]:
 * the record's vector has norm ≤ √(1 + 1 + ¼) = 1.5 (the L2 sensitivity). The variance is
 * E[u²] − E[u]² from the noisy sums; noise can make it ≤ 0 or tiny, so the sd is floored at
 * minSpreadFraction (default 0.01) of the bounds' width — a spread that small would blow up a
 * standardised encoding — and capped at half the width (the largest possible sd in the bounds).
 */
export function dpMeanAndSpread(
  values: Float64Array,
  bounds: readonly [number, number],
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels & { minSpreadFraction?: number },
  rng: Rng,
): NoisyMeanAndSpread {
  const [lo, hi] = checkBounds(bounds);
  const minSpreadFraction = options.minSpreadFraction ?? 0.01;
  if (!(minSpreadFraction > 0 && minSpreadFraction <= 0.5)) throw new PrivacyParameterError('minSpreadFraction must be in (0, 0.5]');
  const { mid, half, n, s1, s2 } = centredSums(values, lo, hi);
  const query = Float64Array.of(n, s1, s2);
  const { entry, noiseStd } = gaussianSumQuery(query, 1.5, ledger, options, rng, options.name ?? 'dp_mean_and_spread', options.purpose);
  const warnings: string[] = [];
  if (query[0] < 1) warnings.push(`noisy count ${query[0].toPrecision(3)} < 1; denominator floored at 1`);
  const count = Math.max(1, query[0]);
  const meanU = Math.min(1, Math.max(-1, query[1] / count));
  const secondMoment = query[2] / count + 0.5;
  const variance = secondMoment - meanU * meanU;
  let sd = half * Math.sqrt(Math.max(0, variance));
  const floor = minSpreadFraction * (hi - lo);
  if (!(sd >= floor)) {
    warnings.push(`DP spread ${sd.toPrecision(3)} below the floor; using ${floor.toPrecision(3)}`);
    sd = floor;
  }
  sd = Math.min(sd, half);
  return { mean: mid + half * meanU, sd, count, noiseStd, entry, warnings };
}

export interface NoisyQuantiles {
  /** One DP quantile per requested probability, in the order given. */
  quantiles: Float64Array;
  /** ε spent per quantile (the entry charges `count` = probs.length of them). */
  epsilonPerQuantile: number;
  entry: LedgerEntry;
}

/**
 * DP quantiles by the exponential mechanism of Smith 2011 (as in Gillenwater, Joseph & Kulesza
 * 2021, §3.1), one independent run per probability with ε split equally. Values (NaN excluded) are
 * clamped into [lo, hi] and sorted: x_(0) = lo ≤ x_(1) ≤ … ≤ x_(n) ≤ x_(n+1) = hi. Interval
 * k = [x_(k), x_(k+1)] has utility −|k − p·n| (k = number of values below it) and is chosen with
 * probability ∝ length·exp(ε_q·utility/2); the output is uniform inside it. Adding or removing a
 * record moves k and p·n by at most 1 together, so each run is ε_q-DP; the ledger gets one
 * 'pure_dp' entry with count = number of quantiles. Sampling is done in log space; outputs are
 * snapped to a public grid of spacing 2^⌊log₂((hi−lo)·2⁻²⁴)⌋ (post-processing, against
 * floating-point leakage of the data values through the low bits).
 */
export function dpQuantiles(
  values: Float64Array,
  bounds: readonly [number, number],
  probs: readonly number[],
  ledger: PrivacyLedger,
  options: MechanismLabels & { epsilon: number },
  rng: Rng,
): NoisyQuantiles {
  const [lo, hi] = checkBounds(bounds);
  if (probs.length === 0 || !probs.every((p) => p >= 0 && p <= 1)) throw new PrivacyParameterError('probs must be a non-empty list in [0, 1]');
  const { epsilon } = options;
  if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new PrivacyParameterError(`ε must be finite and > 0 (got ${epsilon})`);
  const epsilonPerQuantile = epsilon / probs.length;
  const entry = ledger.charge({ kind: 'pure_dp', name: options.name ?? 'dp_quantiles', epsilon: epsilonPerQuantile, count: probs.length, purpose: options.purpose });
  ledger.registerRandomness(rng);

  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const sorted = new Float64Array(n + 2);
  sorted[0] = lo;
  sorted[n + 1] = hi;
  for (let i = 0, j = 1; i < values.length; i++) {
    const x = values[i];
    if (!Number.isNaN(x)) sorted[j++] = Math.min(hi, Math.max(lo, x));
  }
  sorted.subarray(1, n + 1).sort();
  const grid = 2 ** Math.floor(Math.log2((hi - lo) * 2 ** -24));
  const logWeights = new Float64Array(n + 1);
  const quantiles = new Float64Array(probs.length);
  probs.forEach((p, qi) => {
    let maxLog = -Infinity;
    for (let k = 0; k <= n; k++) {
      const length = sorted[k + 1] - sorted[k];
      const lw = length > 0 ? Math.log(length) - (epsilonPerQuantile / 2) * Math.abs(k - p * n) : -Infinity;
      logWeights[k] = lw;
      if (lw > maxLog) maxLog = lw;
    }
    let total = 0;
    for (let k = 0; k <= n; k++) total += Math.exp(logWeights[k] - maxLog);
    let target = rng.uniform() * total;
    let chosen = n;
    for (let k = 0; k <= n; k++) {
      const w = Math.exp(logWeights[k] - maxLog);
      if (target < w) {
        chosen = k;
        break;
      }
      target -= w;
    }
    // Guard against landing on a zero-length interval through rounding at the very end.
    while (chosen > 0 && !(sorted[chosen + 1] > sorted[chosen])) chosen--;
    const a = sorted[chosen];
    const b = sorted[chosen + 1];
    const y = a + rng.uniform() * (b - a);
    quantiles[qi] = Math.min(hi, Math.max(lo, grid * Math.round(y / grid)));
  });
  return { quantiles, epsilonPerQuantile, entry };
}
