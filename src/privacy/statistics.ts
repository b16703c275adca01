/**
 * DP counts, means, spreads and quantiles: one implementation, used by the condensation engine
 * (`condense/privateStatistics.ts`, which releases many of them in one joint query) and by the
 * public API (`dpCount`, `dpClassCounts`, `dpMeanAndSpread`, `dpQuantiles`, one query each).
 *
 * Both build their queries from the same parts — a record's contribution to a count, to a
 * column's moments, to a histogram — and decode the noisy sums with the same functions, so the
 * conventions (centring, weights, floors, clamps) are the engine's everywhere. Every release goes
 * through a `GaussianSumQuery` (`measurements.ts`), which charges the ledger FIRST (a refused
 * charge releases nothing), registers the generator, then adds the noise.
 *
 * Adjacency is add/remove-one record throughout; a missing value contributes nothing to any
 * statistic (it is neither counted nor summed), which is itself a function of the record, so the
 * sensitivities below hold with missing values too.
 *
 * In the public API noise is specified either by a noise multiplier (noise std / L2 sensitivity)
 * or by a standalone ε: the smallest multiplier for which this one mechanism alone is
 * (ε, δ_ledger)-DP under the ledger's accountant (RDP conversion, or the exact Gaussian profile
 * for 'pld'). What the ledger charges is always the entry; the total is computed by composition.
 */
import type { Rng } from '../core/rng.js';
import { PrivacyParameterError } from './errors.js';
import { calibrateGaussianExact, calibrateNoiseMultiplier } from './calibrate.js';
import type { LedgerEntry, PrivacyLedger } from './ledger.js';
import { SumQueryBuilder } from './measurements.js';

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

// ---------------------------------------------------------------------------------------------
// The parts: a column's moments inside a joint sum query.

/**
 * Weights of a record's second-moment and presence contributions. The means drive the encoding and
 * the initial rows, so they get full weight; halving the weight of u² and of the presence count cuts
 * a numeric column's sensitivity from √3 to √1.5 — less noise on every mean — at the price of twice
 * the relative noise on spreads and missing-value rates, which matter less.
 */
const SECOND_MOMENT_WEIGHT = 0.5;
const PRESENCE_WEIGHT = 0.5;

/**
 * Where a column's weighted presence count sits in its moment part (numeric: third, binary: second;
 * categorical parts have none) and its weight w_p: the count in records is the coordinate / w_p.
 */
export function presenceCoordinate(kind: MomentKind): { offset: number; weight: number } | undefined {
  if (kind === 'categorical') return undefined;
  return { offset: kind === 'binary' ? 1 : 2, weight: PRESENCE_WEIGHT };
}

/** The (noisy) number of present values a numeric or binary moment part at `sums[base …]` records. */
function presentCount(sums: Float64Array, base: number, kind: 'numeric' | 'binary'): number {
  const { offset, weight } = presenceCoordinate(kind)!;
  return sums[base + offset] / weight;
}

/** A column's kind for its moments: numeric (mean, spread), binary (P(1)) or categorical (level shares). */
export type MomentKind = 'numeric' | 'binary' | 'categorical';

/** Moments of one column, decoded from noisy sums. */
export interface FeatureMoments {
  /** Numeric/integer: mean and standard deviation in data units. Binary: mean = P(1). */
  mean: number;
  sd: number;
  /** Categorical: level probabilities (card order). */
  levelProbabilities?: Float64Array;
  /** Noisy number of present values (at least 1); numeric and binary only. */
  present?: number;
  /**
   * Numeric only, when the moments were decoded with their noise: the standard deviation of the DP
   * noise in `mean` (data units), from the query's noise std, the bounds and the noisy present count —
   * public and DP quantities only.
   */
  meanNoiseSd?: number;
}

/**
 * The sum-query part of a column's moments: its width and the bound on a record's squared
 * contribution — numeric: the clipped, centred value u ∈ [−1, 1] (data mapped by the bounds),
 * w₂·u² and a weighted presence count w_p (norm² ≤ 1 + w₂² + w_p²); binary: the value and w_p
 * (≤ 1 + w_p²); categorical: a 1 for its level (1).
 */
