/**
 * Step 3 of the pipeline: the task. A `CondensationTask` owns everything that differs between
 * classification and survival — the strata of the private moments and the initial rows, the loss,
 * the synthetic outcomes — so the rest of the pipeline has no task branches. Survival's setup runs
 * its own private query (the time histogram) that fixes the risk groups and the time grid.
 */
import { DataError } from '../data/errors.js';
import type { Table } from '../data/table.js';
import type { Target, Task } from '../models/types.js';
import { type LossSpec } from './objective.js';
import { histogramQuantiles } from '../privacy/statistics.js';
import type { StratumMoments, TimeHistogram } from './privateStatistics.js';
import { LOGT_BINS, preStratification } from './statisticsPass.js';
import type { RunSettings } from './settings.js';
import { allocateRows } from './syntheticSet.js';

/** What the task derives from the private moments: the loss, the rows per stratum and their outcomes. */
export interface TaskOutcomes {
  lossSpec: LossSpec;
  /** Synthetic rows per stratum. */
  allocation: Int32Array;
  syntheticTarget: Target;
  /** Survival with optimised times: the box of the log follow-up times. */
  logTimeBox?: [number, number];
}

export interface CondensationTask {
  readonly task: Task;
  readonly nStrata: number;
  /** Purpose of the stratum-moments query, for the receipt. */
  readonly momentsPurpose: string;
  /** Each record's stratum; reads the outcome, so it runs inside the moments mechanism. */
  stratify(table: Table): Int32Array;
  /** The stratum of each pre-stratum of the one statistics pass (`preStratification`); a record's stratum is its pre-stratum's. */
  strataOfPreStrata(): Int32Array;
  outcomes(moments: readonly StratumMoments[], settings: RunSettings): TaskOutcomes;
  /** Task-specific entries of the receipt's parameters (DP quantities only). */
  receiptParameters(): Record<string, unknown>;
}

export class ClassificationTask implements CondensationTask {
  readonly task = 'classification';
  readonly nStrata = 2;
  readonly momentsPurpose = 'class counts and class-conditional feature moments';

  stratify(table: Table): Int32Array {
    return Int32Array.from(table.label!);
  }

  strataOfPreStrata(): Int32Array {
    return Int32Array.of(0, 1);
  }

  outcomes(moments: readonly StratumMoments[], settings: RunSettings): TaskOutcomes {
    const [n0, n1] = [moments[0].count, moments[1].count];
    const lossSpec: LossSpec = {
      task: 'classification',
      kind: settings.loss,
      pMin: settings.pMin,
      classWeights: settings.classWeighting === 'balanced' ? [(n0 + n1) / (2 * n0), (n0 + n1) / (2 * n1)] : [1, 1],
    };
    const allocation = allocateRows(settings.rows, [n0, n1], settings.classBalance);
    const y = new Uint8Array(settings.rows);
    y.fill(1, allocation[0]);
    return { lossSpec, allocation, syntheticTarget: { task: 'classification', y } };
  }

  receiptParameters(): Record<string, unknown> {
    return { medianEventTime: undefined, riskGroupSplitTime: undefined };
  }
}

/**
 * Survival risk groups: 0 = event before the DP median event time, 1 = later event, 2 = censored.
 * The split is the edge of the public log-time grid nearest the DP median (in log time), so that a
 * record's group follows from its time bin alone — what lets the stratum moments come from the one
 * statistics pass, which accumulates them per time bin before the median is released. The time grid
 * and the synthetic follow-up come from the DP time histogram.
 */
export class SurvivalTask implements CondensationTask {
  readonly task = 'survival';
  readonly nStrata = 3;
  readonly momentsPurpose = 'risk-group counts and feature moments';
  readonly medianEventTime: number;
  /** Events in time bins below this one form group 0. */
  readonly splitBin: number;

  constructor(readonly timeHistogram: TimeHistogram) {
    this.medianEventTime = histogramQuantiles(timeHistogram.edges, timeHistogram.events, [0.5], 'log')[0];
    this.splitBin = nearestEdge(timeHistogram.edges, this.medianEventTime);
  }

  stratify(table: Table): Int32Array {
    const stratification = preStratification('survival');
    const keys = new Int32Array(table.nRows);
    stratification.of(table, 0, table.nRows, keys);
    const strataOf = this.strataOfPreStrata();
    return keys.map((key) => strataOf[stratification.blockOfKey[key]]);
  }

  strataOfPreStrata(): Int32Array {
    // Events by time bin, then the censored.
    const strata = new Int32Array(LOGT_BINS + 1).fill(1);
    strata.fill(0, 0, Math.min(this.splitBin, LOGT_BINS))[LOGT_BINS] = 2;
    return strata;
  }

