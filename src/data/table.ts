/**
 * A clinical table in typed arrays, as described by its card. Missing feature values are NaN with a
 * matching mask; they are never dropped. Categorical and binary values are stored as the 0-based
 * index of their level in the card's `categories` list (binary without categories: 0/1).
 *
 * Feature values are held either one typed array per column, or — for an ingested table and its
 * subsets — row-major in one array (`FeatureRecords`, columns from `recordColumns`): a step gathers
 * a few hundred records scattered over the whole table, and in columns each record costs one cache
 * line on its own memory page per feature (at 10⁷ × 30 that gather cost more than the rest of the
 * step), in rows a few adjacent lines on one page. `rowMajorRecords` tells whether a table's
 * features are exactly such records; passes over one column read through `featureView` (strided),
 * which serves both layouts without copying.
 */
import type { DatasetCard, FeatureSpec } from './card.js';
import type { ClassificationTarget, SurvivalTarget } from './target.js';
import { DataError } from './errors.js';

export interface FeatureColumn {
  readonly spec: FeatureSpec;
  /**
   * Numeric value, or level index for categorical/binary features; NaN where missing. For a column
   * over row-major records (`recordColumns`) this is a fresh copy made on every read (n values):
   * read it once per pass, or read through `featureView`.
   */
  readonly values: Float64Array | Float32Array;
  /** 1 where the value is missing. */
  readonly missing: Uint8Array;
}

/** Feature values of all records, row-major: record i's feature f at `values[i * width + f]`. */
export interface FeatureRecords {
  readonly values: Float64Array | Float32Array;
  /** The number of features (the row stride). */
  readonly width: number;
}

/** Where one feature's values lie, in either layout: record i's value at `data[offset + i * stride]`. */
export interface FeatureView {
  readonly data: Float64Array | Float32Array;
  readonly offset: number;
  readonly stride: number;
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
  /**
   * Per-row sample weights (finite, ≥ 0), e.g. a release with learned row weights (`rowWeights`):
   * a learner trained on the table takes them as its case weights. Written and read as the column
   * `weightColumnName(card)`.
   */
  readonly weight?: Float64Array;
}

/**
 * The CSV column that carries a table's row weights: `weight` (what scikit-learn's `sample_weight`
 * and R's `weights =` are usually given), or with leading underscores added until it names no
 * column of the card (a card may well have a feature called weight).
 */
export function weightColumnName(card: DatasetCard): string {
  const taken = new Set([...card.features.map((f) => f.name), ...(card.task === 'classification' ? [card.label] : [card.time, card.event])]);
  let name = 'weight';
  while (taken.has(name)) name = `_${name}`;
  return name;
}

/**
 * Where each column made by `recordColumns` lives. Kept beside the column rather than on the table,
 * so a table assembled from other columns (a spread with `features` replaced, a subset of them)
 * cannot claim records that no longer match its features.
 */
const recordPlaces = new WeakMap<FeatureColumn, { records: FeatureRecords; index: number }>();

/** A column's values without copying, whichever layout holds them. */
export function featureView(column: FeatureColumn): FeatureView {
  const place = recordPlaces.get(column);
  if (place) return { data: place.records.values, offset: place.index, stride: place.records.width };
  return { data: column.values, offset: 0, stride: 1 };
}

/** The row-major records holding `table`'s features, if its columns are exactly theirs in order. */
export function rowMajorRecords(table: Table): FeatureRecords | undefined {
  const first = table.features.length ? recordPlaces.get(table.features[0]) : undefined;
  if (!first || first.records.width !== table.features.length) return undefined;
  for (let f = 0; f < table.features.length; f++) {
    const place = recordPlaces.get(table.features[f]);
    if (!place || place.records !== first.records || place.index !== f) return undefined;
  }
  return first.records;
}

/**
 * Columns over row-major `records` (one mask per feature, n = the masks' length): each column's
 * `values` copies its feature out of the records when read, so code written for columns keeps
 * working; hot paths read `featureView` or `rowMajorRecords`.
 */
