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
import type { DatasetCard, FeatureSpec } from '../data/card.js';
import { type Table } from '../data/table.js';
import type { Task } from '../models/types.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { combineGaussianCoordinates, perCoordinate, SumQueryBuilder, type CoordinateMeasurement, type GaussianMeasurement, type GaussianSumQuery } from '../privacy/measurements.js';
import { MECHANISM, type DataAccessScope } from '../privacy/dataAccess.js';
import {
  addCellMoments,
  CELL_SUMS,
  clearNoiseFloor,
  clippedNumericMomentsBound,
  decodeColumnMoments,
  presenceCoordinate,
  momentPart,
  type FeatureMoments,
  type MomentKind,
} from '../privacy/statistics.js';
import { erfc } from '../privacy/analysis/special.js';
import {
  HistogramCollector,
  LOGT_BINS,
  MomentsCollector,
  preStratification,
  RANGE_BINS,
  rangeBinOf,
  rangeBoundCuts,
  rangeEdge,
  readRecordsOnce,
  SLOG_BINS,
  slogBin,
  slogBoundCuts,
  slogEdge,
  timeCounter,
  timeHistogramCounts,
  timeEdge,
  type MomentsMode,
  type RecordCollector,
} from './statisticsPass.js';

export { RANGE_BINS } from './statisticsPass.js';


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

const isNumeric = (f: DatasetCard['features'][number]) => f.type === 'numeric' || f.type === 'integer';
const hasPublicBounds = (f: DatasetCard['features'][number], userBounds: Record<string, [number, number]>) => Boolean(f.bounds || userBounds[f.name]);

/** Numeric/integer features with no public bounds in the card nor supplied by the user. */
export function featuresNeedingBounds(card: DatasetCard, userBounds: Record<string, [number, number]> = {}): string[] {
  return card.features.filter((f) => isNumeric(f) && !hasPublicBounds(f, userBounds)).map((f) => f.name);
}

