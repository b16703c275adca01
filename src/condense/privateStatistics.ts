/**
 * The statistics of the real table that the condensation needs before it starts — bounds for
 * features without public ones, per-stratum means, spreads and level frequencies (for the encoding
 * and the private initialisation), class counts (for the class-balanced loss and the batch-size
 * normalisation) and, for survival, the distribution of follow-up times (for the loss's time grid and
 * the synthetic times).
 *
 * Every statistic is one *joint* Gaussian sum query: each patient contributes a vector whose
 * coordinates are each bounded, so its L2 norm — the sensitivity under add/remove adjacency — is
 * known in advance, and one Gaussian mechanism releases the whole vector. Charging the ledger happens
 * before any noisy value is computed. In a non-private run the same code returns exact statistics
 * and records each query with noise multiplier 0 (so the receipt's ε is ∞).
 */
import type { Rng } from '../core/rng.js';
import type { DatasetCard } from '../data/card.js';
import { forEachColumnBlock, type Table } from '../data/table.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { SumQueryBuilder, type GaussianMeasurement, type GaussianSumQuery } from '../privacy/measurements.js';
import { MECHANISM, type DataAccessScope } from '../privacy/dataAccess.js';
import {
  addColumnMoments,
  clearNoiseFloor,
  clippedNumericMomentsBound,
  decodeColumnMoments,
  momentPart,
  numericClipScales,
  type FeatureMoments,
  type MomentKind,
} from '../privacy/statistics.js';
import { erfc } from '../privacy/analysis/special.js';


export interface NoisyQueryContext {
  /** False in a non-private run: statistics are exact and nothing is charged. */
  readonly isPrivate: boolean;
  readonly ledger: PrivacyLedger;
  /** Noise source (cryptographically secure for a release). */
  readonly noiseRng: Rng;
  /** The run's data-access scope: real values are read only inside a named mechanism. */
  readonly scope: DataAccessScope;
}

function release(ctx: NoisyQueryContext, query: GaussianSumQuery, sums: Float64Array): void {
  query.release(sums, ctx.ledger, ctx.noiseRng, ctx.isPrivate);
}

// ---------------------------------------------------------------------------------------------
// Bounds for numeric features whose card has none.

/** Symmetric-log histogram grid: slog(x) = sign(x)·log10(1 + |x|) over [−7, 7] (|x| up to 10^7). */
const SLOG_MAX = 7;
const SLOG_BINS = 112;
const slog = (x: number) => Math.sign(x) * Math.log10(1 + Math.abs(x));
const slogInverse = (s: number) => Math.sign(s) * (10 ** Math.abs(s) - 1);

/** Numeric/integer features with no public bounds in the card nor supplied by the user. */
export function featuresNeedingBounds(card: DatasetCard, userBounds: Record<string, [number, number]> = {}): string[] {
  return card.features
    .filter((f) => (f.type === 'numeric' || f.type === 'integer') && !f.bounds && !userBounds[f.name])
    .map((f) => f.name);
}

/** Expected number of empty bins, over a whole histogram query, allowed to pass the noise threshold. */
export const SPURIOUS_BINS_PER_QUERY = 0.05;

/**
 * The threshold, in noise standard deviations, above which a bin of a noisy histogram query with
 * `bins` bins in all counts as occupied: at least 3, and high enough that the expected number of
 * empty bins whose noise alone clears it is at most `SPURIOUS_BINS_PER_QUERY` over the whole query
 * (a Bonferroni bound: bins · P(N(0, 1) > z) ≤ 0.05). A fixed 3 sd lets 0.13 % of empty bins
 * through — about 17 of the 13,000 bins of a 116-feature bounds query — and one such bin far out in
 * the tail stretches a feature's bounds to hundreds of standard deviations (docs/RESULTS.md,
 * "High-dimensional tables"). Depends on the number of bins only (public).
 */
