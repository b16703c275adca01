/**
 * The one streaming pass over the real records that feeds the private preprocessing
 * (`privateStatistics.ts`). Every query's sums are accumulated side by side while the records go by
 * once, block by block (`forEachColumnBlock`), and the queries are then released one after the
 * other in their usual order. Two of them depend on earlier releases, and both dependencies are
 * resolved on public grids fixed before the pass:
 *  - the moments clip each numeric value to bounds that may be released later (DP bounds, data
 *    ranges). Those bounds are always cuts of a public grid (`slogBoundCuts`, `rangeBoundCuts`), so
 *    the pass keeps per-cell sums (`addColumnCellSums`) from which the clipped sums follow exactly
 *    for whichever cuts are released (`addCellMoments`);
 *  - survival's risk groups split the events at the DP median event time, taken as the nearest
 *    edge of the public log-time grid, so the pass keeps the moments per time bin of the events
 *    (plus one block for the censored: the "pre-strata") and adds the bins up once the split is known.
 * The collectors hold sums over strata × features × bins, never anything per record.
 */
import { forEachColumnBlock, type Table } from '../data/table.js';
import type { Task } from '../models/types.js';
import { addColumnCellSums, addColumnMoments, CELL_SUMS, numericClipScales, type MomentKind } from '../privacy/statistics.js';

/** Something that takes each block of records of the pass: `columns[f][i]` is feature f of record start + i. */
export interface RecordCollector {
  add(start: number, count: number, columns: readonly ArrayLike<number>[]): void;
}

/** Read the records once, handing every block to every collector in turn. */
export function readRecordsOnce(table: Table, collectors: readonly RecordCollector[]): void {
  if (collectors.length === 0) return;
  forEachColumnBlock(table, (start, count, columns) => {
    for (const collector of collectors) collector.add(start, count, columns);
  });
}

// ---------------------------------------------------------------------------------------------
// The public grids.

/** Symmetric-log histogram grid: slog(x) = sign(x)·log10(1 + |x|) over [−7, 7] (|x| up to 10^7). */
export const SLOG_MAX = 7;
export const SLOG_BINS = 112;
const SLOG_WIDTH = (2 * SLOG_MAX) / SLOG_BINS;
const slog = (x: number) => Math.sign(x) * Math.log10(1 + Math.abs(x));
const slogInverse = (s: number) => Math.sign(s) * (10 ** Math.abs(s) - 1);

/** The symmetric-log bin of a value. */
export function slogBin(x: number): number {
  const s = Math.min(Math.max(slog(x), -SLOG_MAX), SLOG_MAX);
  return Math.min(SLOG_BINS - 1, Math.floor((s + SLOG_MAX) / SLOG_WIDTH));
}

/** Edge `k` (0 … SLOG_BINS) of the symmetric-log grid, in data units. */
export function slogEdge(k: number): number {
  return slogInverse(-SLOG_MAX + k * SLOG_WIDTH);
}

/** Bins of the public uniform grid inside a feature's bounds used to find where its data lie. */
export const RANGE_BINS = 32;

/** The bin of the uniform RANGE_BINS grid over [low, high] (values outside go to the end bins). */
export function rangeBinOf(low: number, high: number): (x: number) => number {
  return (x) => Math.min(RANGE_BINS - 1, Math.max(0, Math.floor(((x - low) / (high - low)) * RANGE_BINS)));
}

/** Value `k` (0 … RANGE_BINS, or beyond) of the uniform grid over [low, high]. */
export function rangeEdge(low: number, high: number, k: number): number {
  return low + k * ((high - low) / RANGE_BINS);
}

/** Public log-time grid: log10(t) over [−2, 6] in 0.05 steps (t from 0.01 to 10^6 in any unit). */
export const LOGT_MIN = -2;
export const LOGT_MAX = 6;
export const LOGT_BINS = 160;
const LOGT_WIDTH = (LOGT_MAX - LOGT_MIN) / LOGT_BINS;

