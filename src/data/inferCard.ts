/**
 * Drafting a dataset card for a user's CSV (`dpcondense card`). A card is public, so the draft only
 * writes down what the custodian must confirm, and never fills a bound from the data: every
 * numeric and integer feature gets `bounds: null`, to be replaced by public knowledge (coding or
 * physiological ranges) or left for a DP estimate. The row count is omitted for the same reason.
 *
 * Type inference, per column (outcome and excluded columns aside), over its non-missing cells:
 *   1. no observed value                              → numeric (with a note)
 *   2. every cell a number, all of them 0 or 1        → binary, categories [0, 1]
 *   3. every cell a number, all integer-valued        → integer
 *   4. every cell a number                            → numeric
 *   5. some text, exactly two distinct values         → binary, categories sorted
 *   6. some text, 3..maxLevels distinct values        → categorical, categories sorted
 *   7. some text, more than maxLevels distinct values → error (not a number, too many levels)
 * Numeric codes (e.g. race 0..5) are therefore drafted as integers; change them to categorical by
 * hand. Category lists are read from the data, so the draft says to check they are public codes.
 *
 * The outcome: a classification label must have exactly two values; the positive value is the one
 * given, else inferred only when unambiguous (1 of 0/1, yes, true, positive), else an error asking
 * for it. The survival event column may be coded 0/1, 1/2 (R's `Surv`: 2 = event) or TRUE/FALSE
 * (any case), decided as R decides it (values all in {1, 2} → 1/2); the draft writes the coding
 * into `event_codes` when it is not 0/1. Times are checked when the draft reads the file (ingest.ts).
 */
import { parseCard, type DatasetCard } from './card.js';
import { tokenizeCsv, type CsvRecordSink } from './csv.js';
import { DataError } from './errors.js';
import { TableBuilder } from './ingest.js';
import { DEFAULT_MISSING_VALUES, delimiterHint, labelKey, numberLookalike, parseNumberIn, parseStrictNumber, quoteCell, type TextFormat } from './values.js';

export interface CardInferenceOptions {
  /** Dataset name written into the card. */
  name: string;
  /** Input name for error messages. */
  source: string;
  label?: string;
  positive?: string;
  time?: string;
  event?: string;
  /** Columns to leave out of the card (identifiers, free text). */
  exclude?: readonly string[];
  /** Most distinct text values a categorical may have (default 20). */
  maxLevels?: number;
  missingValues?: readonly string[];
  /** Field separator and decimal mark of the text (default: comma, point). */
  format?: TextFormat;
}

interface ColumnStats {
  name: string;
  index: number;
  observed: number;
  allNumeric: boolean;
  allInteger: boolean;
  allZeroOne: boolean;
  /** Distinct cell texts (capped at maxLevels + 1), with the row where each first appeared. */
  texts: Map<string, number>;
  /** Cells that were numbers. */
  numbers: number;
  /** The first cell that was not a number (what made the column text), where it is. */
  firstText?: CellAt;
  /** The first cell that looks like a number in a form we do not read (1,234, Infinity, 1e309, 0x1A). */
  firstLookalike?: CellAt & { why: string };
}

interface CellAt {
  text: string;
  row: number;
  line: number | undefined;
}

export interface CardDraft {
  card: DatasetCard;
  /** Remarks for the user (what was inferred and what to review). */
  notes: string[];
}

const POSITIVE_WORDS = ['1', 'yes', 'true', 'positive', 'y', 'dead', 'died', 'event'];

export class CardInferrer {
  private readonly options: CardInferenceOptions;
  private readonly maxLevels: number;
  private readonly missingTokens: Set<string>;
  private header: string[] | undefined;
  private columns: ColumnStats[] = [];
  private labelIndex = -1;
  private readonly labelClasses = new Map<string, string>();
  private eventIndex = -1;
  /** Distinct event cell texts by key (a third one is an error). */
  private readonly eventValues = new Map<string, string>();
  private rows = 0;

  constructor(options: CardInferenceOptions) {
    const hasLabel = options.label !== undefined;
    const hasSurvival = options.time !== undefined || options.event !== undefined;
    if (hasLabel === hasSurvival || (hasSurvival && (options.time === undefined || options.event === undefined))) {
      throw new DataError('give either a label column (classification) or both time and event columns (survival)');
    }
    this.options = options;
    this.maxLevels = options.maxLevels ?? 20;
    this.missingTokens = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
  }