export function occupiedBinThreshold(bins: number): number {
  const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  if (bins * tail(3) <= SPURIOUS_BINS_PER_QUERY) return 3;
  let low = 3;
  let high = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (bins * tail(mid) > SPURIOUS_BINS_PER_QUERY) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * DP bounds from one joint histogram query: every record adds 1 to one bin of each listed feature's
 * histogram on a fixed, public symmetric-log grid (so the sensitivity is √(number of features)).
 * Bins whose noisy count is below `threshold` standard deviations (default `occupiedBinThreshold`
 * of the query's bins) are treated as empty, so noise in the many empty bins cannot stretch the
 * bounds; the bounds are the outer edges of the surviving bins, widened by one bin on each side.
 * Values outside them are clamped later; that bias is the price of not spending budget on the
 * extreme tails.
 */
export function privateFeatureBounds(
  table: Table,
  features: readonly string[],
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  threshold = occupiedBinThreshold(features.length * SLOG_BINS),
): Record<string, [number, number]> {
  const result: Record<string, [number, number]> = {};
  if (features.length === 0) return result;
  const indices = features.map((name) => {
    const f = table.features.findIndex((c) => c.spec.name === name);
    if (f < 0) throw new Error(`privateFeatureBounds: no feature "${name}"`);
    return f;
  });
  const columns = indices.map((f) => table.features[f]);
  const binWidth = (2 * SLOG_MAX) / SLOG_BINS;
  // Each record adds 1 to one bin of each feature's histogram (or nothing when missing).
  const layout = new SumQueryBuilder();
  for (let f = 0; f < features.length; f++) layout.part(SLOG_BINS, 1);
  const query = layout.build({ name: MECHANISM.featureBounds, purpose: `bounds of ${features.length} features without public bounds` }, noiseMultiplier);
  const counts = ctx.scope.inside(MECHANISM.featureBounds, () => {
    const sums = new Float64Array(features.length * SLOG_BINS);
    forEachColumnBlock(table, (start, count, blockColumns) => {
      columns.forEach((column, f) => {
        const values = blockColumns[indices[f]];
        const missing = column.missing;
        for (let i = 0; i < count; i++) {
          if (missing[start + i]) continue;
          const s = Math.min(Math.max(slog(values[i]), -SLOG_MAX), SLOG_MAX);
          const bin = Math.min(SLOG_BINS - 1, Math.floor((s + SLOG_MAX) / binWidth));
          sums[f * SLOG_BINS + bin] += 1;
        }
      });
    });
    return sums;
  });
  release(ctx, query, counts);
  const cutoff = ctx.isPrivate ? threshold * query.noiseMultiplier * query.l2Sensitivity : 0.5;
  columns.forEach((column, f) => {
    const span = survivingSpan(counts, f * SLOG_BINS, SLOG_BINS, cutoff);
    // Nothing survived the threshold: fall back to a unit interval around 0 (public, arbitrary).
    const [low, high] = span
      ? [slogInverse(-SLOG_MAX + span[0] * binWidth), slogInverse(-SLOG_MAX + span[1] * binWidth)]
      : [0, 1];
    result[column.spec.name] = roundBounds(column.spec.type, low, high);
  });
  return result;
}

/**
 * Bin range [first, last + 1) of the histogram slice [offset, offset + bins) whose counts exceed
 * `cutoff`, widened by one bin on each side (clamped to the grid); undefined when no bin survives.
 */
function survivingSpan(counts: Float64Array, offset: number, bins: number, cutoff: number): [number, number] | undefined {
  let first = -1;
  let last = -1;
  for (let b = 0; b < bins; b++) {
    if (counts[offset + b] > cutoff) {
      if (first < 0) first = b;
      last = b;
    }
  }
  return first < 0 ? undefined : [Math.max(0, first - 1), Math.min(bins, last + 2)];
}

function roundBounds(type: string, low: number, high: number): [number, number] {
  if (type === 'integer') {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  return high > low ? [low, high] : [low, low + 1];
}

/** Bins of the public uniform grid inside a feature's bounds used to find where its data lie. */
export const RANGE_BINS = 32;

/**
 * Where the data lie inside wide bounds. Public bounds are often far wider than the data (a card
 * says [0, 1] for a ratio that lives in [0.05, 0.16]), and the noise of every later statistic on a
 * bounded feature scales with the width of its bounds. One joint histogram query — each record adds
 * 1 to one of RANGE_BINS equal bins inside each listed feature's bounds (sensitivity √features) —
 * keeps the bins whose noisy count clears `threshold` noise standard deviations (default
 * `occupiedBinThreshold` of the query's bins); the range is their
 * outer edges widened by one bin, then by the core's own width on each side, inside the given bounds. A feature with no surviving bin keeps its
 * bounds. Values outside the range are clamped later, the same bias `privateFeatureBounds` accepts.
 * The bounds given may themselves be DP (`privateFeatureBounds`: a symmetric-log grid whose bins
 * are a factor 1.33 wide, so those bounds too span many standard deviations).
 */
export function privateDataRanges(
  table: Table,
  bounds: Record<string, [number, number]>,
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  threshold = occupiedBinThreshold(Object.keys(bounds).length * RANGE_BINS),
): Record<string, [number, number]> {
  const names = Object.keys(bounds);
  const result: Record<string, [number, number]> = {};
  if (names.length === 0) return result;
  const indices = names.map((name) => table.features.findIndex((c) => c.spec.name === name));
  const columns = indices.map((f) => table.features[f]);
  const layout = new SumQueryBuilder();
  for (let f = 0; f < names.length; f++) layout.part(RANGE_BINS, 1);
  const query = layout.build({ name: MECHANISM.dataRanges, purpose: `data ranges inside the public bounds of ${names.length} features` }, noiseMultiplier);
  const counts = ctx.scope.inside(MECHANISM.dataRanges, () => {
    const sums = new Float64Array(names.length * RANGE_BINS);
    forEachColumnBlock(table, (start, count, blockColumns) => {
      columns.forEach((column, f) => {
        const [low, high] = bounds[names[f]];
        const values = blockColumns[indices[f]];
        const missing = column.missing;
        for (let i = 0; i < count; i++) {
          if (missing[start + i]) continue;
          const bin = Math.min(RANGE_BINS - 1, Math.max(0, Math.floor(((values[i] - low) / (high - low)) * RANGE_BINS)));
          sums[f * RANGE_BINS + bin] += 1;
        }
      });
    });
    return sums;
  });
  release(ctx, query, counts);
  const cutoff = ctx.isPrivate ? threshold * query.noiseMultiplier * query.l2Sensitivity : 0.5;
  columns.forEach((column, f) => {
    const [low, high] = bounds[names[f]];
    const core = survivingSpan(counts, f * RANGE_BINS, RANGE_BINS, cutoff);
    const width = (high - low) / RANGE_BINS;
    // The surviving bins are the dense core; the tails (often where the outcome signal is) reach
    // beyond it, so the range extends the core by its own width on each side.
    const span = core && [core[0] - (core[1] - core[0]), core[1] + (core[1] - core[0])];
    const range = span ? roundBounds(column.spec.type, low + span[0] * width, low + span[1] * width) : [low, high];
    result[names[f]] = [Math.max(low, range[0]), Math.min(high, range[1])];
  });
  return result;
}

/**
 * Every feature's bounds for a run: the user's, then DP bounds for numeric features with neither
 * card nor user bounds (`privateFeatureBounds`), then, for the features the plan lists, the data
 * ranges inside whatever bounds each has by then — card, user or DP (`privateDataRanges`).
 * `bounds` holds the user-given and DP ones by name; `featureBounds` every feature's, in card order
 * (the card's own where nothing narrowed them; [0, 1] for non-numeric features).
 */
export function privateRunBounds(
  table: Table,
  plan: { featuresNeedingBounds: readonly string[]; rangeFeatures: readonly string[] },
  userBounds: Record<string, [number, number]>,
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
): { bounds: Record<string, [number, number]>; featureBounds: [number, number][] } {
  const features = table.card.features;
  const wide: Record<string, [number, number]> = { ...userBounds, ...privateFeatureBounds(table, plan.featuresNeedingBounds, ctx, noiseMultiplier) };
  const boundsOf = (f: (typeof features)[number], given: Record<string, [number, number]>) => (given[f.name] ?? f.bounds ?? [0, 1]) as [number, number];
  const toNarrow = Object.fromEntries(features.filter((f) => plan.rangeFeatures.includes(f.name)).map((f) => [f.name, boundsOf(f, wide)]));
  const bounds = { ...wide, ...privateDataRanges(table, toNarrow, ctx, noiseMultiplier) };
  return { bounds, featureBounds: features.map((f) => boundsOf(f, bounds)) };
}

// ---------------------------------------------------------------------------------------------
// Survival: the distribution of follow-up times.

/** Public log-time grid: log10(t) over [−2, 6] in 0.05 steps (t from 0.01 to 10^6 in any unit). */
const LOGT_MIN = -2;
const LOGT_MAX = 6;
const LOGT_BINS = 160;

export interface TimeHistogram {
  /** Bin edges in time units (length bins + 1). */
  edges: Float64Array;
  /** Noisy counts (clamped at 0) of event times and of censoring times per bin. */
  events: Float64Array;
  censored: Float64Array;
}

/**
 * DP histograms of event and censoring times on a public log grid: each record adds 1 to exactly
 * one bin of one of the two histograms, so the L2 sensitivity is 1. Times outside the grid go to
 * its end bins: follow-up 0 (log −∞) and anything below 10^LOGT_MIN in the lowest, so a synthetic
 * follow-up time, drawn from the bins, is never 0 but at least 10^LOGT_MIN time units.
 */
export function privateTimeHistogram(table: Table, ctx: NoisyQueryContext, noiseMultiplier: number): TimeHistogram {
  const width = (LOGT_MAX - LOGT_MIN) / LOGT_BINS;
  // One 1 in one bin of one of the two histograms per record.
  const query = new SumQueryBuilder();
  query.part(2 * LOGT_BINS, 1);
  const sums = ctx.scope.inside(MECHANISM.timeHistogram, () => {
    const time = table.time!;
    const event = table.event!;
    const counts = new Float64Array(2 * LOGT_BINS);
    for (let i = 0; i < table.nRows; i++) {
      const s = Math.min(Math.max(Math.log10(time[i]), LOGT_MIN), LOGT_MAX);
      const bin = Math.min(LOGT_BINS - 1, Math.floor((s - LOGT_MIN) / width));
      counts[(event[i] ? 0 : LOGT_BINS) + bin] += 1;
    }
    return counts;
  });
  release(ctx, query.build({ name: MECHANISM.timeHistogram, purpose: 'survival time grid and synthetic follow-up times' }, noiseMultiplier), sums);
  const noiseStd = ctx.isPrivate ? noiseMultiplier : 0;
  const edges = new Float64Array(LOGT_BINS + 1);
  for (let b = 0; b <= LOGT_BINS; b++) edges[b] = 10 ** (LOGT_MIN + b * width);
  return { edges, events: clearOrCoarsen(sums.subarray(0, LOGT_BINS), noiseStd), censored: clearOrCoarsen(sums.subarray(LOGT_BINS), noiseStd) };
}

/**
 * The noisy histogram with bins at or below twice the noise sd cleared (`clearNoiseFloor`). In a
 * small cohort every fine bin can fall below that floor; then adjacent bins are merged in groups of
 * 2, 4, 8, … (a merged count's noise sd grows as √group, its count as group) until some group clears
 * its floor, and each surviving group's count is spread evenly over its bins. Post-processing of
 * the same noisy counts: nothing more is spent, and a histogram with a surviving fine bin is
 * returned exactly as `clearNoiseFloor` would.
 */
export function clearOrCoarsen(noisy: Float64Array, noiseStd: number): Float64Array {
  const fine = clearNoiseFloor(noisy.slice(), noiseStd);
  if (fine.some((c) => c > 0)) return fine;
  const n = noisy.length;
  for (let group = 2; group < 2 * n; group *= 2) {
    const out = new Float64Array(n);
    let any = false;
    for (let start = 0; start < n; start += group) {
      const end = Math.min(n, start + group);
      let sum = 0;
      for (let b = start; b < end; b++) sum += noisy[b];
      if (sum <= 2 * noiseStd * Math.sqrt(end - start)) continue;
      any = true;
      for (let b = start; b < end; b++) out[b] = sum / (end - start);
    }
    if (any) return out;
  }
  return new Float64Array(n);
}

// ---------------------------------------------------------------------------------------------
// Per-stratum moments (strata = classes, or survival risk groups).

export interface StratumMoments {
  /** Noisy number of records in the stratum (at least 1). */
  count: number;
  features: FeatureMoments[];
}

/**
 * Per-stratum counts, means, spreads and level frequencies in one Gaussian query. A record in stratum
 * s contributes only to stratum s's block: its count (1), and per feature its moment part
 * (`momentPart` in privacy/statistics.ts: numeric, binary or categorical). Missing values
 * contribute nothing, so means are over the present values. The sensitivity is the square root of
 * 1 plus the sum of the parts' squared-norm bounds.
 *
 * The query is a value: `measure` releases it (charged under the given ledger name) and may run
 * twice — the noise-figure gate spends the steps' budget on a second measurement of the same
 * sums — and `decode` turns (combined) noisy sums into moments.
 */
export class StratumMomentsQuery {
  private readonly builder = new SumQueryBuilder();
  private readonly layout: { offset: number; kind: MomentKind; levels: number }[];

  /** Numeric columns' indices, and the L2 norm their centred values are jointly clipped to (undefined: no joint clip). */
  private readonly numeric: number[];
  private readonly clip: number | undefined;

  constructor(
    private readonly table: Table,
    private readonly bounds: readonly [number, number][],
    /** Each record's stratum (−1: none); computed inside the mechanism since it reads the outcome. */
    private readonly stratify: (table: Table) => Int32Array,
    private readonly nStrata: number,
    private readonly purpose: string,
    /** Joint clip of the numeric values as a fraction c of √(numeric features) (`momentsClipNorm`); undefined: none. */
    clipFraction?: number,
  ) {
    this.builder.part(1, 1); // the stratum count comes first
    this.numeric = table.features.flatMap((column, f) => (column.spec.type === 'categorical' || column.spec.type === 'binary' ? [] : [f]));
    this.clip = clipFraction !== undefined && this.numeric.length > 0 ? momentsClipNorm(this.numeric.length, clipFraction) : undefined;
    this.layout = table.features.map((column) => {
      const type = column.spec.type;
      const kind: MomentKind = type === 'categorical' || type === 'binary' ? type : 'numeric';
      const levels = kind === 'categorical' ? column.spec.categories!.length : 0;
      const { width, squaredNormBound } = momentPart(kind, levels);
      // Jointly clipped numeric parts are bounded together below, not one by one.
      return { offset: this.builder.part(width, kind === 'numeric' && this.clip !== undefined ? 0 : squaredNormBound), kind, levels };
    });
    if (this.clip !== undefined) this.builder.part(0, clippedNumericMomentsBound(this.numeric.length, this.clip));
    this.builder.disjointBlocks(nStrata);
  }

  /** The query's L2 sensitivity (public: from the layout and the clip alone). */
  get l2Sensitivity(): number {
    return this.builder.l2Sensitivity;
  }

  /** One charged Gaussian release of the sums under ledger name `name`. */
  measure(ctx: NoisyQueryContext, noiseMultiplier: number, name: string = MECHANISM.stratumMoments): GaussianMeasurement {
    const width = this.builder.blockWidth;
    const query = this.builder.build({ name, purpose: this.purpose }, noiseMultiplier);
    const sums = ctx.scope.inside(name, () => {
      const strata = this.stratify(this.table);
      const acc = new Float64Array(this.builder.totalWidth);
      // Block by block, so row-major records are read at sequential speed (`forEachColumnBlock`);
      // a record's joint clip needs only its own numeric values, all in its block.
      forEachColumnBlock(this.table, (start, count, blockColumns) => {
        const blockRows = this.table.features.map((column, f) => ({ values: blockColumns[f], missing: column.missing.subarray(start, start + count) }));
        const scales = this.clip === undefined ? undefined : numericClipScales(this.numeric.map((f) => blockRows[f]), this.numeric.map((f) => this.bounds[f]), this.clip, count);
        this.table.features.forEach((_, f) => {
          const { offset, kind } = this.layout[f];
          addColumnMoments(acc, blockRows[f], kind, this.bounds[f], { offset, stride: width, blockOf: strata.subarray(start, start + count), rows: count, scales: kind === 'numeric' ? scales : undefined });
        });
      });
      for (let i = 0; i < this.table.nRows; i++) if (strata[i] >= 0) acc[strata[i] * width] += 1;
      return acc;
    });
    release(ctx, query, sums);
    return { sums, noiseStd: ctx.isPrivate ? query.noiseStd : 0 };
  }

  /** The moments of each stratum from (noisy) sums. */
  decode(sums: Float64Array): StratumMoments[] {
    const width = this.builder.blockWidth;
    const result: StratumMoments[] = [];
    for (let s = 0; s < this.nStrata; s++) {
      const count = Math.max(1, sums[s * width]);
      const features = this.table.features.map((_, f): FeatureMoments => {
        const { offset, kind, levels } = this.layout[f];
        const { mean, sd, levelProbabilities } = decodeColumnMoments(sums, s * width + offset, kind, this.bounds[f], levels);
        return levelProbabilities ? { mean, sd, levelProbabilities } : { mean, sd };
      });
      result.push({ count, features });
    }
    return result;
  }
}

/**
 * The L2 norm to which the stratum-moments query clips each record's centred numeric values jointly:
 * c·√(numeric features). Each u is in [−1, 1], so without the clip the sums Σu cost a sensitivity of
 * √features; a record's ‖u‖ is typically far smaller (u is measured in half-widths of bounds several
 * standard deviations wide), so the clip buys a smaller sensitivity — less noise on every mean,
 * spread and share of the query — while scaling down only records unusually far from the bounds'
 * centres in many features at once.
 */
export function momentsClipNorm(numericFeatures: number, fraction: number): number {
  return fraction * Math.sqrt(numericFeatures);
}

/** Pool per-stratum moments into overall ones (law of total variance), weighted by the noisy counts. */
export function poolMoments(strata: readonly StratumMoments[]): StratumMoments {
  const total = strata.reduce((a, s) => a + s.count, 0);
  const features = strata[0].features.map((first, f): FeatureMoments => {
    if (first.levelProbabilities) {
      const p = new Float64Array(first.levelProbabilities.length);
      for (const s of strata) s.features[f].levelProbabilities!.forEach((v, l) => (p[l] += (v * s.count) / total));
      return { mean: NaN, sd: NaN, levelProbabilities: p };
    }
    let mean = 0;
    for (const s of strata) mean += (s.features[f].mean * s.count) / total;
    let variance = 0;
    for (const s of strata) {
      const m = s.features[f];
      variance += (s.count / total) * (m.sd * m.sd + (m.mean - mean) ** 2);
    }
    return { mean, sd: Math.sqrt(variance) };
  });
  return { count: total, features };
}