/** The log-time bin of a follow-up time (0 and anything below 10^LOGT_MIN in the lowest). */
export function timeBin(t: number): number {
  const s = Math.min(Math.max(Math.log10(t), LOGT_MIN), LOGT_MAX);
  return Math.min(LOGT_BINS - 1, Math.floor((s - LOGT_MIN) / LOGT_WIDTH));
}

/** Edge `k` (0 … LOGT_BINS) of the log-time grid, in time units. */
export function timeEdge(k: number): number {
  return 10 ** (LOGT_MIN + k * LOGT_WIDTH);
}

/** Integer features' bounds are rounded outwards, so their candidate bounds include each value's floor and ceiling. */
function cutsOf(values: number[], type: string): Float64Array {
  const all = type === 'integer' ? values.flatMap((v) => [v, Math.floor(v), Math.ceil(v)]) : values;
  return Float64Array.from(new Set(all)).sort();
}

/**
 * Every value a DP bound of `privateFeatureBounds` can take for a feature of this type: the
 * symmetric-log edges (rounded outwards for integers) and the fallback [0, 1].
 */
export function slogBoundCuts(type: string): Float64Array {
  return cutsOf([...Array.from({ length: SLOG_BINS + 1 }, (_, k) => slogEdge(k)), 0, 1], type);
}

/** Every value a data range of `privateDataRanges` inside public bounds [low, high] can take. */
export function rangeBoundCuts(low: number, high: number, type: string): Float64Array {
  return cutsOf([...Array.from({ length: RANGE_BINS + 1 }, (_, k) => rangeEdge(low, high, k)), low, high], type);
}

// ---------------------------------------------------------------------------------------------
// The collectors.

/** Joint histogram of some features: each present value adds 1 to one bin of its feature's slice. */
export class HistogramCollector implements RecordCollector {
  readonly counts: Float64Array;

  constructor(
    private readonly table: Table,
    /** Feature indices, in the order of the histogram's slices. */
    private readonly features: readonly number[],
    private readonly bins: number,
    /** Each listed feature's bin function. */
    private readonly binOf: readonly ((x: number) => number)[],
  ) {
    this.counts = new Float64Array(features.length * bins);
  }

  add(start: number, count: number, columns: readonly ArrayLike<number>[]): void {
    this.features.forEach((f, k) => {
      const values = columns[f];
      const missing = this.table.features[f].missing;
      const bin = this.binOf[k];
      const offset = k * this.bins;
      for (let i = 0; i < count; i++) if (!missing[start + i]) this.counts[offset + bin(values[i])] += 1;
    });
  }
}

/** How the pass groups records before the strata are known (`preStratification`). */
export interface PreStratification {
  /** Number of record keys: classification, the class; survival, (event or censored) × log-time bin. */
  readonly keys: number;
  /** Number of pre-strata the moments are kept for; `blockOfKey` maps a key to its pre-stratum. */
  readonly count: number;
  readonly blockOfKey: Int32Array;
  /** Writes the keys of records start … start + count − 1 into `out` (reads the outcome). */
  of(table: Table, start: number, count: number, out: Int32Array): void;
}

/**
 * Each record's key and pre-stratum, fixed before anything is released. Classification: both the
 * class. Survival: the key is the log-time bin of an event, or LOGT_BINS + the bin of a censoring
 * time — so the keys' record counts are the time histograms themselves (`timeHistogramCounts`) and
 * each record's time is read once — and the pre-stratum the event's bin, or LOGT_BINS for every
 * censored record (the moments need no finer split). A stratum is a union of pre-strata
 * (`CondensationTask.strataOfPreStrata`).
 */
export function preStratification(task: Task): PreStratification {
  if (task === 'classification') {
    return {
      keys: 2,
      count: 2,
      blockOfKey: Int32Array.of(0, 1),
      of: (table, start, count, out) => {
        for (let i = 0; i < count; i++) out[i] = table.label![start + i];
      },
    };
  }
  return {
    keys: 2 * LOGT_BINS,
    count: LOGT_BINS + 1,
    blockOfKey: Int32Array.from({ length: 2 * LOGT_BINS }, (_, k) => Math.min(k, LOGT_BINS)),
    of: (table, start, count, out) => {
      const time = table.time!;
      const event = table.event!;
      for (let i = 0; i < count; i++) out[i] = (event[start + i] ? 0 : LOGT_BINS) + timeBin(time[start + i]);
    },
  };
}