  outcomes(moments: readonly StratumMoments[], settings: RunSettings): TaskOutcomes {
    const hist = this.timeHistogram;
    // Small cohorts at low ε: every bin can fall below its noise threshold, leaving no event time
    // to build the grid or the synthetic follow-up from. Say so instead of failing inside a learner.
    if (!hist.events.some((c) => c > 0)) {
      throw new DataError(`the DP histogram of event times is empty (every bin is below its noise threshold): too few events for ε = ${settings.epsilon}; use a larger --epsilon or more rows`);
    }
    const probs = Array.from({ length: settings.gridPoints }, (_, k) => (k + 1) / (settings.gridPoints + 1));
    const grid = uniqueAscending(histogramQuantiles(hist.edges, hist.events, probs, 'log'));
    const allocation = allocateRows(settings.rows, moments.map((s) => s.count), 'proportional', 2);
    return {
      lossSpec: { task: 'survival', grid, pMin: settings.pMin },
      allocation,
      syntheticTarget: this.syntheticOutcomes(allocation),
      logTimeBox: settings.optimiseTimes ? this.logTimeBox() : undefined,
    };
  }

  /** The event time that splits groups 0 and 1 (the grid edge `splitBin`); undefined when every event is in group 1. */
  get riskGroupSplitTime(): number | undefined {
    return this.splitBin > 0 ? this.timeHistogram.edges[this.splitBin] : undefined;
  }

  receiptParameters(): Record<string, unknown> {
    // Both DP quantities: the median, and the grid edge the risk groups are actually split at.
    return { medianEventTime: Number.isFinite(this.medianEventTime) ? this.medianEventTime : undefined, riskGroupSplitTime: this.riskGroupSplitTime };
  }

  /**
   * Synthetic follow-up: group 0 takes evenly spaced quantiles of the DP event-time distribution
   * below the split edge, group 1 of the part above it, group 2 of the DP censoring-time
   * distribution — so each group's times lie on the side of the split its moments were measured on.
   */
  private syntheticOutcomes(allocation: Int32Array): Target {
    const hist = this.timeHistogram;
    const m = allocation.reduce((a, c) => a + c, 0);
    const time = new Float64Array(m);
    const event = new Uint8Array(m);
    const split = this.earlyEventFraction();
    const groups: [Float64Array, number, number, number][] = [
      [hist.events, 0, split, 1],
      [hist.events, split, 1, 1],
      [hist.censored, 0, 1, 0],
    ];
    let row = 0;
    groups.forEach(([counts, from, to, isEvent], g) => {
      const k = allocation[g];
      const probs = Array.from({ length: k }, (_, i) => from + ((i + 0.5) / k) * (to - from));
      let times = histogramQuantiles(hist.edges, counts, probs, 'log');
      if (Number.isNaN(times[0])) times = histogramQuantiles(hist.edges, hist.events, probs, 'log'); // no censoring seen
      for (let i = 0; i < k; i++, row++) {
        time[row] = times[i];
        event[row] = isEvent;
      }
    });
    return { task: 'survival', time, event };
  }

  /**
   * The DP event-time distribution's mass below the split edge (the bins of group 0; the released
   * counts are clamped at 0). When one side holds no mass (no median, or every noisy bin on
   * one side below its threshold) the halves are the only sensible split of the follow-up.
   */
  private earlyEventFraction(): number {
    const events = this.timeHistogram.events;
    let early = 0;
    let total = 0;
    for (let b = 0; b < events.length; b++) {
      total += events[b];
      if (b < this.splitBin) early += events[b];
    }
    const fraction = early / total;
    return fraction > 0 && fraction < 1 ? fraction : 0.5;
  }

  /** Bounds for optimised log follow-up times: the span of the DP time histograms' non-empty bins. */
  private logTimeBox(): [number, number] {
    const hist = this.timeHistogram;
    let first = -1;
    let last = -1;
    for (let b = 0; b < hist.events.length; b++) {
      if (hist.events[b] > 0 || hist.censored[b] > 0) {
        if (first < 0) first = b;
        last = b;
      }
    }
    if (first < 0) return [Math.log(hist.edges[0]), Math.log(hist.edges[hist.edges.length - 1])];
    return [Math.log(hist.edges[first]), Math.log(hist.edges[last + 1])];
  }
}

/** The task of a run, from survival's released time histogram (`privatePreprocessing`). */
export function newTask(task: Task, timeHistogram?: TimeHistogram): CondensationTask {
  return task === 'classification' ? new ClassificationTask() : new SurvivalTask(timeHistogram!);
}

/** Index of the edge nearest `t` in log time (0 when `t` is not a number: every event then in group 1). */
function nearestEdge(edges: Float64Array, t: number): number {
  if (!(t > 0)) return 0;
  let best = 0;
  for (let k = 1; k < edges.length; k++) if (Math.abs(Math.log(edges[k] / t)) < Math.abs(Math.log(edges[best] / t))) best = k;
  return best;
}

function uniqueAscending(values: Float64Array): Float64Array {
  const sorted = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  return Float64Array.from(sorted.filter((v, i) => i === 0 || v > sorted[i - 1]));
}