export function momentPart(kind: MomentKind, levels = 0): { width: number; squaredNormBound: number } {
  if (kind === 'categorical') return { width: levels, squaredNormBound: 1 };
  if (kind === 'binary') return { width: 2, squaredNormBound: 1 + PRESENCE_WEIGHT ** 2 };
  return { width: 3, squaredNormBound: 1 + SECOND_MOMENT_WEIGHT ** 2 + PRESENCE_WEIGHT ** 2 };
}

/**
 * Squared-norm bound of the numeric moment parts of `features` numeric columns when each record's
 * centred values u (one per present numeric column) are jointly clipped to L2 norm `clip`
 * (`numericClipScales`): the sums Σu contribute Σu² ≤ min(clip², features) (each |u| ≤ 1), the
 * second moments Σ(w₂u²)² ≤ w₂²·Σu² (since u⁴ ≤ u²), and the presence counts w_p² per column.
 * Without the clip the bound is features·(1 + w₂² + w_p²); a clip ≥ √features changes nothing.
 */
export function clippedNumericMomentsBound(features: number, clip: number): number {
  if (!(clip > 0 && Number.isFinite(clip))) throw new PrivacyParameterError(`the moments' clip norm must be finite and > 0 (got ${clip})`);
  const sums = Math.min(clip * clip, features); // Σu² ≤ features holds with or without the clip
  return sums + SECOND_MOMENT_WEIGHT ** 2 * sums + PRESENCE_WEIGHT ** 2 * features;
}

/**
 * Per-record factor min(1, clip / ‖u‖) that scales the record's centred numeric values
 * u = (x − mid)/half (clamped to [−1, 1], missing values 0) to L2 norm at most `clip`; records
 * with ‖u‖ ≤ clip keep factor 1 (READS REAL RECORDS).
 */
export function numericClipScales(
  columns: readonly { values: ArrayLike<number>; missing?: Uint8Array }[],
  bounds: readonly (readonly [number, number])[],
  clip: number,
  rows: number,
): Float64Array {
  const squaredNorm = new Float64Array(rows);
  columns.forEach(({ values, missing }, c) => {
    const [low, high] = bounds[c];
    const mid = (low + high) / 2;
    const half = (high - low) / 2;
    for (let i = 0; i < rows; i++) {
      if (missing ? missing[i] : Number.isNaN(values[i])) continue;
      const u = Math.min(1, Math.max(-1, (values[i] - mid) / half));
      squaredNorm[i] += u * u;
    }
  });
  const scales = new Float64Array(rows);
  for (let i = 0; i < rows; i++) scales[i] = squaredNorm[i] > clip * clip ? clip / Math.sqrt(squaredNorm[i]) : 1;
  return scales;
}

/**
 * Add the moment contribution of each of the first `rows` records (default: all) for one column
 * (READS REAL RECORDS) at `acc[block·stride + offset …]`, where `block` is the record's block
 * (`blockOf[i]`, −1 for none; block 0 for all without `blockOf`). A value is missing where `missing[i]` is set, or, without a
 * mask, where it is NaN. Categorical values are level indices; binary values 0/1. A numeric value's
 * centred u is multiplied by `scales[i]` when given (the joint clip of `numericClipScales`).
 */
export function addColumnMoments(
  acc: Float64Array,
  column: { values: ArrayLike<number>; missing?: Uint8Array },
  kind: MomentKind,
  bounds: readonly [number, number],
  layout: { offset: number; stride: number; blockOf?: Int32Array; rows?: number; scales?: Float64Array },
): void {
  const { values, missing } = column;
  const { offset, stride, blockOf, scales } = layout;
  const rows = layout.rows ?? values.length;
  const [low, high] = bounds;
  const mid = (low + high) / 2;
  const half = (high - low) / 2;
  for (let i = 0; i < rows; i++) {
    const s = blockOf ? blockOf[i] : 0;
    if (s < 0 || (missing ? missing[i] : Number.isNaN(values[i]))) continue;
    const base = s * stride + offset;
    if (kind === 'categorical') acc[base + values[i]] += 1;
    else if (kind === 'binary') {
      acc[base] += values[i];
      acc[base + 1] += PRESENCE_WEIGHT;
    } else {
      const u = Math.min(1, Math.max(-1, (values[i] - mid) / half)) * (scales ? scales[i] : 1);
      acc[base] += u;
      acc[base + 1] += SECOND_MOMENT_WEIGHT * u * u;
      acc[base + 2] += PRESENCE_WEIGHT;
    }
  }
}