export function recordColumns(specs: readonly FeatureSpec[], records: FeatureRecords, masks: readonly Uint8Array[]): FeatureColumn[] {
  if (specs.length !== records.width || masks.length !== records.width || masks.some((m) => m.length * records.width !== records.values.length)) {
    throw new DataError(`recordColumns: ${specs.length} features and ${masks.length} masks do not match records of width ${records.width} and ${records.values.length} values`);
  }
  return specs.map((spec, index) => {
    const column: FeatureColumn = {
      spec,
      missing: masks[index],
      get values() {
        return copyFeature(records, index, masks[index].length);
      },
    };
    recordPlaces.set(column, { records, index });
    return column;
  });
}

/**
 * Visit every record's features in blocks of rows, as columns: `visit(start, count, columns)`, where
 * `columns[f][i]` is feature f of record start + i (i < count; the arrays may be longer). For a table
 * in columns that is one visit with the columns themselves; for row-major records each block of up
 * to `blockRows` records is transposed into a reused buffer. A pass that goes column by column over
 * all records (the private statistics) then reads records at sequential speed — a column read
 * straight out of the records touches every cache line of the table once per feature — and still
 * meets each column's values in record order, so its sums are the same to the bit.
 */
export function forEachColumnBlock(table: Table, visit: (start: number, count: number, columns: readonly ArrayLike<number>[]) => void, blockRows = 2048): void {
  const records = rowMajorRecords(table);
  if (!records) {
    if (table.nRows > 0) visit(0, table.nRows, table.features.map((column) => column.values));
    return;
  }
  const { values, width } = records;
  const buffer = new Float64Array(width * blockRows);
  const columns = Array.from({ length: width }, (_, f) => buffer.subarray(f * blockRows, (f + 1) * blockRows));
  for (let start = 0; start < table.nRows; start += blockRows) {
    const count = Math.min(blockRows, table.nRows - start);
    for (let i = 0; i < count; i++) {
      const from = (start + i) * width;
      for (let f = 0; f < width; f++) buffer[f * blockRows + i] = values[from + f];
    }
    visit(start, count, columns);
  }
}

/** Feature `f` of the first `n` records, as its own column array (same element type). */
function copyFeature(records: FeatureRecords, f: number, n: number): Float64Array | Float32Array {
  const { values, width } = records;
  const out = values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0, at = f; i < n; i++, at += width) out[i] = values[at];
  return out;
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

/**
 * Rows `indices` (0-based, in the given order, repeats allowed) copied into a new table, in the
 * same layout (row-major or columns; values as doubles).
 */
export function subsetTable(table: Table, indices: ArrayLike<number>): Table {
  const n = indices.length;
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= table.nRows) {
      throw new DataError(`row index ${i} is outside the table "${table.card.name}" (${table.nRows} rows)`);
    }
  }
  const masks = table.features.map((column) => {
    const missing = new Uint8Array(n);
    for (let r = 0; r < n; r++) missing[r] = column.missing[indices[r]];
    return missing;
  });
  const specs = table.features.map((column) => column.spec);
  let features: FeatureColumn[];
  const rowMajor = rowMajorRecords(table);
  if (rowMajor) {
    const { values: source, width } = rowMajor;
    const values = new Float64Array(n * width);
    for (let r = 0; r < n; r++) for (let f = 0, from = indices[r] * width; f < width; f++) values[r * width + f] = source[from + f];
    features = recordColumns(specs, { values, width }, masks);
  } else {
    features = table.features.map((column, f) => {
      const source = column.values;
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) values[r] = source[indices[r]];
      return { spec: specs[f], values, missing: masks[f] };
    });
  }
  const pickUint8 = (a: Uint8Array | undefined) => {
    if (!a) return undefined;
    const out = new Uint8Array(n);
    for (let r = 0; r < n; r++) out[r] = a[indices[r]];
    return out;
  };
  const pickFloat64 = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = a[indices[r]];
    return out;
  };
  return {
    card: table.card,
    nRows: n,
    features,
    label: pickUint8(table.label),
    negativeLabel: table.negativeLabel,
    time: pickFloat64(table.time),
    event: pickUint8(table.event),
    weight: pickFloat64(table.weight),
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