  addRecord(fields: string[], line?: number): void {
    if (!this.header) {
      this.setHeader(fields.map((f) => f.trim()));
      return;
    }
    const row = ++this.rows;
    const source = this.options.source;
    if (fields.length !== this.header.length) {
      throw new DataError(`row has ${fields.length} fields, the header has ${this.header.length}`, {
        file: source,
        row,
        line,
        column: this.header[Math.min(fields.length, this.header.length - 1)],
      });
    }
    for (const c of this.columns) {
      const text = fields[c.index].trim();
      if (this.missingTokens.has(text)) continue;
      c.observed++;
      const v = parseNumberIn(text, this.options.format?.decimal);
      if (Number.isNaN(v)) {
        if (text.includes('\0')) throw new DataError('the cell contains a NUL byte: is this a binary or UTF-16 file?', { file: source, row, line, column: c.name });
        const why = numberLookalike(text);
        if (why) c.firstLookalike ??= { text, row, line, why };
        else c.firstText ??= { text, row, line };
        c.allNumeric = false;
      } else {
        c.numbers++;
        if (!Number.isInteger(v)) c.allInteger = false;
        if (v !== 0 && v !== 1) c.allZeroOne = false;
      }
      // Distinct texts are kept up to maxLevels + 1: enough to tell a categorical from a column
      // with too many levels, without holding every value of a numeric column.
      if (!c.texts.has(text)) {
        if (c.texts.size <= this.maxLevels) c.texts.set(text, row);
        else if (!c.allNumeric) throw this.notNumericNorCategorical(c);
      }
    }
    if (this.eventIndex >= 0) {
      const text = fields[this.eventIndex].trim();
      const key = labelKey(text.toLowerCase());
      if (!this.eventValues.has(key)) {
        if (this.eventValues.size === 2) {
          throw new DataError(`a third event value ${quoteCell(text)}; the event column needs two codes (0/1, 1/2 or TRUE/FALSE)`, { file: source, row, line, column: this.options.event });
        }
        this.eventValues.set(key, text);
      }
    }
    if (this.labelIndex >= 0) {
      const text = fields[this.labelIndex].trim();
      if (text.includes('\0')) throw new DataError('the cell contains a NUL byte: is this a binary or UTF-16 file?', { file: source, row, line, column: this.options.label });
      if (this.missingTokens.has(text)) {
        throw new DataError('the outcome label is missing', { file: source, row, line, column: this.options.label });
      }
      const key = labelKey(text);
      if (!this.labelClasses.has(key)) {
        if (this.labelClasses.size === 2) {
          throw new DataError(`a third label value ${quoteCell(text)}; a binary outcome needs exactly two`, { file: source, row, line, column: this.options.label });
        }
        this.labelClasses.set(key, text);
      }
    }
  }

