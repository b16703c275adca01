/**
 * A clinical table in columnar typed arrays, as described by its card. Missing feature values are
 * NaN with a matching mask; they are never dropped. Categorical and binary values are stored as the
 * 0-based index of their level in the card's `categories` list (binary without categories: 0/1).
 */
import type { DatasetCard, FeatureSpec } from './card.js';
import type { ClassificationTarget, SurvivalTarget } from './target.js';
import { DataError } from './errors.js';

export interface FeatureColumn {
  readonly spec: FeatureSpec;
  /** Numeric value, or level index for categorical/binary features; NaN where missing. */
  readonly values: Float64Array | Float32Array;
  /** 1 where the value is missing. */
  readonly missing: Uint8Array;
}

export interface Table {
  readonly card: DatasetCard;
  readonly nRows: number;
  readonly features: readonly FeatureColumn[];
  /** Classification: 1 where the label equals the card's positive value, else 0. */
  readonly label?: Uint8Array;
  /**
   * Classification: the label value that encodes 0 (the other class seen in the data), so the
   * table can be written back with the user's own codes. Absent for synthetic tables; see
   * `negativeLabelOf`.
   */
  readonly negativeLabel?: string | number;
  /** Survival: follow-up time (≥ 0) and event indicator (1 = event, 0 = censored, whatever the file's codes). */
  readonly time?: Float64Array;
  readonly event?: Uint8Array;
}

/** The outcome of a table in the shape the learners take (arrays are shared, not copied). */
export function tableTarget(table: Table): ClassificationTarget | SurvivalTarget {
  if (table.card.task === 'classification') {
    if (!table.label) throw new DataError(`table "${table.card.name}" has no label column`);
    return { task: 'classification', y: table.label };
  }
  if (!table.time || !table.event) throw new DataError(`table "${table.card.name}" has no time/event columns`);
  return { task: 'survival', time: table.time, event: table.event };
}

/**
 * The label value written for class 0: the one seen in the data if known, else the conventional
 * complement of the card's positive value (1↔0, "yes"↔"no", "true"↔"false"), else `not <positive>`.
 */
export function negativeLabelOf(table: Table): string | number {
  if (table.negativeLabel !== undefined) return table.negativeLabel;
  return publicNegativeLabel(table.card);
}

/**
 * The class-0 label derived from the card alone (no data): the card's `negative` when it names
 * one, else the conventional complement of the positive value (1↔0, "yes"↔"no", "true"↔"false"), else `not <positive>`. A private release uses
 * this, since the spelling of the other class in the data is itself read off the records.
 */
export function publicNegativeLabel(card: DatasetCard): string | number {
  if (card.task !== 'classification') throw new DataError(`card "${card.name}" is not a classification card`);
  if (card.negative !== undefined) return card.negative;
  const positive = card.positive;
  const complements: Record<string, string> = { '1': '0', '0': '1', yes: 'no', no: 'yes', true: 'false', false: 'true' };
  const key = String(positive).trim().toLowerCase();
  const complement = complements[key];
  if (complement === undefined) return `not ${positive}`;
  return typeof positive === 'number' ? Number(complement) : matchCase(String(positive), complement);
}

function matchCase(model: string, word: string): string {
  if (model === model.toUpperCase()) return word.toUpperCase();
  if (model[0] === model[0].toUpperCase()) return word[0].toUpperCase() + word.slice(1);
  return word;
}

/** Rows `indices` (0-based, in the given order, repeats allowed) copied into a new table. */
export function subsetTable(table: Table, indices: ArrayLike<number>): Table {
  const n = indices.length;
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= table.nRows) {
      throw new DataError(`row index ${i} is outside the table "${table.card.name}" (${table.nRows} rows)`);
    }
  }
  const features: FeatureColumn[] = table.features.map((column) => {
    const values = new Float64Array(n);
    const missing = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      values[r] = column.values[indices[r]];
      missing[r] = column.missing[indices[r]];
    }
    return { spec: column.spec, values, missing };
  });
  const pickUint8 = (a: Uint8Array | undefined) => {
    if (!a) return undefined;
    const out = new Uint8Array(n);
    for (let r = 0; r < n; r++) out[r] = a[indices[r]];
    return out;
  };
  let time: Float64Array | undefined;
  if (table.time) {
    time = new Float64Array(n);
    for (let r = 0; r < n; r++) time[r] = table.time[indices[r]];
  }
  return {
    card: table.card,
    nRows: n,
    features,
    label: pickUint8(table.label),
    negativeLabel: table.negativeLabel,
    time,
    event: pickUint8(table.event),
  };
}

/**
 * A custodian-side check before a run reads anything else: a training table with no rows (e.g. a
 * split that marks every row as test data, like the external validation cohort gbsg) cannot be
 * condensed — every statistic would be noise alone. `source` names the split or the file.
 */
export function requireTrainingRows(train: Table, source?: string): void {
  if (train.nRows > 0) return;
  throw new DataError(`no training rows: the split marks every row as test data (${train.card.name} is for evaluation only, e.g. an external validation cohort)`, { file: source });
}

/**
 * Split by a fixed list of test rows: `test` holds them in the given order, `train` every other row
 * in table order (the convention of the bundled `NAME.split.json` files).
 */
export function splitTable(table: Table, testIndices: ArrayLike<number>): { train: Table; test: Table } {
  const isTest = new Uint8Array(table.nRows);
  for (let r = 0; r < testIndices.length; r++) {
    const i = testIndices[r];
    if (!Number.isInteger(i) || i < 0 || i >= table.nRows) {
      throw new DataError(`test row index ${i} is outside the table "${table.card.name}" (${table.nRows} rows)`);
    }
    if (isTest[i]) throw new DataError(`test row index ${i} is listed twice`);
    isTest[i] = 1;
  }
  const trainIndices = new Int32Array(table.nRows - testIndices.length);
  let k = 0;
  for (let i = 0; i < table.nRows; i++) if (!isTest[i]) trainIndices[k++] = i;
  return { train: subsetTable(table, trainIndices), test: subsetTable(table, testIndices) };
}
