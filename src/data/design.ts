/**
 * Design matrices: a table's features as the numeric matrix a learner takes.
 *
 * Column order follows the card: each numeric, integer or binary feature is one column (binary as
 * its 0/1 level index) named after the feature; a categorical feature becomes indicator columns
 * named `feature=level`, for every level (`one-hot`) or all but the first (`drop-first`, the first
 * level being the reference, as R's treatment contrasts).
 *
 * Everything learned (imputation values, means, standard deviations) comes from the training table
 * passed to `fitDesign`, never from the table being transformed — the scikit-learn
 * `SimpleImputer(mean) → StandardScaler` pipeline: the scaler sees the imputed column, so its
 * population sd counts imputed rows (at the mean) in the denominator. A standard deviation of 0
 * is replaced by 1 (sklearn's convention), so a constant column becomes all zeros.
 *
 * These presets reproduce the reference designs (tests/fixtures/reference):
 *   classification: {categorical: 'one-hot', impute: 'mean', standardise: true}
 *   survival:       {categorical: 'drop-first', impute: 'none', standardise: false}
 *
 * Note the statistics are read off the training data, so a design fitted on private data is not a
 * private release; condensation uses the synthetic table (or DP statistics) instead.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import type { FeatureSpec } from './card.js';
import { DataError } from './errors.js';
import type { FeatureColumn, Table } from './table.js';

export interface DesignSpec {
  categorical: 'one-hot' | 'drop-first';
  /** `mean`: replace a missing value by the training mean of its column; `none`: leave NaN. */
  impute: 'mean' | 'none';
  /** Centre and scale every column by its training mean and population sd. */
  standardise: boolean;
}

export const CLASSIFICATION_DESIGN: DesignSpec = { categorical: 'one-hot', impute: 'mean', standardise: true };
export const SURVIVAL_DESIGN: DesignSpec = { categorical: 'drop-first', impute: 'none', standardise: false };

export interface Design {
  readonly spec: DesignSpec;
  readonly columnNames: string[];
  /** Per design column: training mean (of observed values); NaN if a column was never observed. */
  readonly means: Float64Array;
  /** Per design column: divisor used when standardising (1 when not standardising or sd = 0). */
  readonly scales: Float64Array;
  /** Problems found while fitting (e.g. a column with no observed training value). */
  readonly warnings: string[];
  /** The design matrix of any table with the same card features (rows in table order). */
  transform(table: Table): Matrix;
}

/** One design column: which feature it reads and, for an indicator, which level. */
export interface DesignColumn {
  name: string;
  feature: string;
  /** Level index for an indicator column, -1 for a value column. */
  level: number;
}

export function designColumns(features: readonly FeatureSpec[], categorical: DesignSpec['categorical']): DesignColumn[] {
  const columns: DesignColumn[] = [];
  for (const spec of features) {
    if (spec.type === 'categorical') {
      const levels = spec.categories ?? [];
      for (let l = categorical === 'drop-first' ? 1 : 0; l < levels.length; l++) {
        columns.push({ name: `${spec.name}=${levels[l]}`, feature: spec.name, level: l });
      }
    } else {
      columns.push({ name: spec.name, feature: spec.name, level: -1 });
    }
  }
  return columns;
}

