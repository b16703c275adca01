/**
 * Ingestion: CSV records → a columnar `Table` as its card describes it.
 *
 * Every check happens here, once, at the boundary (models and metrics trust what they get):
 * header names, field counts, number syntax, integer values, categories, public bounds, and the
 * outcome rules (a label with exactly two classes; survival time finite and ≥ 0, the event coded as
 * the card says — 1/0 unless `event_codes` — and at least one event). Each failure is a `DataError` naming the file, the 1-based data row and the column.
 * Missing feature values are kept (NaN plus a mask) and counted in the report, never dropped.
 *
 * What an invalid *record* does is the caller's explicit choice (`onInvalid`): `error` (default)
 * stops at the first one; `clamp` clamps values outside the card's bounds to the nearest bound and
 * drops records with any other invalid cell (no clamp can repair an unreadable number or an unknown
 * category); `drop` drops every record with an invalid cell. Both act on each record alone, so they
 * are functions of that record only — safe under DP, unlike the file-level checks (two label
 * classes, at least one event), which stay errors. A third label value is a record-level fault
 * only when the card names the negative class (`negative`); otherwise which value is "third"
 * depends on the order of the other records, and it stays an error. Structural faults (header,
 * field counts) are errors in every mode.
 *
 * Storage (no per-row objects): the feature values row-major in one typed array (`Table.records`,
 * so that a step's gather of scattered records reads one place per record), a missing mask per
 * feature and one array per outcome column, allocated at `rowsHint` (an upper bound such as the
 * file's line count) or else the card's `rows`, grown by doubling if the rows outnumber it, and
 * trimmed at the end: no copy when the hint was exact, a view when it overshot by at most an eighth
 * (the few dropped records or blank lines), else a copy. The peak is then about the final size when
 * the hint is given.
 */
import { eventCodes, type DatasetCard, type FeatureSpec } from './card.js';
import { tokenizeCsv } from './csv.js';
import { DataError } from './errors.js';
import { recordColumns, type Table } from './table.js';
import { DEFAULT_MISSING_VALUES, LevelLookup, delimiterHint, labelKey, numberLookalike, parseNumberIn, parseStrictNumber, quoteCell, type TextFormat } from './values.js';

export interface IngestOptions {
  /** Name of the input (file name as the user gave it), used in every error message. */
  source: string;
  /**
   * What an invalid record does (module comment): `error` (default: out-of-bounds data usually means
   * a wrong card or a unit mix-up), `clamp` or `drop`. Clamps and drops are counted in the report
   * for the custodian; a private release prints neither.
   */
  onInvalid?: InvalidRecordPolicy;
  /** Same as `onInvalid: 'clamp'` (the older flag). */
  clampToBounds?: boolean;
  /** Cell texts read as missing (after trimming); default `DEFAULT_MISSING_VALUES`. */
  missingValues?: readonly string[];
  /** Field separator and decimal mark of the text (default: comma, point). */
  format?: TextFormat;
  /**
   * An upper bound on the number of data rows, e.g. the file's line breaks counted in a first pass.
   * Storage is then allocated once at that size instead of grown by doubling, so peak memory stays
   * at about the final arrays (a doubling can leave up to twice the final size allocated).
   */
  rowsHint?: number;
  /**
   * `float64` (default) stores feature values as doubles. `float32` halves the memory of a large
   * table; each value is then rounded to a 24-bit significand (relative error at most 2⁻²⁴ ≈ 6e−8,
   * e.g. 123.456 is kept as 123.45600128…; integers up to 2²⁴ = 16,777,216 and category indices stay
   * exact). Bounds are checked on the value as written, before rounding, so a stored value may lie
   * up to that relative error outside its bound (the encoder clamps into the box anyway). Outcomes
   * (labels, times, events) are always stored exactly.
   */
  featureStorage?: 'float64' | 'float32';
  /**
   * A column of per-row sample weights to read into `table.weight` when the header has it (a
   * release with learned row weights: `weightColumnName(card)`); each cell must be a finite number
   * ≥ 0. Absent from the header: the table has no weights.
   */
  weightColumn?: string;
}