/**
 * Per-cell sums of a numeric column, for clipping to bounds chosen after the values were read. The
 * cells are cut by a public, ascending list of values `cuts`: cell j holds the values with exactly
 * j cuts at or below them (cell 0 below the first cut, the last cell at or above the last). For each
 * cell the sums are (count, Σ(x − ref), Σ(x − ref)²) with ref the cell's lower cut (the first cut
 * for cell 0), so they stay exact to rounding however far the values lie from zero.
 */
export const CELL_SUMS = 3;

/** Index of the cell of `x` among ascending `cuts`: the number of cuts ≤ x (binary search). */
export function cellOf(cuts: Float64Array, x: number): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cuts[mid] <= x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Add each of the first `rows` records' value of one numeric column to its cell's sums (READS REAL
 * RECORDS) at `acc[(block·(cuts + 1) + cell)·CELL_SUMS …]`, skipping missing values and records of
 * block −1. `addCellMoments` later turns the sums into the column's moment part for any bounds that
 * are two of the cuts — exactly what `addColumnMoments` would have added with those bounds.
 */
export function addColumnCellSums(
  acc: Float64Array,
  column: { values: ArrayLike<number>; missing: Uint8Array },
  cuts: Float64Array,
  layout: { blockOf: Int32Array; rows: number },
): void {
  const { values, missing } = column;
  const cells = cuts.length + 1;
  for (let i = 0; i < layout.rows; i++) {
    const s = layout.blockOf[i];
    if (s < 0 || missing[i]) continue;
    const x = values[i];
    const cell = cellOf(cuts, x);
    const d = x - cuts[Math.max(0, cell - 1)];
    const at = (s * cells + cell) * CELL_SUMS;
    acc[at] += 1;
    acc[at + 1] += d;
    acc[at + 2] += d * d;
  }
}

/**
 * Add the numeric moment part (Σu, w₂Σu², w_p·present; see `addColumnMoments`) of the values whose
 * cell sums start at `cellSums[from …]` to `acc[base …]`, for `bounds` that are both among `cuts`:
 * cells below the lower bound give u = −1, cells from the upper bound on u = +1, and the cells
 * between contribute their sums shifted to the bounds' centre. Equal to `addColumnMoments` up to
 * the order of the additions.
 */
export function addCellMoments(acc: Float64Array, base: number, cellSums: Float64Array, from: number, cuts: Float64Array, bounds: readonly [number, number]): void {
  const [low, high] = bounds;
  const first = cuts.indexOf(low);
  const last = cuts.indexOf(high);
  if (first < 0 || last < 0) throw new Error(`addCellMoments: bounds [${low}, ${high}] are not cuts of the cell grid`);
  const mid = (low + high) / 2;
  const half = (high - low) / 2;
  let present = 0;
  let sumU = 0;
  let sumU2 = 0;
  for (let cell = 0; cell <= cuts.length; cell++) {
    const at = from + cell * CELL_SUMS;
    const count = cellSums[at];
    if (count === 0) continue;
    present += count;
    if (cell <= first || cell > last) {
      // Cell 0..first lies below the lower bound, cells after `last` at or above the upper bound.
      sumU += cell <= first ? -count : count;
      sumU2 += count;
    } else {
      const shift = cuts[cell - 1] - mid;
      sumU += (cellSums[at + 1] + count * shift) / half;
      sumU2 += (cellSums[at + 2] + 2 * shift * cellSums[at + 1] + count * shift * shift) / (half * half);
    }
  }
  acc[base] += sumU;
  acc[base + 1] += SECOND_MOMENT_WEIGHT * sumU2;
  acc[base + 2] += PRESENCE_WEIGHT * present;
}

/**
 * A column's moments from the noisy sums at `sums[base …]` (post-processing). The number of present
 * values is floored at 1; a mean is clamped into the bounds (P(1) into [0, 1]); level shares are
 * clamped at 0 and renormalised (uniform when nothing is left). The variance E[u²] − E[u]² can be
 * ≤ 0 or tiny under noise, so the sd is floored at 1% of the bounds' width — a spread that small
 * would blow up a standardised encoding — and capped at the width. With `spreadNoise` the variance
 * is read by `scalePriorVariance` instead of as max(0, v̂).
 */