  finish(): CardDraft {
    const source = this.options.source;
    if (!this.header) throw new DataError('the file is empty (no header, no rows)', { file: source });
    if (this.rows === 0) throw new DataError('the file has a header but no data rows', { file: source });
    const notes: string[] = [];
    const features = this.columns.map((c) => {
      // Numeric columns whose texts overflowed the cap are still numeric; text columns were caught above.
      if (c.observed === 0) {
        notes.push(`WARNING "${c.name}" has no observed value (every cell is missing); drafted as numeric: exclude it, or condensation can only fill it from its bounds`);
        return { name: c.name, type: 'numeric' as const, bounds: null };
      }
      if (c.allNumeric) {
        if (c.allZeroOne) return { name: c.name, type: 'binary' as const, categories: [0, 1] };
        return { name: c.name, type: c.allInteger ? ('integer' as const) : ('numeric' as const), bounds: null };
      }
      // Numbers written in a form we do not read, and nothing else that is text: a numeric column
      // with bad cells, not a categorical one. Never switch its type silently.
      if ((c.firstLookalike && !c.firstText) || c.texts.size > this.maxLevels) throw this.notNumericNorCategorical(c);
      const levels = [...c.texts.keys()].sort(compareLevels);
      if (levels.length < 2) {
        throw new DataError(`a single text value ${quoteCell(levels[0])} in every row: nothing to learn from; exclude the column`, {
          file: source,
          column: c.name,
        });
      }
      notes.push(`"${c.name}": ${levels.length} categories read from the data (${levels.slice(0, 6).map((l) => JSON.stringify(l)).join(', ')}${levels.length > 6 ? ', ...' : ''})`);
      if (c.numbers > 0) {
        // Mostly numbers with some text: say why the column became text, and where.
        const first = c.firstText ?? c.firstLookalike!;
        notes.push(
          `WARNING "${c.name}" drafted as ${levels.length === 2 ? 'binary' : 'categorical'}, not numeric: ${c.numbers} cell(s) are numbers, but row ${first.row} has ${quoteCell(first.text)}, which is not; if the column is numeric, fix such cells (or leave them empty) and draft again`,
        );
      }
      return { name: c.name, type: levels.length === 2 ? ('binary' as const) : ('categorical' as const), categories: levels };
    });
    const o = this.options;
    const numericCount = features.filter((f) => f.type === 'numeric' || f.type === 'integer').length;
    const note =
      `Draft card inferred by dpcondense from ${source}; review before use. ` +
      `Bounds are null: fill in public bounds (coding or physiological ranges) where they are known, never values read off the data; features left without bounds need a DP estimate at condensation. ` +
      `Category lists were read from the data: confirm they are public codes before release, then delete "draft": true (a private release refuses a draft card).`;
    let json: Record<string, unknown>;
    if (o.label !== undefined) {
      json = { name: o.name, draft: true, task: 'classification', label: o.label, positive: this.positiveValue(), features, note };
    } else {
      const codes = this.eventCoding(notes);
      json = { name: o.name, draft: true, task: 'survival', time: o.time, event: o.event, ...(codes ? { event_codes: codes } : {}), features, note };
    }
    if (numericCount) notes.push(`${numericCount} numeric/integer feature(s) have bounds: null — add public bounds where known`);
    return { card: parseCard(json, `draft card for ${source}`), notes };
  }

  /**
   * A column that is neither numeric nor categorical, located at the cell that decided it: the first
   * number in a form we do not read (when the rest are numbers), else the first text cell.
   */
  private notNumericNorCategorical(c: ColumnStats): DataError {
    if (c.firstLookalike && !c.firstText) {
      const { text, row, line, why } = c.firstLookalike;
      return new DataError(`${quoteCell(text)} looks like a number but is not read as one (${why}); fix the cell, leave it empty if missing, or --exclude the column`, {
        file: this.options.source,
        row,
        line,
        column: c.name,
      });
    }
    const first = c.firstText!;
    return new DataError(
      `${quoteCell(first.text)} is not a number, and the column has more than ${this.maxLevels} distinct values, so it is neither numeric nor categorical; fix the cell, raise --max-levels, or --exclude the column`,
      { file: this.options.source, row: first.row, line: first.line, column: c.name },
    );
  }

  private setHeader(header: string[]): void {
    const source = this.options.source;
    const seen = new Set<string>();
    header.forEach((name, i) => {
      if (!name) throw new DataError(`header: column ${i + 1} has no name`, { file: source, column: `field ${i + 1}` });
      if (seen.has(name)) throw new DataError('header: the name appears twice', { file: source, column: name });
      seen.add(name);
    });
    const o = this.options;
    const outcome = o.label !== undefined ? [o.label] : [o.time!, o.event!];
    for (const name of [...outcome, ...(o.exclude ?? [])]) {
      if (!seen.has(name)) throw new DataError(`header: no column named "${name}"${delimiterHint(header, o.format?.delimiter)}`, { file: source, column: name });
    }
    const skip = new Set([...outcome, ...(o.exclude ?? [])]);
    this.header = header;
    this.labelIndex = o.label !== undefined ? header.indexOf(o.label) : -1;
    this.eventIndex = o.event !== undefined ? header.indexOf(o.event) : -1;
    this.columns = header
      .map((name, index) => ({ name, index }))
      .filter(({ name }) => !skip.has(name))
      .map(({ name, index }) => ({ name, index, observed: 0, allNumeric: true, allInteger: true, allZeroOne: true, texts: new Map(), numbers: 0 }));
    if (this.columns.length === 0) throw new DataError('no feature columns left besides the outcome', { file: source });
  }