/** Survival's histograms of event times (first LOGT_BINS) and censoring times (next LOGT_BINS): the keys' counts. */
export function timeHistogramCounts(moments: MomentsCollector): Float64Array {
  return moments.keyCounts.slice();
}

/** A collector of the survival pre-strata's counts alone (the time histograms), when no moments are collected. */
export function timeCounter(table: Table): MomentsCollector {
  return new MomentsCollector(table, preStratification('survival'), [], 1, [], true);
}

/** How the pass accumulates one feature's moment part: directly with bounds known now, or per cell. */
export type MomentsMode = { bounds: readonly [number, number] } | { cuts: Float64Array };

/**
 * The stratum-moments sums per pre-stratum, in the query's layout (`width` per block, the record
 * count first): features with a `bounds` mode are added as the query adds them, features with a
 * `cuts` mode keep cell sums instead, features without a mode are left to another pass.
 */
export class MomentsCollector implements RecordCollector {
  /** Per pre-stratum block of `width`: the count (when counting) and the direct features' parts. */
  readonly direct: Float64Array;
  /** Per feature in cell mode, its cell sums per pre-stratum. */
  readonly cellSums: (Float64Array | undefined)[];
  /** Records per key (survival: the time histograms). */
  readonly keyCounts: Float64Array;
  /** The block's pre-strata (grown to the largest block; the row count is not read outside the pass). */
  private preStrata = new Int32Array(0);

  constructor(
    private readonly table: Table,
    private readonly stratification: PreStratification,
    private readonly layout: readonly { offset: number; kind: MomentKind }[],
    readonly width: number,
    private readonly modes: readonly (MomentsMode | undefined)[],
    /** Whether this collector counts the records (the first moments collector of a run does). */
    private readonly counts: boolean,
    /** The joint clip of the numeric features' centred values (`numericClipScales`; every numeric feature then in `bounds` mode). */
    private readonly jointClip?: { numeric: readonly number[]; norm: number },
  ) {
    this.direct = new Float64Array(stratification.count * width);
    this.keyCounts = new Float64Array(stratification.keys);
    this.cellSums = modes.map((mode) => (mode && 'cuts' in mode ? new Float64Array(stratification.count * (mode.cuts.length + 1) * CELL_SUMS) : undefined));
  }

  add(start: number, count: number, columns: readonly ArrayLike<number>[]): void {
    if (this.preStrata.length < count) this.preStrata = new Int32Array(count);
    const blockOf = this.preStrata.subarray(0, count);
    this.stratification.of(this.table, start, count, blockOf);
    const { blockOfKey } = this.stratification;
    for (let i = 0; i < count; i++) {
      const key = blockOf[i];
      if (key < 0) continue;
      this.keyCounts[key] += 1;
      blockOf[i] = blockOfKey[key];
    }
    if (this.counts) for (let i = 0; i < count; i++) if (blockOf[i] >= 0) this.direct[blockOf[i] * this.width] += 1;
    const block = this.table.features.map((column, f) => ({ values: columns[f], missing: column.missing.subarray(start, start + count) }));
    // A record's joint clip needs only its own numeric values, all in its block.
    const clip = this.jointClip;
    const scales = clip && numericClipScales(clip.numeric.map((f) => block[f]), clip.numeric.map((f) => (this.modes[f] as { bounds: readonly [number, number] }).bounds), clip.norm, count);
    this.modes.forEach((mode, f) => {
      if (!mode) return;
      const { offset, kind } = this.layout[f];
      if ('cuts' in mode) addColumnCellSums(this.cellSums[f]!, block[f], mode.cuts, { blockOf, rows: count });
      else addColumnMoments(this.direct, block[f], kind, mode.bounds, { offset, stride: this.width, blockOf, rows: count, scales: kind === 'numeric' ? scales : undefined });
    });
  }
}