export function decodeColumnMoments(
  sums: Float64Array,
  base: number,
  kind: MomentKind,
  bounds: readonly [number, number],
  levels = 0,
  presentEstimate?: number,
  /** With the noise stds of the column's sum and second-moment coordinates: the spread by `scalePriorVariance` instead of the plug-in. */
  spreadNoise?: { sum: number; square: number },
): FeatureMoments {
  if (kind === 'categorical') {
    const p = new Float64Array(levels);
    let total = 0;
    for (let l = 0; l < levels; l++) total += p[l] = Math.max(0, sums[base + l]);
    if (total <= 0) p.fill(1 / levels);
    else for (let l = 0; l < levels; l++) p[l] /= total;
    return { mean: NaN, sd: NaN, levelProbabilities: p };
  }
  if (kind === 'binary') {
    const present = Math.max(1, presentEstimate ?? presentCount(sums, base, kind));
    const p = Math.min(1, Math.max(0, sums[base] / present));
    return { mean: p, sd: Math.sqrt(p * (1 - p)), present };
  }
  const [low, high] = bounds;
  const half = (high - low) / 2;
  const present = Math.max(1, presentEstimate ?? presentCount(sums, base, kind));
  const meanU = Math.min(1, Math.max(-1, sums[base] / present));
  const plugIn = sums[base + 1] / SECOND_MOMENT_WEIGHT / present - meanU * meanU;
  // The variance's noise sd in u² units (delta method on E[u²] − E[u]², the present count taken as exact).
  const varianceNoise = spreadNoise && Math.hypot(spreadNoise.square / (SECOND_MOMENT_WEIGHT * present), (2 * meanU * spreadNoise.sum) / present);
  const varU = varianceNoise ? scalePriorVariance(plugIn, varianceNoise, SD_FLOOR_U ** 2, 1) : Math.max(0, plugIn);
  const sd = Math.max(half * Math.sqrt(varU), 0.01 * (high - low));
  return { mean: (low + high) / 2 + half * meanU, sd: Math.min(sd, high - low), present };
}

/** The sd floor of `decodeColumnMoments` in u units (u spans [−1, 1]): 1 % of the bounds' width. */
const SD_FLOOR_U = 0.02;

/**
 * A variance from its noisy estimate under a scale-invariant prior (post-processing). The plug-in
 * max(0, v̂) of a variance whose noise sd s is far larger than the variance is mostly noise: a draw
 * one s above it reads as a spread of √s, which on a feature whose bounds are wide against its data
 * is tens of true sds. Here the variance v gets the prior ∝ 1/v on [low, high] (uniform in log v,
 * the usual reference prior for a scale, with public ends), the likelihood N(v̂; v, s²), and the
 * estimate is the posterior median — which, unlike the posterior mean, is the same whether it is
 * taken of the variance or of the sd. Where the noise is small against v̂ the likelihood dominates
 * and the estimate is close to v̂; where it is not, the estimate falls inside the decades the noise
 * cannot rule out instead of at their top.
 */
export function scalePriorVariance(estimate: number, noiseSd: number, low: number, high: number): number {
  if (!(low > 0 && high > low)) throw new RangeError(`scalePriorVariance: need 0 < low < high, got [${low}, ${high}]`);
  if (!(noiseSd > 0)) return Math.min(high, Math.max(low, estimate));
  // The posterior on an evenly spaced grid in log v (the prior's density there is constant).
  const weights = SCALE_PRIOR_WEIGHTS;
  const points = weights.length;
  const logLow = Math.log(low);
  const step = (Math.log(high) - logLow) / (points - 1);
  let largest = -Infinity;
  for (let i = 0; i < points; i++) {
    const z = (estimate - Math.exp(logLow + i * step)) / noiseSd;
    weights[i] = -0.5 * z * z;
    if (weights[i] > largest) largest = weights[i];
  }
  let total = 0;
  for (let i = 0; i < points; i++) total += weights[i] = Math.exp(weights[i] - largest);
  // Grid point i carries the mass of the cell [i − ½, i + ½] (in steps); the median is interpolated
  // inside the cell where the cumulative mass passes half, so it is a continuous function of the
  // weights. (The first grid point past half the mass is not: on a flat posterior the half falls on
  // a cell edge, and the last bit of Math.exp — which differs between JavaScript engines — decides.)
  let cumulative = 0;
  for (let i = 0; i < points; i++) {
    if (cumulative + weights[i] >= total / 2) {
      const position = i - 0.5 + (total / 2 - cumulative) / weights[i];
      return Math.exp(logLow + Math.min(points - 1, Math.max(0, position)) * step);
    }
    cumulative += weights[i];
  }
  return high;
}