/** Numeric/integer features with public bounds (the card's or the user's): the others of `featuresNeedingBounds`. */
export function publiclyBoundedFeatures(card: DatasetCard, userBounds: Record<string, [number, number]> = {}): string[] {
  return card.features.filter((f) => isNumeric(f) && hasPublicBounds(f, userBounds)).map((f) => f.name);
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
 * bounds; the bounds are the outer edges of the surviving bins (with `tails: 'extend'`, and of the
 * tails next to them that `extendIntoTails` finds), widened by one bin on each side.
 * Values outside them are clamped later; that bias is the price of not spending budget on the
 * extreme tails.
 */
export function privateFeatureBounds(
  table: Table,
  features: readonly string[],
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  threshold = occupiedBinThreshold(features.length * SLOG_BINS),
  tails: BoundsTails = 'cut',
): Record<string, [number, number]> {
  const histogram = featureBoundsHistogram(table, features);
  ctx.scope.inside(MECHANISM.featureBounds, () => readRecordsOnce(table, [histogram]));
  return releaseFeatureBounds(table, features, histogram.counts, ctx, noiseMultiplier, threshold, tails).bounds;
}

/** Column indices of named features (throws on an unknown name). */
function featureIndices(table: Table, names: readonly string[]): number[] {
  return names.map((name) => {
    const f = table.features.findIndex((c) => c.spec.name === name);
    if (f < 0) throw new Error(`no feature "${name}"`);
    return f;
  });
}

/** The bounds query's histogram: each present value adds 1 to one symmetric-log bin of its feature. */
function featureBoundsHistogram(table: Table, features: readonly string[]): HistogramCollector {
  return new HistogramCollector(table, featureIndices(table, features), SLOG_BINS, features.map(() => slogBin));
}

/** DP bounds by feature name, and the features none of whose bins cleared the threshold (card order). */
export interface LocatedBounds {
  bounds: Record<string, [number, number]>;
  /** Their bounds are the arbitrary fallback [0, 1]: where their data lie is unknown at this budget. */
  unlocated: string[];
}

/**
 * How far DP bounds reach (`RunSettings.boundsTails`): `cut` — the bins that clear the threshold,
 * widened by one bin; `extend` — also the tails next to them (`extendIntoTails`), read from the same
 * noisy histogram (post-processing, no extra ε).
 */
export type BoundsTails = 'cut' | 'extend';

/** Widths, in bins of the symmetric-log grid, of the windows `extendIntoTails` tests beyond a feature's span. */
export const TAIL_WINDOWS = [1, 2, 4, 8] as const;

/**
 * The threshold, in noise standard deviations of a window's sum, above which `extendIntoTails`
 * extends a span: Bonferroni over the windows tested where a tail ends (each side of each feature,
 * `TAIL_WINDOWS.length` windows), so that over the whole query at most `SPURIOUS_BINS_PER_QUERY`
 * spans are expected to extend into bins that hold no records. Public (the number of features).
 */
export function tailWindowThreshold(features: number): number {
  return occupiedBinThreshold(features * 2 * TAIL_WINDOWS.length);
}

/** Release the bounds query's exact `counts` (noise added in place) and read the bounds off them. */
function releaseFeatureBounds(
  table: Table,
  features: readonly string[],
  counts: Float64Array,
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  threshold = occupiedBinThreshold(features.length * SLOG_BINS),
  tails: BoundsTails = 'cut',
): LocatedBounds {
  const result: Record<string, [number, number]> = {};
  const unlocated: string[] = [];
  if (features.length === 0) return { bounds: result, unlocated };
  const columns = featureIndices(table, features).map((f) => table.features[f]);
  // Each record adds 1 to one bin of each feature's histogram (or nothing when missing).
  const layout = new SumQueryBuilder();
  for (let f = 0; f < features.length; f++) layout.part(SLOG_BINS, 1);
  const query = layout.build({ name: MECHANISM.featureBounds, purpose: `bounds of ${features.length} features without public bounds` }, noiseMultiplier);
  release(ctx, query, counts);
  const binNoise = ctx.isPrivate ? query.noiseMultiplier * query.l2Sensitivity : 0;
  const cutoff = ctx.isPrivate ? threshold * binNoise : 0.5;
  const windowThreshold = tailWindowThreshold(features.length);
  columns.forEach((column, f) => {
    let core = survivingCore(counts, f * SLOG_BINS, SLOG_BINS, cutoff);
    if (core && tails === 'extend' && ctx.isPrivate) core = extendIntoTails(counts, f * SLOG_BINS, SLOG_BINS, core, windowThreshold * binNoise);
    const span = core && widenByOneBin(core, SLOG_BINS);
    // Nothing survived the threshold: fall back to a unit interval around 0 (public, arbitrary).
    // (Every value this can give is among `slogBoundCuts`, which the one pass relies on.)
    const [low, high] = span ? [slogEdge(span[0]), slogEdge(span[1])] : [0, 1];
    result[column.spec.name] = roundBounds(column.spec.type, low, high);
    if (!span) unlocated.push(column.spec.name);
  });
  return { bounds: result, unlocated };
}

/**
 * First and last bin (inclusive) of the histogram slice [offset, offset + bins) whose counts exceed
 * `cutoff`; undefined when no bin survives.
 */
function survivingCore(counts: Float64Array, offset: number, bins: number, cutoff: number): [number, number] | undefined {
  let first = -1;
  let last = -1;
  for (let b = 0; b < bins; b++) {
    if (counts[offset + b] > cutoff) {
      if (first < 0) first = b;
      last = b;
    }
  }
  return first < 0 ? undefined : [first, last];
}

/** The bin range [first − 1, last + 2) of a core, clamped to the grid. */
function widenByOneBin([first, last]: [number, number], bins: number): [number, number] {
  return [Math.max(0, first - 1), Math.min(bins, last + 2)];
}

/** Bin range [first, last + 1) of the bins whose counts exceed `cutoff`, widened by one bin on each side; undefined when none. */
function survivingSpan(counts: Float64Array, offset: number, bins: number, cutoff: number): [number, number] | undefined {
  const core = survivingCore(counts, offset, bins, cutoff);
  return core && widenByOneBin(core, bins);
}

/**
 * A lab value's histogram on the symmetric-log grid has a peak a few bins wide and a long tail
 * whose bins each hold too few records to clear the per-bin threshold, though together they may
 * hold a third of the records (session 40: physionet2012's ALT cut at 41 with 39 % of patients
 * above). So, on each side of the core (inclusive bin indices), the windows of `TAIL_WINDOWS` bins
 * just beyond it are tested, narrowest first; the first whose summed noisy count exceeds
 * `windowCutoff` · √(its width) joins the core, and the test repeats from the new edge until no
 * window clears. Each window's sum has noise sd (bin noise) · √width, so wider windows find thinner
 * tails. Post-processing of the released histogram.
 */
function extendIntoTails(counts: Float64Array, offset: number, bins: number, core: [number, number], windowCutoff: number): [number, number] {
  const windowSum = (from: number, to: number) => sumOf(counts, offset + from, to - from + 1);
  // The width of the first window on one side (from `edge` outward, `step` = ±1) that clears, or 0.
  const clearingWidth = (edge: number, step: 1 | -1): number => {
    let tested = 0;
    for (const w of TAIL_WINDOWS) {
      const far = Math.min(bins - 1, Math.max(0, edge + step * w));
      const width = Math.abs(far - edge);
      if (width <= tested) break;
      tested = width;
      const [from, to] = step > 0 ? [edge + 1, far] : [far, edge - 1];
      if (windowSum(from, to) > windowCutoff * Math.sqrt(width)) return width;
    }
    return 0;
  };
  let [first, last] = core;
  for (let w = clearingWidth(last, 1); w > 0; w = clearingWidth(last, 1)) last += w;
  for (let w = clearingWidth(first, -1); w > 0; w = clearingWidth(first, -1)) first -= w;
  return [first, last];
}

function roundBounds(type: string, low: number, high: number): [number, number] {
  if (type === 'integer') {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  return high > low ? [low, high] : [low, low + 1];
}

/**
 * Where the data lie inside wide bounds. Public bounds are often far wider than the data (a card
 * says [0, 1] for a ratio that lives in [0.05, 0.16]), and the noise of every later statistic on a
 * bounded feature scales with the width of its bounds. One joint histogram query — each record adds
 * 1 to one of RANGE_BINS equal bins inside each listed feature's bounds (sensitivity √features) —
 * keeps the bins whose noisy count clears `threshold` noise standard deviations (default
 * `occupiedBinThreshold` of the query's bins) — with `packedShare` (the loose-bounds histogram of
 * `rangesShare`), only where those bins hold that share of the feature's records; the range is their
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
  packedShare?: number,
): Record<string, [number, number]> {
  const histogram = dataRangesHistogram(table, bounds);
  ctx.scope.inside(MECHANISM.dataRanges, () => readRecordsOnce(table, [histogram]));
  return releaseDataRanges(table, bounds, histogram.counts, ctx, noiseMultiplier, threshold, packedShare);
}

/**
 * The share of a feature's records the surviving bins of the loose-bounds histogram must hold for its
 * bounds to be narrowed (`releaseDataRanges`): three quarters, so that the range — the core widened
 * by its own width on each side — leaves out at most a thin tail (a normal's central 75 % widened so
 * reaches ±3.5 sd).
 */
export const PACKED_CORE_SHARE = 0.75;

function sumOf(values: Float64Array, offset: number, length: number): number {
  let total = 0;
  for (let i = offset; i < offset + length; i++) total += values[i];
  return total;
}

/** The data-ranges query's histogram: each present value adds 1 to one of RANGE_BINS equal bins inside its feature's bounds. */
function dataRangesHistogram(table: Table, bounds: Record<string, [number, number]>): HistogramCollector {
  const names = Object.keys(bounds);
  return new HistogramCollector(table, featureIndices(table, names), RANGE_BINS, names.map((name) => rangeBinOf(...bounds[name])));
}

/** Release the data-ranges query's exact `counts` (noise added in place) and read the ranges off them. */
function releaseDataRanges(
  table: Table,
  bounds: Record<string, [number, number]>,
  counts: Float64Array,
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  threshold = occupiedBinThreshold(Object.keys(bounds).length * RANGE_BINS),
  packedShare?: number,
): Record<string, [number, number]> {
  const names = Object.keys(bounds);
  const result: Record<string, [number, number]> = {};
  if (names.length === 0) return result;
  const columns = featureIndices(table, names).map((f) => table.features[f]);
  const layout = new SumQueryBuilder();
  for (let f = 0; f < names.length; f++) layout.part(RANGE_BINS, 1);
  const query = layout.build({ name: MECHANISM.dataRanges, purpose: `data ranges inside the public bounds of ${names.length} features` }, noiseMultiplier);
  release(ctx, query, counts);
  const binNoise = ctx.isPrivate ? query.noiseMultiplier * query.l2Sensitivity : 0;
  const cutoff = ctx.isPrivate ? threshold * binNoise : 0.5;
  // With `packedShare`: the records per feature, read off the released histogram (every feature's
  // bins sum to its present records; averaged over the features, its noise sd is the bins' σ·√(bins/features)).
  const records = packedShare === undefined ? 0 : sumOf(counts, 0, counts.length) / names.length;
  columns.forEach((column, f) => {
    const [low, high] = bounds[names[f]];
    let core = survivingSpan(counts, f * RANGE_BINS, RANGE_BINS, cutoff);
    // Narrow only where the bins that clear the noise hold `packedShare` of the records, by at least
    // one noise sd of that comparison (the core's c bins, and `packedShare` times the record
    // estimate's): when the noise hides the tails (a low ε, few records) the surviving bins are only
    // the densest few, and narrowing to them would clamp the tails away.
    if (core && packedShare !== undefined) {
      const bins = core[1] - core[0];
      const margin = binNoise * Math.sqrt(bins + (packedShare * packedShare * RANGE_BINS) / names.length);
      if (sumOf(counts, f * RANGE_BINS + core[0], bins) - packedShare * records < margin) core = undefined;
    }
    // The surviving bins are the dense core; the tails (often where the outcome signal is) reach
    // beyond it, so the range extends the core by its own width on each side. (Every value this
    // can give is among `rangeBoundCuts`, which the one pass relies on.)
    const span = core && [core[0] - (core[1] - core[0]), core[1] + (core[1] - core[0])];
    const range = span ? roundBounds(column.spec.type, rangeEdge(low, high, span[0]), rangeEdge(low, high, span[1])) : [low, high];
    result[names[f]] = [Math.max(low, range[0]), Math.min(high, range[1])];
  });
  return result;
}

/** What the preprocessing needs of the run's task (`task.ts`): its strata. */
export interface Stratification {
  readonly nStrata: number;
  readonly momentsPurpose: string;
  stratify(table: Table): Int32Array;
  /** The stratum of each pre-stratum of the one pass (`preStratification`). */
  strataOfPreStrata(): Int32Array;
}

/** Which preprocessing queries a run makes (`planBudget`): public settings and the card only. */
export interface PreprocessingPlan {
  featuresNeedingBounds: readonly string[];
  /** `dataRanges`: every numeric feature, narrowed at the shared σ. */
  rangeFeatures: readonly string[];
  /** `rangesShare`: the public-bounded features, at their own σ, narrowed only where packed. */
  looseRanges?: { features: readonly string[]; noiseMultiplier: number };
}

/** What the private preprocessing hands the run. */
export interface PrivatePreprocessing<T extends Stratification> {
  /** The user-given, DP and data-range bounds by name. */
  bounds: Record<string, [number, number]>;
  /** Every feature's bounds, in card order (the card's own where nothing narrowed them; [0, 1] for non-numeric features). */
  featureBounds: [number, number][];
  /** The strata and, for survival, the released time histogram. */
  task: T;
  /** The stratum-moments query, its exact sums already taken (except under the joint clip). */
  momentsQuery: StratumMomentsQuery;
  /** Features whose DP bounds found no occupied bin (`LocatedBounds.unlocated`), card order. */
  unlocated: string[];
}

/**
 * Every preprocessing statistic of a run, from ONE pass over the real records
 * (`statisticsPass.ts`), released in the run's order — DP bounds (`privateFeatureBounds`), data
 * ranges (`privateDataRanges`), the survival time histogram (`privateTimeHistogram`), then the
 * stratum moments (released by the caller with `momentsQuery.measure`) — each with the sensitivity
 * and noise it has when run on its own. The bounds are the user's, then DP bounds for numeric
 * features with neither card nor user bounds, then, for the features the plan lists, the data ranges
 * inside whatever bounds each has by then (card, user or DP).
 *
 * Two options need a second pass, because what they need is not known before the first one ends:
 * data ranges of a feature with DP bounds (the range grid lies inside bounds not yet released), and
 * the moments' joint clip (`momentsClip`: each record's norm over all its numeric features, clipped
 * to bounds not yet released).
 */
export function privatePreprocessing<T extends Stratification>(
  table: Table,
  plan: PreprocessingPlan,
  settings: { task: Task; bounds: Record<string, [number, number]>; momentsClip?: number; boundsTails?: BoundsTails },
  ctx: NoisyQueryContext,
  noiseMultiplier: number,
  newTask: (timeHistogram?: TimeHistogram) => T,
): PrivatePreprocessing<T> {
  const features = table.card.features;
  const userBounds = settings.bounds;
  const needBounds = new Set(plan.featuresNeedingBounds);
  const publicBounds = (f: (typeof features)[number]) => (userBounds[f.name] ?? f.bounds) as [number, number] | undefined;
  // Range features whose wide bounds are public are histogrammed in the first pass; the others after the DP bounds.
  // `dataRanges` (every numeric feature, one of the shared-σ queries) or the loose-bounds histogram
  // (public-bounded features only, its own σ, narrowing only where the data are packed).
  const rangeFeatures = plan.looseRanges?.features ?? plan.rangeFeatures;
  const ranged = features.filter((f) => rangeFeatures.includes(f.name));
  const rangedNow: Record<string, [number, number]> = Object.fromEntries(ranged.filter((f) => !needBounds.has(f.name)).map((f) => [f.name, publicBounds(f) ?? [0, 1]]));
  const rangedLater = ranged.filter((f) => needBounds.has(f.name)).map((f) => f.name);

  const stratification = preStratification(settings.task);
  const { builder, layout, clip } = momentsLayout(table.features.map((column) => column.spec), stratification.count, settings.momentsClip);
  // Each feature's moments: directly where its bounds are final now, per cell of the grid its
  // bounds will be released on, or (joint clip, ranges inside DP bounds) in a later pass.
  const mode = (f: (typeof features)[number], j: number): MomentsMode | undefined => {
    if (layout[j].kind !== 'numeric') return { bounds: [0, 1] };
    if (rangeFeatures.includes(f.name)) return needBounds.has(f.name) ? undefined : { cuts: rangeBoundCuts(...rangedNow[f.name], f.type) };
    return needBounds.has(f.name) ? { cuts: slogBoundCuts(f.type) } : { bounds: publicBounds(f) ?? [0, 1] };
  };
  const boundsHistogram = needBounds.size > 0 ? featureBoundsHistogram(table, plan.featuresNeedingBounds) : undefined;
  const rangesHistogram = ranged.length > 0 ? dataRangesHistogram(table, rangedNow) : undefined;
  const modes = features.map(mode);
  const moments = clip === undefined ? new MomentsCollector(table, stratification, layout, builder.blockWidth, modes, true) : undefined;
  // Survival's time histograms are the pre-strata's counts (of the moments, or counted alone under the joint clip).
  const times = settings.task === 'survival' ? (moments ?? timeCounter(table)) : undefined;
  const collectors: RecordCollector[] = [boundsHistogram, rangesHistogram, moments ?? times].filter((c): c is NonNullable<typeof c> => c !== undefined);
  ctx.scope.inside(jointSection(plan, settings.task, clip === undefined), () => readRecordsOnce(table, collectors));

  // 1. DP bounds.
  const located = boundsHistogram ? releaseFeatureBounds(table, plan.featuresNeedingBounds, boundsHistogram.counts, ctx, noiseMultiplier, undefined, settings.boundsTails) : { bounds: {}, unlocated: [] };
  const wide: Record<string, [number, number]> = { ...userBounds, ...located.bounds };
  const boundsOf = (f: (typeof features)[number], given: Record<string, [number, number]>) => (given[f.name] ?? f.bounds ?? [0, 1]) as [number, number];
  // 2. Data ranges, one joint query over the ranged features in card order (a second pass for those with DP bounds).
  let bounds = wide;
  const lateCells: (Float64Array | undefined)[] = [];
  const lateCuts: (Float64Array | undefined)[] = [];
  if (rangesHistogram) {
    const toNarrow: Record<string, [number, number]> = Object.fromEntries(ranged.map((f) => [f.name, boundsOf(f, wide)]));
    const counts = new Float64Array(ranged.length * RANGE_BINS);
    const nowNames = Object.keys(rangedNow);
    if (rangedLater.length > 0) {
      const laterBounds: Record<string, [number, number]> = Object.fromEntries(rangedLater.map((name) => [name, toNarrow[name]]));
      const histogram = dataRangesHistogram(table, laterBounds);
      const laterModes = features.map((f, j) => (layout[j].kind === 'numeric' && rangedLater.includes(f.name) ? { cuts: rangeBoundCuts(...laterBounds[f.name], f.type) } : undefined));
      const later = clip === undefined ? new MomentsCollector(table, stratification, layout, builder.blockWidth, laterModes, false) : undefined;
      ctx.scope.inside(later ? `${MECHANISM.dataRanges} + ${MECHANISM.stratumMoments}` : MECHANISM.dataRanges, () => readRecordsOnce(table, later ? [histogram, later] : [histogram]));
      rangedLater.forEach((name, k) => counts.set(histogram.counts.subarray(k * RANGE_BINS, (k + 1) * RANGE_BINS), ranged.findIndex((f) => f.name === name) * RANGE_BINS));
      features.forEach((_, j) => {
        lateCells[j] = later?.cellSums[j];
        lateCuts[j] = laterModes[j]?.cuts;
      });
    }
    nowNames.forEach((name, k) => counts.set(rangesHistogram.counts.subarray(k * RANGE_BINS, (k + 1) * RANGE_BINS), ranged.findIndex((f) => f.name === name) * RANGE_BINS));
    bounds = plan.looseRanges
      ? { ...wide, ...releaseDataRanges(table, toNarrow, counts, ctx, plan.looseRanges.noiseMultiplier, undefined, PACKED_CORE_SHARE) }
      : { ...wide, ...releaseDataRanges(table, toNarrow, counts, ctx, noiseMultiplier) };
  }
  const featureBounds = features.map((f) => boundsOf(f, bounds));
  // 3. The task (survival: the time histogram, which fixes the risk groups).
  const task = newTask(times ? releaseTimeHistogram(timeHistogramCounts(times), ctx, noiseMultiplier) : undefined);
  // 4. The stratum moments' exact sums: pre-strata added into strata, cell sums clipped to the released bounds.
  let exact: Float64Array | undefined;
  if (moments) {
    const width = builder.blockWidth;
    const strataOf = task.strataOfPreStrata();
    // Each feature kept in cells (in this pass or the later one): its cell sums and the grid that cut them.
    const cellGrids = features.map((_, j) => {
      const mode = modes[j];
      const cells = moments.cellSums[j] ?? lateCells[j];
      return cells && { cells, cuts: mode && 'cuts' in mode ? mode.cuts : lateCuts[j]! };
    });
    const sums = new Float64Array(task.nStrata * width);
    for (let p = 0; p < stratification.count; p++) {
      const s = strataOf[p];
      if (s < 0) continue;
      for (let k = 0; k < width; k++) sums[s * width + k] += moments.direct[p * width + k];
      cellGrids.forEach((grid, j) => {
        if (grid) addCellMoments(sums, s * width + layout[j].offset, grid.cells, p * (grid.cuts.length + 1) * CELL_SUMS, grid.cuts, featureBounds[j]);
      });
    }
    exact = sums;
  }
  const momentsQuery = new StratumMomentsQuery(table, featureBounds, (t) => task.stratify(t), task.nStrata, task.momentsPurpose, settings.momentsClip, exact);
  return { bounds, featureBounds, task, momentsQuery, unlocated: located.unlocated };
}

/** The mechanisms the first pass reads for (its data-access section: all of them, each charged when released). */
function jointSection(plan: PreprocessingPlan, task: Task, withMoments: boolean): string {
  return [
    ...(plan.featuresNeedingBounds.length ? [MECHANISM.featureBounds] : []),
    ...(plan.rangeFeatures.length || plan.looseRanges ? [MECHANISM.dataRanges] : []),
    ...(task === 'survival' ? [MECHANISM.timeHistogram] : []),
    ...(withMoments ? [MECHANISM.stratumMoments] : []),
  ].join(' + ');
}

// ---------------------------------------------------------------------------------------------
// Survival: the distribution of follow-up times.

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
  const times = timeCounter(table);
  ctx.scope.inside(MECHANISM.timeHistogram, () => readRecordsOnce(table, [times]));
  return releaseTimeHistogram(timeHistogramCounts(times), ctx, noiseMultiplier);
}

/** Release the time histograms' exact `counts` (noise added in place). */
function releaseTimeHistogram(sums: Float64Array, ctx: NoisyQueryContext, noiseMultiplier: number): TimeHistogram {
  // One 1 in one bin of one of the two histograms per record.
  const query = new SumQueryBuilder();
  query.part(2 * LOGT_BINS, 1);
  release(ctx, query.build({ name: MECHANISM.timeHistogram, purpose: 'survival time grid and synthetic follow-up times' }, noiseMultiplier), sums);
  const noiseStd = ctx.isPrivate ? noiseMultiplier : 0;
  const edges = new Float64Array(LOGT_BINS + 1);
  for (let b = 0; b <= LOGT_BINS; b++) edges[b] = timeEdge(b);
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

/** The stratum-moments query's layout: public (the card's features, the strata, the clip). */
export interface MomentsLayout {
  builder: SumQueryBuilder;
  layout: { offset: number; kind: MomentKind; levels: number }[];
  numeric: number[];
  clip: number | undefined;
}

/**
 * The layout of the stratum-moments query for these features (card order): the count, then each
 * feature's moment part, the numeric parts bounded jointly under the joint clip. Public, so the
 * budget split (`stratumMomentsSensitivity`) reads the query's sensitivity from the card alone.
 */
export function momentsLayout(features: readonly FeatureSpec[], nStrata: number, clipFraction?: number): MomentsLayout {
  const builder = new SumQueryBuilder();
  builder.part(1, 1); // the stratum count comes first
  const numeric = features.flatMap((spec, f) => (spec.type === 'categorical' || spec.type === 'binary' ? [] : [f]));
  const clip = clipFraction !== undefined && numeric.length > 0 ? momentsClipNorm(numeric.length, clipFraction) : undefined;
  const layout = features.map((spec) => {
    const type = spec.type;
    const kind: MomentKind = type === 'categorical' || type === 'binary' ? type : 'numeric';
    const levels = kind === 'categorical' ? spec.categories!.length : 0;
    const { width, squaredNormBound } = momentPart(kind, levels);
    // Jointly clipped numeric parts are bounded together below, not one by one.
    return { offset: builder.part(width, kind === 'numeric' && clip !== undefined ? 0 : squaredNormBound), kind, levels };
  });
  if (clip !== undefined) builder.part(0, clippedNumericMomentsBound(numeric.length, clip));
  builder.disjointBlocks(nStrata);
  return { builder, layout, numeric, clip };
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
  private readonly builder: SumQueryBuilder;
  private readonly layout: MomentsLayout['layout'];

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
    /** The exact sums, when the run's one pass has already taken them (`privatePreprocessing`); otherwise `measure` reads the records. */
    private exact?: Float64Array,
  ) {
    ({ builder: this.builder, layout: this.layout, numeric: this.numeric, clip: this.clip } = momentsLayout(table.features.map((column) => column.spec), nStrata, clipFraction));
  }

  /** The query's L2 sensitivity (public: from the layout and the clip alone). */
  get l2Sensitivity(): number {
    return this.builder.l2Sensitivity;
  }

  /** One charged Gaussian release of the sums under ledger name `name`. */
  measure(ctx: NoisyQueryContext, noiseMultiplier: number, name: string = MECHANISM.stratumMoments): GaussianMeasurement {
    const query = this.builder.build({ name, purpose: this.purpose }, noiseMultiplier);
    // The exact sums are read once; a second measurement (the noise-figure gate) adds fresh noise to a copy.
    this.exact ??= ctx.scope.inside(name, () => this.readSums());
    const sums = this.exact.slice();
    release(ctx, query, sums);
    return { sums, noiseStd: ctx.isPrivate ? query.noiseStd : 0 };
  }

  /**
   * The focused query over the `kept` features (card order; a function of DP outputs): per stratum
   * the count, then each kept feature's moment part exactly as in the all-feature query (the same
   * encoding of values, presence counts included). Its sensitivity is that of those features alone:
   * √(1 + Σ kept parts' bounds). `coordinates` maps its coordinates to the all-feature query's.
   */
  focusedLayout(kept: readonly number[]): { builder: SumQueryBuilder; coordinates: Int32Array } {
    // The joint clip couples the features (`focusedMomentsShare` is refused with it, `takesFocusedMoments` skips it).
    if (this.clip !== undefined) throw new Error('the focused moments query needs the moments without a joint clip');
    const specs = this.table.features.map((column) => column.spec);
    const { builder } = momentsLayout(kept.map((f) => specs[f]), this.nStrata);
    const width = this.builder.blockWidth;
    const block = [0, ...kept.flatMap((f) => Array.from({ length: momentPart(this.layout[f].kind, this.layout[f].levels).width }, (_, l) => this.layout[f].offset + l))];
    if (block.length !== builder.blockWidth) throw new Error('focused moments layout mismatch');
    const coordinates = Int32Array.from({ length: this.nStrata * block.length }, (_, i) => Math.floor(i / block.length) * width + block[i % block.length]);
    return { builder, coordinates };
  }

  /**
   * One charged Gaussian release of the kept features' sums (`focusedLayout`) under ledger name
   * `name`: the same exact sums as the all-feature query's, restricted to those coordinates (read
   * once; the first measurement always comes first), with fresh noise of σ times its own sensitivity.
   */
  measureFocused(ctx: NoisyQueryContext, noiseMultiplier: number, kept: readonly number[], name: string = MECHANISM.focusedStratumMoments): { measurement: GaussianMeasurement; coordinates: Int32Array } {
    const { builder, coordinates } = this.focusedLayout(kept);
    const query = builder.build({ name, purpose: `${this.purpose} (the ${kept.length} features the steps move)` }, noiseMultiplier);
    this.exact ??= ctx.scope.inside(name, () => this.readSums());
    const exact = this.exact;
    const sums = Float64Array.from(coordinates, (c) => exact[c]);
    release(ctx, query, sums);
    return { measurement: { sums, noiseStd: ctx.isPrivate ? query.noiseStd : 0 }, coordinates };
  }

  /** The exact sums, straight from the records (READS REAL RECORDS) in one pass of their own. */
  private readSums(): Float64Array {
    const strata = this.stratify(this.table);
    const byStratum = {
      keys: this.nStrata,
      count: this.nStrata,
      blockOfKey: Int32Array.from({ length: this.nStrata }, (_, s) => s),
      of: (_: Table, start: number, count: number, out: Int32Array) => out.set(strata.subarray(start, start + count)),
    };
    const jointClip = this.clip === undefined ? undefined : { numeric: this.numeric, norm: this.clip };
    const moments = new MomentsCollector(this.table, byStratum, this.layout, this.builder.blockWidth, this.bounds.map((bounds) => ({ bounds })), true, jointClip);
    readRecordsOnce(this.table, [moments]);
    return moments.direct;
  }

  /**
   * The moments of each stratum from (noisy) sums. With the noise std of the sums' coordinates
   * (`GaussianMeasurement.noiseStd`), each numeric mean also carries the sd of its noise
   * (`meanNoiseSd`: noise std · half-width / present count, in data units); `noiseStd` may also be
   * given per coordinate (after the focused measurement, the kept features' sums are less noisy).
   * With `spread: 'scale-prior'` each numeric spread is read from its variance's known noise
   * (`scalePriorVariance`); without noise that is the plug-in.
   */
  decode(sums: Float64Array, noiseStd: number | Float64Array = 0, presence: PresenceEstimate = 'own', spread: SpreadEstimate = 'plug-in'): StratumMoments[] {
    const width = this.builder.blockWidth;
    const result: StratumMoments[] = [];
    for (let s = 0; s < this.nStrata; s++) {
      const pooled = presence === 'own' ? undefined : poolPresenceCounts(sums, noiseStd, s * width, this.layout);
      const count = Math.max(1, pooled?.count ?? sums[s * width]);
      // With 'count' only the stratum count is pooled; every mean keeps its column's own presence count.
      const presentFor = presence === 'pooled' ? pooled?.present : undefined;
      const features = this.table.features.map((_, f): FeatureMoments => {
        const { offset, kind, levels } = this.layout[f];
        const base = s * width + offset;
        // The std of the mean's sum (the part's first coordinate).
        const std = noiseStdAt(noiseStd, base);
        const spreadNoise = spread === 'scale-prior' && kind === 'numeric' ? { sum: std, square: noiseStdAt(noiseStd, base + 1) } : undefined;
        const { mean, sd, levelProbabilities, present } = decodeColumnMoments(sums, base, kind, this.bounds[f], levels, presentFor?.[f], spreadNoise);
        if (levelProbabilities) return { mean, sd, levelProbabilities };
        if (kind !== 'numeric' || std === 0) return { mean, sd };
        const [low, high] = this.bounds[f];
        return { mean, sd, meanNoiseSd: (std * (high - low)) / (2 * present!) };
      });
      result.push({ count, features });
    }
    return result;
  }
}

/**
 * How `decode` turns a numeric column's noisy second moment into a spread: the plug-in
 * √max(0, E[u²] − E[u]²), or the posterior median under a scale-invariant prior given the
 * variance's known noise (`scalePriorVariance`).
 */
export type SpreadEstimate = 'plug-in' | 'scale-prior';

/** The noise std of coordinate `i`: one std for all coordinates, or one per coordinate. */
function noiseStdAt(noiseStd: number | Float64Array, i: number): number {
  return typeof noiseStd === 'number' ? noiseStd : noiseStd[i];
}

/**
 * How `decode` estimates each stratum's record count and the records behind each mean: each from
 * its own noisy count (own); the stratum count pooled with the complete columns' presence counts
 * (`poolPresenceCounts`) and those columns' means divided by it (pooled); or only the stratum count
 * pooled, the means keeping their own presence counts (count). The stratum count is what the class
 * weights, the row allocation and the steps' n̂ (sampling rate, normalisation) read.
 */
export type PresenceEstimate = 'own' | 'pooled' | 'count';

/**
 * A stratum's record count pooled with the presence counts of the columns that look complete
 * (post-processing of one release). Each numeric or binary column's moment part carries its own
 * noisy presence count, with twice the count's noise (weight ½); a mean is its noisy sum divided by
 * that count, so a count drawn 30 % low pushes the mean 30 % further from the bounds' centre —
 * several standard deviations when the bounds are wide. A column with no missing values in the
 * stratum has presence count = stratum count; one whose noisy presence count lies within two noise
 * sds of the noisy stratum count (the two-sided 95 % test) is taken as complete, and the stratum
 * count and those presence counts are pooled by inverse-variance weighting (with d complete columns
 * the count's noise variance falls (1 + d/4)-fold). The complete columns' means then divide by the
 * pooled count; the others keep their own. Without noise nothing changes.
 */
export function poolPresenceCounts(sums: Float64Array, noiseStd: number | Float64Array, block: number, layout: MomentsLayout['layout']): { count: number; present: (number | undefined)[] } | undefined {
  const count = sums[block];
  const countVariance = noiseStdAt(noiseStd, block) ** 2;
  if (!(countVariance > 0)) return undefined;
  let precision = 1 / countVariance;
  let weighted = count / countVariance;
  const complete = layout.map(({ offset, kind }) => {
    const coordinate = presenceCoordinate(kind);
    if (!coordinate) return false;
    const at = block + offset + coordinate.offset;
    const present = sums[at] / coordinate.weight;
    const variance = (noiseStdAt(noiseStd, at) / coordinate.weight) ** 2;
    if (Math.abs(present - count) > 2 * Math.sqrt(countVariance + variance)) return false;
    precision += 1 / variance;
    weighted += present / variance;
    return true;
  });
  const pooled = weighted / precision;
  return { count: pooled, present: complete.map((c) => (c ? pooled : undefined)) };
}

/**
 * The kept features' coordinates of `full` combined with the focused measurement of them
 * (inverse-variance, coordinate by coordinate: `combineGaussianCoordinates`); the other
 * coordinates keep `full`'s values and noise. Post-processing of the two releases.
 */
export function combineFocusedMoments(full: CoordinateMeasurement, focused: GaussianMeasurement, coordinates: Int32Array): CoordinateMeasurement {
  const gathered = { sums: Float64Array.from(coordinates, (c) => full.sums[c]), noiseStd: Float64Array.from(coordinates, (c) => full.noiseStd[c]) };
  const combined = combineGaussianCoordinates(gathered, perCoordinate(focused));
  const out = { sums: full.sums.slice(), noiseStd: full.noiseStd.slice() };
  coordinates.forEach((c, i) => {
    out.sums[c] = combined.sums[i];
    out.noiseStd[c] = combined.noiseStd[i];
  });
  return out;
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
