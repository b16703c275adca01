/**
 * Per-feature summaries of a table for the data custodian (`dpcondense describe`). These are exact
 * statistics of the private rows — NOT differentially private — meant for checking a card against
 * the data locally; they must never be released or used to set public bounds.
 */
import type { FeatureSpec } from './card.js';
import type { Table } from './table.js';

export interface FeatureSummary {
  spec: FeatureSpec;
  observed: number;
  missing: number;
  /** Numeric/integer features (NaN when nothing is observed). */
  min?: number;
  max?: number;
  mean?: number;
  /** Binary/categorical features: count per level, in card order. */
  levelCounts?: { level: string | number; count: number }[];
}

export type OutcomeSummary =
  | { task: 'classification'; positive: number; negative: number }
  | { task: 'survival'; events: number; censored: number; minTime: number; medianTime: number; maxTime: number };

export function summariseFeatures(table: Table): FeatureSummary[] {
  return table.features.map(({ spec, values, missing }) => {
    let missingCount = 0;
    for (let i = 0; i < table.nRows; i++) missingCount += missing[i];
    const observed = table.nRows - missingCount;
    if (spec.type === 'binary' || spec.type === 'categorical') {
      const levels = spec.categories ?? [0, 1];
      const counts = new Array<number>(levels.length).fill(0);
      for (let i = 0; i < table.nRows; i++) if (!missing[i]) counts[values[i]]++;
      return { spec, observed, missing: missingCount, levelCounts: levels.map((level, k) => ({ level, count: counts[k] })) };
    }
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < table.nRows; i++) {
      if (missing[i]) continue;
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    return observed
      ? { spec, observed, missing: missingCount, min, max, mean: sum / observed }
      : { spec, observed, missing: missingCount, min: NaN, max: NaN, mean: NaN };
  });
}

export function summariseOutcome(table: Table): OutcomeSummary {
  if (table.card.task === 'classification') {
    let positive = 0;
    for (let i = 0; i < table.nRows; i++) positive += table.label![i];
    return { task: 'classification', positive, negative: table.nRows - positive };
  }
  let events = 0;
  for (let i = 0; i < table.nRows; i++) events += table.event![i];
  const sorted = Float64Array.from(table.time!).sort();
  const n = sorted.length;
  const median = n ? (n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2) : NaN;
  return { task: 'survival', events, censored: n - events, minTime: sorted[0], medianTime: median, maxTime: sorted[n - 1] };
}