  /** The event column's coding, as R's `Surv` reads it; undefined for the default 0/1. */
  private eventCoding(notes: string[]): { event: string | number; censored: string | number } | undefined {
    const keys = [...this.eventValues.keys()];
    const column = this.options.event;
    if (keys.every((k) => k === 'n:0' || k === 'n:1')) return undefined;
    if (keys.every((k) => k === 'n:1' || k === 'n:2')) {
      notes.push(`"${column}" is coded 1/2 as in R's Surv: 2 = event, 1 = censored (event_codes)`);
      return { event: 2, censored: 1 };
    }
    if (keys.every((k) => k === 's:true' || k === 's:false')) {
      // Keep the file's spelling; a value never seen gets the spelling's case of the one that was.
      const seen = [...this.eventValues.values()][0];
      const spell = (word: string) => this.eventValues.get(`s:${word}`) ?? (seen === seen.toLowerCase() ? word : seen === seen.toUpperCase() ? word.toUpperCase() : word[0].toUpperCase() + word.slice(1));
      notes.push(`"${column}" is coded TRUE/FALSE: TRUE = event (event_codes)`);
      return { event: spell('true'), censored: spell('false') };
    }
    throw new DataError(
      `event values ${[...this.eventValues.values()].map(quoteCell).join(', ')} are not 0/1, 1/2 (R's Surv) or TRUE/FALSE; write the card by hand with "event_codes": {"event": ..., "censored": ...}`,
      { file: this.options.source, column },
    );
  }

  private positiveValue(): string | number {
    const source = this.options.source;
    const column = this.options.label;
    const classes = [...this.labelClasses.entries()];
    if (classes.length !== 2) {
      throw new DataError(`the label has ${classes.length} distinct value(s) (${classes.map(([, t]) => quoteCell(t)).join(', ')}); a binary outcome needs exactly two`, {
        file: source,
        column,
      });
    }
    const asValue = (text: string): string | number => {
      const v = parseStrictNumber(text);
      return Number.isNaN(v) ? text : v;
    };
    if (this.options.positive !== undefined) {
      const key = labelKey(this.options.positive.trim());
      const match = classes.find(([k]) => k === key);
      if (!match) {
        throw new DataError(`--positive ${JSON.stringify(this.options.positive)} is not one of the label values ${classes.map(([, t]) => quoteCell(t)).join(', ')}`, {
          file: source,
          column,
        });
      }
      return asValue(match[1]);
    }
    const candidates = classes.filter(([, text]) => POSITIVE_WORDS.includes(text.toLowerCase()) || labelKey(text) === 'n:1');
    const others = classes.filter((c) => !candidates.includes(c));
    if (candidates.length === 1 && others.length === 1) return asValue(candidates[0][1]);
    throw new DataError(`cannot tell which label value is the positive class (${classes.map(([, t]) => quoteCell(t)).join(' or ')}); pass --positive VALUE`, {
      file: source,
      column,
    });
  }
}

/** Numbers in numeric order before text in code-point order, so "2" < "10" and codes read naturally. */
function compareLevels(a: string, b: string): number {
  const x = parseStrictNumber(a);
  const y = parseStrictNumber(b);
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  if (!Number.isNaN(x)) return -1;
  if (!Number.isNaN(y)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Draft a card from CSV text, then read the text with it (which applies every ingestion rule, e.g.
 * survival time > 0 and at least one event), so a draft is only returned if it can load its data.
 */
export function inferCardFromText(text: string, options: CardInferenceOptions): CardDraft {
  return inferCardFromRecords((sink) => tokenizeCsv(text, options.source, sink, { delimiter: options.format?.delimiter }), options);
}

/**
 * Draft a card from records that `replay` delivers (header first) each time it is called — a CSV
 * text's, or a Parquet file's (`deliverParquetRecords`) — then read them again with the draft.
 */
export function inferCardFromRecords(replay: (sink: CsvRecordSink) => void, options: CardInferenceOptions): CardDraft {
  const inferrer = new CardInferrer(options);
  replay((fields, _i, line) => inferrer.addRecord(fields, line));
  const draft = inferrer.finish();
  const builder = new TableBuilder(draft.card, { source: options.source, missingValues: options.missingValues, format: options.format });
  replay((fields, _i, line) => builder.addRecord(fields, line));
  builder.finish();
  return draft;
}