export type InvalidRecordPolicy = 'error' | 'clamp' | 'drop';
export const INVALID_RECORD_POLICIES: readonly InvalidRecordPolicy[] = ['error', 'clamp', 'drop'];

export interface IngestReport {
  source: string;
  /** Data rows read (header excluded). */
  rows: number;
  /** Header names in file order. */
  header: string[];
  /** Header columns the card does not mention (read past, not loaded). */
  ignoredColumns: string[];
  /** Missing cells per card feature. */
  missing: Record<string, number>;
  /** The tokens read as missing in feature cells, with how many cells each spelled (in order of first use). */
  missingTokens: Record<string, number>;
  /** Features with no observed value at all (every cell missing). */
  allMissing: string[];
  /** Values clamped to the card's bounds, per feature (only features with at least one clamp). */
  clamped: Record<string, number>;
  clampToBounds: boolean;
  onInvalid: InvalidRecordPolicy;
  /** Records dropped as invalid (`onInvalid` clamp or drop). */
  dropped: number;
  /** Empty lines skipped by the tokenizer. */
  blankLines: number;
}

/** How a feature's cells are parsed: a number, an integer, or a level of a binary/categorical. */
const Kind = { Numeric: 0, Integer: 1, Level: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** What reading a valid feature cell did (counted only once the whole record is accepted). */
const Cell = { Value: 0, Missing: 1, Clamped: 2 } as const;
type Cell = (typeof Cell)[keyof typeof Cell];

interface FeaturePlan {
  spec: FeatureSpec;
  kind: Kind;
  headerIndex: number;
  levels: LevelLookup | undefined;
  low: number;
  high: number;
  /** The feature's position in a record of `TableBuilder.records`. */
  column: number;
  missing: Uint8Array;
  missingCount: number;
  clampCount: number;
}

/**
 * Incremental builder behind `readTable`: feed the header, then data records, then `finish()`.
 * Exposed so that streaming readers can push records without an async hop per record.
 */
export class TableBuilder {
  private readonly card: DatasetCard;
  private readonly source: string;
  private readonly clampToBounds: boolean;
  private readonly onInvalid: InvalidRecordPolicy;
  private readonly float32: boolean;
  private readonly missingTokens: Set<string>;
  /** A missing token such as "-999" spells a number, so missing must be checked before parsing. */
  private readonly numericMissingToken: boolean;
  private readonly format: TextFormat;
  private header: string[] | undefined;
  private plans: FeaturePlan[] = [];
  /** Feature values row-major: row i's feature at `records[i * plans.length + plan.column]`. */
  private records: Float64Array | Float32Array = new Float64Array(0);
  private capacity: number;
  private nRows = 0;
  private labelIndex = -1;
  private timeIndex = -1;
  private eventIndex = -1;
  private weightIndex = -1;
  private readonly weightColumn: string | undefined;
  private weight: Float64Array | undefined;
  private label: Uint8Array | undefined;
  private time: Float64Array | undefined;
  private event: Uint8Array | undefined;
  private positiveKey = '';
  private eventKey = 'n:1';
  private censoredKey = 'n:0';
  /** Distinct label keys in order of appearance, with the text first seen for each. */
  private readonly labelClasses = new Map<string, string>();
  private negativeKey: string | undefined;
  private eventCount = 0;
  private dropped = 0;
  /** Per feature, what reading the current record's cell did. */
  private cells = new Uint8Array(0);
  private ignoredColumns: string[] = [];
  /** Missing feature cells per token that spelled them ("" for empty cells). */
  private readonly missingTokenCounts = new Map<string, number>();
  blankLines = 0;

  constructor(card: DatasetCard, options: IngestOptions) {
    this.card = card;
    this.source = options.source;
    this.onInvalid = options.onInvalid ?? (options.clampToBounds ? 'clamp' : 'error');
    this.clampToBounds = this.onInvalid === 'clamp';
    this.float32 = options.featureStorage === 'float32';
    this.missingTokens = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
    this.numericMissingToken = [...this.missingTokens].some((t) => !Number.isNaN(parseStrictNumber(t)));
    this.format = options.format ?? {};
    this.weightColumn = options.weightColumn;
    // A decimal comma makes "3,5" a number, so the comma-free fast path below would misread it.
    if (this.format.decimal === ',') this.numericMissingToken = true;
    this.capacity = Math.max(16, options.rowsHint ?? card.rows ?? 1024);
  }

  /**
   * Add one record. The first call is the header. `row` and `line` locate data records in error
   * messages (default: the running record count).
   */
  addRecord(fields: string[], line?: number): void {
    if (!this.header) {
      this.setHeader(fields);
      return;
    }
    const row = this.nRows + 1;
    const header = this.header;
    if (fields.length !== header.length) {
      const detail = `row has ${fields.length} fields, the header has ${header.length}`;
      const column = fields.length < header.length ? header[fields.length] : undefined;
      throw new DataError(column ? `${detail} (first missing: "${column}")` : `${detail} (extra: ${quoteCell(fields[header.length])})`, {
        file: this.source,
        row,
        line,
        column: column ?? `field ${header.length + 1}`,
      });
    }
    if (this.nRows === this.capacity) this.grow();
    const i = this.nRows;
    // Cells are read into row i; the record's counts are taken only once every cell is valid, so
    // a dropped record leaves no trace (row i is simply overwritten by the next record).
    const plans = this.plans;
    for (let p = 0; p < plans.length; p++) {
      const cell = this.parseFeature(plans[p], fields[plans[p].headerIndex].trim(), i, row, line);
      if (cell instanceof DataError) return this.invalidRecord(cell);
      this.cells[p] = cell;
    }
    const outcome = this.card.task === 'classification' ? this.parseLabel(fields[this.labelIndex].trim(), i, row, line) : this.parseSurvival(fields[this.timeIndex].trim(), fields[this.eventIndex].trim(), i, row, line);
    if (outcome instanceof DataError) return this.invalidRecord(outcome);
    if (this.weight) {
      const text = fields[this.weightIndex].trim();
      const w = parseNumberIn(text, this.format.decimal);
      if (!(w >= 0 && w < Infinity)) {
        return this.invalidRecord(new DataError(`row weight ${quoteCell(text)} is not a finite number ≥ 0`, { file: this.source, row, line, column: this.weightColumn }));
      }
      this.weight[i] = w;
    }
    for (let p = 0; p < plans.length; p++) {
      if (this.cells[p] === Cell.Missing) {
        const text = fields[plans[p].headerIndex].trim();
        plans[p].missingCount++;
        this.missingTokenCounts.set(text, (this.missingTokenCounts.get(text) ?? 0) + 1);
      } else if (this.cells[p] === Cell.Clamped) plans[p].clampCount++;
    }
    if (this.card.task === 'classification') {
      const key = outcome as string;
      if (!this.labelClasses.has(key)) this.labelClasses.set(key, fields[this.labelIndex].trim());
    } else this.eventCount += outcome as number;
    this.nRows++;
  }

  /** An invalid record: the error in `error` mode, else the record is dropped. */
  private invalidRecord(error: DataError): void {
    if (this.onInvalid === 'error') throw error;
    this.dropped++;
  }

  finish(): { table: Table; report: IngestReport } {
    const card = this.card;
    if (!this.header) throw new DataError('the file is empty (no header, no rows)', { file: this.source });
    if (this.nRows === 0) throw new DataError('the file has a header but no data rows', { file: this.source });
    const n = this.nRows;
    let negativeLabel: string | number | undefined;
    if (card.task === 'classification') {
      const classes = [...this.labelClasses.values()];
      if (this.labelClasses.size !== 2) {
        throw new DataError(`the label has ${classes.length} distinct value(s) (${classes.map(quoteCell).join(', ')}); a binary outcome needs exactly two`, {
          file: this.source,
          column: card.label,
        });
      }
      if (!this.labelClasses.has(this.positiveKey)) {
        throw new DataError(`the positive value ${JSON.stringify(card.positive)} never occurs (values seen: ${classes.map(quoteCell).join(', ')})`, {
          file: this.source,
          column: card.label,
        });
      }
      for (const [key, text] of this.labelClasses) {
        if (key !== this.positiveKey) negativeLabel = typeof card.positive === 'number' && key.startsWith('n:') ? Number(key.slice(2)) : text;
      }
    } else if (this.eventCount === 0) {
      throw new DataError(`all ${n} rows are censored (no event = 1); survival models need at least one event`, {
        file: this.source,
        column: card.event,
      });
    }
    const missing: Record<string, number> = {};
    const clamped: Record<string, number> = {};
    for (const plan of this.plans) {
      // Trim one mask at a time so the transient copy is a single mask.
      plan.missing = trimUint8(plan.missing, n);
      missing[plan.spec.name] = plan.missingCount;
      if (plan.clampCount > 0) clamped[plan.spec.name] = plan.clampCount;
    }
    const records = { values: trimRecords(this.records, n * this.plans.length), width: this.plans.length };
    this.records = records.values;
    const table: Table = {
      card,
      nRows: n,
      features: recordColumns(card.features, records, this.plans.map((plan) => plan.missing)),
      label: this.label ? trimUint8(this.label, n) : undefined,
      negativeLabel,
      time: this.time ? trimFloat(this.time, n) : undefined,
      event: this.event ? trimUint8(this.event, n) : undefined,
      weight: this.weight ? trimFloat(this.weight, n) : undefined,
    };
    const report: IngestReport = {
      source: this.source,
      rows: n,
      header: this.header,
      ignoredColumns: this.ignoredColumns,
      missing,
      missingTokens: Object.fromEntries(this.missingTokenCounts),
      allMissing: this.plans.filter((plan) => plan.missingCount === n).map((plan) => plan.spec.name),
      clamped,
      clampToBounds: this.clampToBounds,
      onInvalid: this.onInvalid,
      dropped: this.dropped,
      blankLines: this.blankLines,
    };
    return { table, report };
  }

  private setHeader(fields: string[]): void {
    const header = fields.map((f) => f.trim());
    const position = new Map<string, number>();
    header.forEach((name, index) => {
      if (name === '') throw new DataError(`header: column ${index + 1} has no name`, { file: this.source, column: `field ${index + 1}` });
      if (position.has(name)) {
        throw new DataError(`header: the name appears twice (columns ${position.get(name)! + 1} and ${index + 1})`, { file: this.source, column: name });
      }
      position.set(name, index);
    });
    const card = this.card;
    const outcome = card.task === 'classification' ? [card.label] : [card.time, card.event];
    const wanted = [...card.features.map((f) => f.name), ...outcome];
    const absent = wanted.filter((name) => !position.has(name));
    if (absent.length) {
      throw new DataError(`header: the card's column(s) ${absent.map((a) => `"${a}"`).join(', ')} are not in the file${delimiterHint(header, this.format.delimiter)}`, {
        file: this.source,
        column: absent[0],
      });
    }
    const known = new Set(wanted);
    if (this.weightColumn !== undefined && position.has(this.weightColumn) && !known.has(this.weightColumn)) {
      known.add(this.weightColumn);
      this.weightIndex = position.get(this.weightColumn)!;
      this.weight = new Float64Array(this.capacity);
    }
    this.ignoredColumns = header.filter((name) => !known.has(name));
    this.header = header;
    this.cells = new Uint8Array(card.features.length);
    this.plans = card.features.map((spec, column) => {
      const kind = spec.type === 'numeric' ? Kind.Numeric : spec.type === 'integer' ? Kind.Integer : Kind.Level;
      const bounds = kind === Kind.Level ? null : spec.bounds ?? null;
      return {
        spec,
        kind,
        headerIndex: position.get(spec.name)!,
        levels: kind === Kind.Level ? new LevelLookup(spec) : undefined,
        low: bounds ? bounds[0] : -Infinity,
        high: bounds ? bounds[1] : Infinity,
        column,
        missing: new Uint8Array(this.capacity),
        missingCount: 0,
        clampCount: 0,
      };
    });
    const size = this.capacity * this.plans.length;
    this.records = this.float32 ? new Float32Array(size) : new Float64Array(size);
    if (card.task === 'classification') {
      this.labelIndex = position.get(card.label)!;
      this.label = new Uint8Array(this.capacity);
      this.positiveKey = labelKey(String(card.positive).trim());
      this.negativeKey = card.negative === undefined ? undefined : labelKey(String(card.negative).trim());
    } else {
      const codes = eventCodes(card);
      this.eventKey = labelKey(String(codes.event).trim());
      this.censoredKey = labelKey(String(codes.censored).trim());
      this.timeIndex = position.get(card.time)!;
      this.eventIndex = position.get(card.event)!;
      this.time = new Float64Array(this.capacity);
      this.event = new Uint8Array(this.capacity);
    }
  }

  /** Read one feature cell into row i: what it did, or the reason it is invalid. */
  private parseFeature(plan: FeaturePlan, text: string, i: number, row: number, line: number | undefined): Cell | DataError {
    // Numeric cells (the bulk of a large file) try the number first; the missing-token lookup
    // runs only for cells that are not numbers, unless a missing token itself spells a number.
    let v = plan.kind === Kind.Level || this.numericMissingToken ? NaN : parseStrictNumber(text);
    const at = i * this.plans.length + plan.column;
    if (v !== v && this.missingTokens.has(text)) {
      this.records[at] = NaN;
      plan.missing[i] = 1;
      return Cell.Missing;
    }
    plan.missing[i] = 0;
    if (plan.kind === Kind.Level) {
      const level = plan.levels!.indexOf(text);
      if (level < 0) {
        const listed = plan.levels!.labels.map((l) => JSON.stringify(l)).join(', ');
        return new DataError(`${quoteCell(text)} is not a category in the card (${plan.spec.type}: ${listed})`, {
          file: this.source,
          row,
          line,
          column: plan.spec.name,
        });
      }
      this.records[at] = level;
      return Cell.Value;
    }
    if (v !== v) v = parseNumberIn(text, this.format.decimal);
    if (v !== v) {
      const lookalike = numberLookalike(text);
      return new DataError(`${quoteCell(text)} is not a number${lookalike ? ` (${lookalike})` : ''}`, { file: this.source, row, line, column: plan.spec.name });
    }
    if (plan.kind === Kind.Integer && !Number.isInteger(v)) {
      return new DataError(`${quoteCell(text)} is not an integer (the card says type "integer")`, {
        file: this.source,
        row,
        line,
        column: plan.spec.name,
      });
    }
    let cell: Cell = Cell.Value;
    if (v < plan.low || v > plan.high) {
      if (!this.clampToBounds) {
        return new DataError(
          `${text} is outside the card's bounds [${plan.low}, ${plan.high}]; fix the data or the card, or choose a record-by-record policy explicitly (--on-invalid clamp|drop)`,
          { file: this.source, row, line, column: plan.spec.name },
        );
      }
      v = v < plan.low ? plan.low : plan.high;
      cell = Cell.Clamped;
    }
    this.records[at] = v;
    return cell;
  }

  /** Read the label into row i: its key, or the reason it is invalid. */
  private parseLabel(text: string, i: number, row: number, line: number | undefined): string | DataError {
    const column = this.card.task === 'classification' ? this.card.label : '';
    if (this.missingTokens.has(text)) {
      return new DataError('the outcome label is missing; rows without an outcome cannot be used', { file: this.source, row, line, column });
    }
    const key = labelKey(text);
    if (this.negativeKey !== undefined && key !== this.positiveKey && key !== this.negativeKey) {
      const card = this.card as { positive: unknown; negative?: unknown };
      return new DataError(`label ${quoteCell(text)} is neither the positive (${JSON.stringify(card.positive)}) nor the negative (${JSON.stringify(card.negative)}) value of the card`, {
        file: this.source,
        row,
        line,
        column,
      });
    }
    if (!this.labelClasses.has(key) && this.labelClasses.size === 2) {
      // Without the card's negative value this depends on the records before it: a file-level error.
      const seen = [...this.labelClasses.values()].map(quoteCell).join(' and ');
      throw new DataError(`a third label value ${quoteCell(text)} after ${seen}; a binary outcome needs exactly two (name the card's "negative" value to drop such records instead)`, {
        file: this.source,
        row,
        line,
        column,
      });
    }
    this.label![i] = key === this.positiveKey ? 1 : 0;
    return key;
  }

  /** Read follow-up time and event into row i: the event (0/1), or the reason they are invalid. */
  private parseSurvival(timeText: string, eventText: string, i: number, row: number, line: number | undefined): number | DataError {
    const card = this.card;
    if (card.task !== 'survival') return 0;
    // Time 0 (an event or censoring on the day of entry) is valid follow-up, as in R's survival.
    const t = parseNumberIn(timeText, this.format.decimal);
    if (Number.isNaN(t) || t < 0) {
      const why = this.missingTokens.has(timeText) ? 'the follow-up time is missing' : `follow-up time ${quoteCell(timeText)} is not a finite number ≥ 0`;
      return new DataError(why, { file: this.source, row, line, column: card.time });
    }
    const key = labelKey(eventText);
    const e = key === this.eventKey ? 1 : key === this.censoredKey ? 0 : -1;
    if (e < 0) {
      const codes = eventCodes(card);
      const hint = card.event_codes ? "(the card's event_codes)" : '(set the card\'s "event_codes" for other codings, e.g. {"event": 2, "censored": 1} as in R\'s Surv)';
      return new DataError(`event ${quoteCell(eventText)} is not ${JSON.stringify(codes.censored)} (censored) or ${JSON.stringify(codes.event)} (event) ${hint}`, {
        file: this.source,
        row,
        line,
        column: card.event,
      });
    }
    this.time![i] = t;
    this.event![i] = e;
    return e;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.records = growFloat(this.records, capacity * this.plans.length);
    for (const plan of this.plans) plan.missing = growUint8(plan.missing, capacity);
    if (this.label) this.label = growUint8(this.label, capacity);
    if (this.time) this.time = growFloat(this.time, capacity);
    if (this.event) this.event = growUint8(this.event, capacity);
    if (this.weight) this.weight = growFloat(this.weight, capacity);
    this.capacity = capacity;
  }
}

function growFloat<T extends Float64Array | Float32Array>(a: T, capacity: number): T {
  const out = (a instanceof Float32Array ? new Float32Array(capacity) : new Float64Array(capacity)) as T;
  out.set(a);
  return out;
}

function growUint8(a: Uint8Array, capacity: number): Uint8Array {
  const out = new Uint8Array(capacity);
  out.set(a);
  return out;
}

function trimFloat<T extends Float64Array | Float32Array>(a: T, n: number): T {
  return a.length === n ? a : (a.slice(0, n) as T);
}

/** The first `size` values: the array itself, a view when it holds at most an eighth more, else a copy. */
function trimRecords<T extends Float64Array | Float32Array>(a: T, size: number): T {
  if (a.length === size) return a;
  return (a.length - size <= size / 8 ? a.subarray(0, size) : a.slice(0, size)) as T;
}

function trimUint8(a: Uint8Array, n: number): Uint8Array {
  return a.length === n ? a : a.slice(0, n);
}

/**
 * Build a table from CSV records (already split into fields); the first record is the header.
 * Data rows in errors are counted from 1 after the header.
 */
export async function readTable(
  records: AsyncIterable<string[]> | Iterable<string[]>,
  card: DatasetCard,
  options: IngestOptions,
): Promise<{ table: Table; report: IngestReport }> {
  const builder = new TableBuilder(card, options);
  for await (const fields of records) builder.addRecord(fields);
  return builder.finish();
}

/**
 * Parse CSV text (RFC 4180; quoted fields, CRLF and a UTF-8 BOM handled) into a table. Synchronous
 * work, returned as a promise to match `readTable`.
 */
export async function readTableFromText(text: string, card: DatasetCard, options: IngestOptions): Promise<{ table: Table; report: IngestReport }> {
  return readTableFromTextSync(text, card, options);
}

/** Synchronous form of `readTableFromText` (tests, workers that already hold the text). */
export function readTableFromTextSync(text: string, card: DatasetCard, options: IngestOptions): { table: Table; report: IngestReport } {
  const builder = new TableBuilder(card, options);
  const sink = (fields: string[], _index: number, line: number) => builder.addRecord(fields, line);
  builder.blankLines = tokenizeCsv(text, options.source, sink, { delimiter: options.format?.delimiter }).blankLines;
  return builder.finish();
}