export function fitDesign(train: Table, spec: DesignSpec): Design {
  const columns = designColumns(
    train.features.map((f) => f.spec),
    spec.categorical,
  );
  const d = columns.length;
  const n = train.nRows;
  const raw = fillRaw(train, columns);
  const means = new Float64Array(d);
  const scales = new Float64Array(d).fill(1);
  const warnings: string[] = [];
  const countAndSum = new Float64Array(2);
  for (let j = 0; j < d; j++) {
    const count = observedCountAndSum(raw, n, d, j, countAndSum);
    const mean = count ? countAndSum[1] / count : NaN;
    means[j] = mean;
    if (!count) warnings.push(`design column "${columns[j].name}" has no observed value in the training table`);
    if (spec.standardise && count) {
      // Population sd over the column as the scaler sees it: imputed rows sit at the mean and add
      // nothing to the sum of squares but do count in n (sklearn's imputer → scaler pipeline).
      const denominator = spec.impute === 'mean' ? n : count;
      const sd = Math.sqrt(observedSquaredDeviations(raw, n, d, j, mean) / denominator);
      scales[j] = sd > 0 ? sd : 1;
    }
  }
  const featureNames = train.features.map((f) => f.spec.name).join('\u0000');
  const featureTypes = train.features.map((f) => f.spec.type).join(',');

  return {
    spec,
    columnNames: columns.map((c) => c.name),
    means,
    scales,
    warnings,
    transform(table: Table): Matrix {
      if (table.features.map((f) => f.spec.name).join('\u0000') !== featureNames || table.features.map((f) => f.spec.type).join(',') !== featureTypes) {
        throw new DataError(`design: table "${table.card.name}" does not have the features the design was fitted on`);
      }
      const data = fillRaw(table, columns);
      const rows = table.nRows;
      imputeAndStandardise(data, rows, d, spec, means, scales);
      return matrix(rows, d, data);
    },
  };
}

/** Row-major raw design values (indicators 0/1, values as stored), NaN where the feature is missing. */
function fillRaw(table: Table, columns: DesignColumn[]): Float64Array {
  const d = columns.length;
  const n = table.nRows;
  const out = new Float64Array(n * d);
  const byName = new Map<string, FeatureColumn>(table.features.map((f) => [f.spec.name, f]));
  for (let j = 0; j < d; j++) {
    const column = byName.get(columns[j].feature)!;
    const level = columns[j].level;
    if (level < 0) fillValueColumn(out, n, d, j, column.values, column.missing);
    else fillIndicatorColumn(out, n, d, j, column.values, column.missing, level);
  }
  return out;
}

/*
 * The loops over rows live in leaf functions that end with their loop, as in `cox.ts`: V8 compiles
 * a function whose first call runs a long loop while that call is in the loop (on-stack
 * replacement), before the code after the loop has run, and later calls entering that code bail
 * out at whatever comes after the loop (`node --trace-deopt` on an experiment grid: 72 bail-outs of
 * `transform` at its closing `matrix` call, 16 of `fitDesign`).
 */

/** Number of observed (non-NaN) values of design column j of the row-major `raw` (n × d), written to `out[0]` and returned, and their sum in row order to `out[1]`. */
function observedCountAndSum(raw: Float64Array, n: number, d: number, j: number, out: Float64Array): number {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = raw[i * d + j];
    if (v === v) {
      count++;
      sum += v;
    }
  }
  out[0] = count;
  out[1] = sum;
  return count;
}

/** Σ (v − mean)² over the observed values of design column j, in row order. */
function observedSquaredDeviations(raw: Float64Array, n: number, d: number, j: number, mean: number): number {
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const v = raw[i * d + j];
    if (v === v) ss += (v - mean) * (v - mean);
  }
  return ss;
}

/** `transform`'s imputation and scaling of the raw values, in place. */
function imputeAndStandardise(data: Float64Array, rows: number, d: number, spec: DesignSpec, means: Float64Array, scales: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) {
      let v = data[base + j];
      if (v !== v) {
        if (spec.impute === 'none') continue;
        // A column never observed in training has no mean; 0 keeps the row usable.
        v = means[j] === means[j] ? means[j] : 0;
      }
      if (spec.standardise) v = means[j] === means[j] ? (v - means[j]) / scales[j] : v;
      data[base + j] = v;
    }
  }
}

function fillValueColumn(out: Float64Array, n: number, d: number, j: number, values: Float64Array | Float32Array, missing: Uint8Array): void {
  for (let i = 0; i < n; i++) out[i * d + j] = missing[i] ? NaN : values[i];
}

function fillIndicatorColumn(out: Float64Array, n: number, d: number, j: number, values: Float64Array | Float32Array, missing: Uint8Array, level: number): void {
  for (let i = 0; i < n; i++) out[i * d + j] = missing[i] ? NaN : values[i] === level ? 1 : 0;
}