/** The log-spaced grid `scalePriorVariance` integrates on (a reused buffer: 512 points over at most a few decades). */
const SCALE_PRIOR_WEIGHTS = new Float64Array(512);

// ---------------------------------------------------------------------------------------------
// Histograms and their quantiles.

/**
 * Clear the bins of a noisy histogram (released with noise std `noiseStd`) whose count is at most
 * two noise standard deviations, so noise in the many empty bins does not become mass; with
 * `noiseStd` 0 (exact counts) only empty bins are cleared.
 */
export function clearNoiseFloor(counts: Float64Array, noiseStd: number): Float64Array {
  const cutoff = 2 * noiseStd;
  for (let b = 0; b < counts.length; b++) if (counts[b] <= cutoff) counts[b] = 0;
  return counts;
}

/** The scale on which a histogram's bins are interpolated: data units, or logarithmic (positive edges). */
export type HistogramScale = 'linear' | 'log';

/**
 * Quantiles of a histogram with bin `edges`, for probabilities `probs` in (0, 1), interpolated
 * linearly inside a bin on `scale`; NaN when the histogram is empty. Post-processing of DP counts.
 */
export function histogramQuantiles(edges: Float64Array, counts: Float64Array, probs: readonly number[], scale: HistogramScale = 'linear'): Float64Array {
  const forward = scale === 'log' ? Math.log : (x: number) => x;
  const inverse = scale === 'log' ? Math.exp : (x: number) => x;
  let total = 0;
  for (const c of counts) total += c;
  const out = new Float64Array(probs.length);
  if (total <= 0) {
    out.fill(NaN);
    return out;
  }
  probs.forEach((p, k) => {
    const target = p * total;
    let cum = 0;
    for (let b = 0; b < counts.length; b++) {
      if (counts[b] <= 0) continue;
      if (cum + counts[b] >= target) {
        const frac = (target - cum) / counts[b];
        const lo = forward(edges[b]);
        const hi = forward(edges[b + 1]);
        out[k] = inverse(lo + frac * (hi - lo));
        return;
      }
      cum += counts[b];
    }
    out[k] = edges[edges.length - 1];
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The public API: one statistic per query.

function checkBounds(bounds: readonly [number, number]): [number, number] {
  const [lo, hi] = bounds;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new PrivacyParameterError(`bounds must be finite with lo < hi (got [${lo}, ${hi}])`);
  return [lo, hi];
}

export interface NoisyCount {
  /** Noisy count (unbiased; may be negative or fractional — clamp as the use requires). */
  value: number;
  noiseStd: number;
  entry: LedgerEntry;
}

/** DP count of n records: Gaussian mechanism with sensitivity 1 (a stratum count in the engine). */
export function dpCount(n: number, ledger: PrivacyLedger, spec: NoiseSpec & MechanismLabels, rng: Rng): NoisyCount {
  if (!(n >= 0 && Number.isFinite(n))) throw new PrivacyParameterError(`count must be finite and ≥ 0 (got ${n})`);
  const builder = new SumQueryBuilder();
  builder.part(1, 1);
  const query = builder.build({ name: spec.name ?? 'dp_count', purpose: spec.purpose }, resolveNoiseMultiplier(ledger, spec));
  const values = Float64Array.of(n);
  const entry = query.release(values, ledger, rng);
  return { value: values[0], noiseStd: query.noiseStd, entry };
}

export interface NoisyClassCounts {
  /** Noisy count per class (unbiased; may be negative). */
  counts: Float64Array;
  noiseStd: number;
  entry: LedgerEntry;
}

/**
 * DP class counts: one count per class, each record adding 1 to its class only (disjoint blocks,
 * as the engine's stratum counts), so the L2 sensitivity is 1. `numClasses` must be public.
 */
export function dpClassCounts(
  labels: Uint8Array | Int32Array,
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels & { numClasses: number },
  rng: Rng,
): NoisyClassCounts {
  const { numClasses } = options;
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new PrivacyParameterError(`numClasses must be a positive integer (got ${numClasses})`);
  const builder = new SumQueryBuilder();
  builder.part(1, 1);
  builder.disjointBlocks(numClasses);
  const query = builder.build({ name: options.name ?? 'dp_class_counts', purpose: options.purpose }, resolveNoiseMultiplier(ledger, options));
  const counts = new Float64Array(builder.totalWidth);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c >= 0 && c < numClasses) counts[c] += 1;
  }
  const entry = query.release(counts, ledger, rng);
  return { counts, noiseStd: query.noiseStd, entry };
}

export interface NoisyMeanAndSpread {
  /** DP mean, clamped into the bounds. */
  mean: number;
  /** DP standard deviation, floored at 1% of the bounds' width and capped at the width. */
  sd: number;
  /** Noisy number of non-missing values (at least 1): the denominator. */
  count: number;
  noiseStd: number;
  entry: LedgerEntry;
}

/**
 * DP mean and standard deviation of values clamped into public bounds [lo, hi]; NaN excluded. One
 * Gaussian query on the engine's numeric moment part (Σu, w₂Σu², w_p·count) with
 * u = (x − mid)/halfWidth ∈ [−1, 1], L2 sensitivity √1.5; decoded as the engine decodes a feature's
 * moments (`decodeColumnMoments`).
 */
export function dpMeanAndSpread(
  values: Float64Array,
  bounds: readonly [number, number],
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels,
  rng: Rng,
): NoisyMeanAndSpread {
  const checked = checkBounds(bounds);
  const { width, squaredNormBound } = momentPart('numeric');
  const builder = new SumQueryBuilder();
  builder.part(width, squaredNormBound);
  const query = builder.build({ name: options.name ?? 'dp_mean_and_spread', purpose: options.purpose }, resolveNoiseMultiplier(ledger, options));
  const sums = new Float64Array(width);
  addColumnMoments(sums, { values }, 'numeric', checked, { offset: 0, stride: width });
  const entry = query.release(sums, ledger, rng);
  const { mean, sd, present } = decodeColumnMoments(sums, 0, 'numeric', checked);
  return { mean, sd, count: present!, noiseStd: query.noiseStd, entry };
}

export interface NoisyQuantiles {
  /** One DP quantile per requested probability, in the order given (NaN if no bin survived the noise). */
  quantiles: Float64Array;
  noiseStd: number;
  entry: LedgerEntry;
}

/**
 * DP quantiles as the engine takes them (its follow-up times): a Gaussian histogram of the values
 * (NaN excluded, clamped into [lo, hi]) on a public grid of `bins` equal bins (default 64), each
 * record adding 1 to one bin (sensitivity 1); bins within two noise standard deviations of zero are
 * cleared (`clearNoiseFloor`) and the quantiles interpolated linearly inside their bins
 * (`histogramQuantiles`). All probabilities come from the one histogram, so asking for more
 * quantiles costs nothing more.
 */
export function dpQuantiles(
  values: Float64Array,
  bounds: readonly [number, number],
  probs: readonly number[],
  ledger: PrivacyLedger,
  options: NoiseSpec & MechanismLabels & { bins?: number },
  rng: Rng,
): NoisyQuantiles {
  const [lo, hi] = checkBounds(bounds);
  if (probs.length === 0 || !probs.every((p) => p >= 0 && p <= 1)) throw new PrivacyParameterError('probs must be a non-empty list in [0, 1]');
  const bins = options.bins ?? 64;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new PrivacyParameterError(`bins must be a positive integer (got ${bins})`);
  const builder = new SumQueryBuilder();
  builder.part(bins, 1);
  const query = builder.build({ name: options.name ?? 'dp_quantiles', purpose: options.purpose }, resolveNoiseMultiplier(ledger, options));
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)))] += 1;
  }
  const entry = query.release(counts, ledger, rng);
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + ((hi - lo) * b) / bins;
  const quantiles = histogramQuantiles(edges, clearNoiseFloor(counts, query.noiseStd), probs);
  return { quantiles, noiseStd: query.noiseStd, entry };
}
