/**
 * A small streaming CSV tokenizer (RFC 4180; comma separator unless another single character is
 * given — tab for TSV, semicolon for European spreadsheet exports) that takes string chunks, so the same
 * code reads a file streamed by Node, a browser `File` stream or an in-memory string.
 *
 * Conventions:
 * - A field is quoted when its first character is `"`; inside quotes `""` is a literal quote and
 *   commas, CR and LF are data. A quote inside an unquoted field, text after a closing quote, and an
 *   unterminated quote at the end of input are errors (they usually mean a malformed export).
 * - Records end at LF, CRLF or a lone CR. A UTF-8 byte-order mark at the very start is dropped.
 * - A completely empty line is skipped and counted (`blankLines`), never turned into a record: in a
 *   multi-column file it carries no data, and counting it keeps the skip visible.
 * - Fields are returned untrimmed; value parsing (values.ts) decides what whitespace means.
 *
 * Records are delivered to a sink with their 0-based record index (0 = header) and the 1-based
 * physical line where they start, so errors can name the data row and the line in an editor.
 */
import { DataError } from './errors.js';

export type CsvRecordSink = (fields: string[], recordIndex: number, line: number) => void;

const QUOTE = 34; // "
const LF = 10;
const CR = 13;
const BOM = '\uFEFF';

export class CsvTokenizer {
  /**
   * The record that was still incomplete at the end of the last chunk, as the chunks that hold it
   * (the first starts at a record start). It is only parsed again once a line break outside quotes
   * has arrived, so a record spanning many chunks is parsed once: linear in its length.
   */
  private pending: string[] = [];
  /** Quote parity at the end of `pending` (a `""` escape toggles twice, so parity is exact). */
  private pendingInQuotes = false;
  /** `pending` holds a line break outside quotes (then the next chunk triggers a parse). */
  private pendingHasBreak = false;
  private atStart = true;
  private finished = false;
  /** Physical line (1-based) where the next unparsed record starts. */
  private line = 1;
  private records = 0;
  private header: string[] | undefined;
  blankLines = 0;

  private readonly delimiter: string;
  private readonly delimiterCode: number;

  /** `source` names the input in error messages (file name as the user gave it). */
  constructor(
    private readonly source: string,
    options: { delimiter?: string } = {},
  ) {
    this.delimiter = options.delimiter ?? ',';
    if (this.delimiter.length !== 1 || /["\r\n]/.test(this.delimiter)) throw new RangeError(`CSV delimiter must be one character other than a quote or a line break, got ${JSON.stringify(this.delimiter)}`);
    this.delimiterCode = this.delimiter.charCodeAt(0);
  }

  /** Number of records delivered so far, header included. */
  get recordCount(): number {
    return this.records;
  }

  push(chunk: string, sink: CsvRecordSink): void {
    if (this.finished) throw new Error('CsvTokenizer: push after end');
    if (this.atStart && chunk.length > 0) {
      if (chunk.startsWith(BOM)) chunk = chunk.slice(1);
      this.atStart = false;
    }
    if (!this.pendingHasBreak && !this.scanForBreak(chunk)) {
      // No record can end in this chunk: keep it without parsing anything.
      if (chunk.length) this.pending.push(chunk);
      return;
    }
    const text = this.pending.length ? this.pending.join('') + chunk : chunk;
    // Drop the chunk list before parsing, so a long record is held once, not twice.
    this.pending = [];
    this.pendingInQuotes = false;
    this.pendingHasBreak = false;
    const consumed = this.parse(text, false, sink);
    if (consumed < text.length) {
      const rest = text.slice(consumed);
      this.pending.push(rest);
      this.pendingHasBreak = this.scanForBreak(rest);
    }
  }

  end(sink: CsvRecordSink): void {
    if (this.finished) return;
    this.finished = true;
    const text = this.pending.join('');
    this.pending = [];
    if (text.length) this.parse(text, true, sink);
  }

  /**
   * Continue the quote parity of `pending` through `chunk`; true when a line break outside quotes
   * occurs (scanning stops there: a parse follows, and resets the state).
   */
  private scanForBreak(chunk: string): boolean {
    const len = chunk.length;
    let pos = 0;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < len) {
      const quote = chunk.indexOf('"', pos);
      if (this.pendingInQuotes) {
        if (quote < 0) return false;
        this.pendingInQuotes = false;
        pos = quote + 1;
        continue;
      }
      if (nextLF < pos) nextLF = indexOrEnd(chunk, '\n', pos);
      if (nextCR < pos) nextCR = indexOrEnd(chunk, '\r', pos);
      const lineBreak = Math.min(nextLF, nextCR);
      if (lineBreak < len && (quote < 0 || lineBreak < quote)) return true;
      if (quote < 0) return false;
      this.pendingInQuotes = true;
      pos = quote + 1;
    }
    return false;
  }

  /**
   * Parse whole records from `text`; returns how many characters were consumed. An incomplete
   * trailing record is left for a later chunk (see `pending`) unless `final`, when the end of the
   * text ends it.
   */
  private parse(text: string, final: boolean, sink: CsvRecordSink): number {
    const len = text.length;
    let pos = 0;
    // Next quote and CR at or after `pos` (len when none): most lines of a clinical export have
    // neither, and such a line is split natively instead of character by character.
    let nextQuote = -1;
    let nextCR = -1;
    while (pos < len) {
      if (nextQuote < pos) nextQuote = indexOrEnd(text, '"', pos);
      if (nextCR < pos) nextCR = indexOrEnd(text, '\r', pos);
      const newline = text.indexOf('\n', pos);
      // Fast path: a complete line with no quote, and no CR except one just before its LF.
      if (newline >= 0 && nextQuote > newline && (nextCR > newline || nextCR === newline - 1)) {
        const lineEnd = nextCR === newline - 1 ? newline - 1 : newline;
        const startLine = this.line++;
        const lineStart = pos;
        pos = newline + 1;
        this.deliverLine(text, lineStart, lineEnd, startLine, sink);
        continue;
      }
      if (newline < 0 && final && nextQuote >= len && nextCR >= len) {
        // The last line, without a final line break.
        const startLine = this.line++;
        const lineStart = pos;
        pos = len;
        this.deliverLine(text, lineStart, len, startLine, sink);
        continue;
      }
      const recordStart = pos;
      const startLine = this.line;
      let linesInside = 0;
      const fields: string[] = [];
      let i = pos;
      let complete = false;
      let onlyEmptyUnquoted = true;
      for (;;) {
        // At the start of a field.
        let field: string;
        if (i < len && text.charCodeAt(i) === QUOTE) {
          onlyEmptyUnquoted = false;
          let j = i + 1;
          let value = '';
          let closed = -1;
          for (;;) {
            const k = text.indexOf('"', j);
            if (k < 0) break;
            if (k + 1 < len && text.charCodeAt(k + 1) === QUOTE) {
              value += text.slice(j, k + 1);
              j = k + 2;
              continue;
            }
            if (k + 1 >= len && !final) break; // could be the first half of an escaped quote
            value += text.slice(j, k);
            closed = k;
            break;
          }
          if (closed < 0) {
            if (!final) return recordStart;
            throw this.error('a quoted field is never closed (unterminated ")', fields.length, startLine);
          }
          linesInside += countLineBreaks(text, i + 1, closed);
          field = value;
          i = closed + 1;
          if (i < len) {
            const c = text.charCodeAt(i);
            if (c !== this.delimiterCode && c !== LF && c !== CR) {
              throw this.error(`unexpected text after a closing quote: ${JSON.stringify(text.slice(i, i + 10))}`, fields.length, startLine);
            }
          }
        } else {
          let j = i;
          while (j < len) {
            const c = text.charCodeAt(j);
            if (c === this.delimiterCode || c === LF || c === CR) break;
            if (c === QUOTE) {
              throw this.error('a quote (") inside an unquoted field; quote the whole field and double inner quotes', fields.length, startLine);
            }
            j++;
          }
          field = text.slice(i, j);
          if (field.length) onlyEmptyUnquoted = false;
          i = j;
        }
        fields.push(field);
        if (i >= len) {
          if (!final) return recordStart;
          complete = true;
          pos = len;
          break;
        }
        const c = text.charCodeAt(i);
        if (c === this.delimiterCode) {
          onlyEmptyUnquoted = false;
          i++;
          continue;
        }
        if (c === LF) {
          pos = i + 1;
        } else {
          // CR: a CRLF pair or a lone CR; wait for the next chunk if the pair may be split.
          if (i + 1 >= len && !final) return recordStart;
          pos = i + 1 < len && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        }
        linesInside += 1;
        complete = true;
        break;
      }
      if (!complete) return recordStart;
      this.line = startLine + linesInside;
      if (onlyEmptyUnquoted && fields.length === 1) {
        this.blankLines++;
        continue;
      }
      if (this.records === 0) this.header = fields;
      sink(fields, this.records++, startLine);
    }
    return len;
  }

  /** A line known to hold no quote or CR: split natively. */
  private deliverLine(text: string, start: number, end: number, line: number, sink: CsvRecordSink): void {
    if (start === end) {
      this.blankLines++;
      return;
    }
    const fields = text.slice(start, end).split(this.delimiter);
    if (this.records === 0) this.header = fields;
    sink(fields, this.records++, line);
  }

  private error(detail: string, fieldIndex: number, line: number): DataError {
    const isHeader = this.records === 0;
    const name = this.header?.[fieldIndex];
    const column = isHeader ? undefined : name !== undefined ? name : `field ${fieldIndex + 1}`;
    return new DataError(isHeader ? `header: ${detail}` : detail, {
      file: this.source,
      row: isHeader ? undefined : this.records,
      column,
      line,
    });
  }
}

function indexOrEnd(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i < 0 ? text.length : i;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && !(i + 1 < to && text.charCodeAt(i + 1) === LF)) n++;
  }
  return n;
}

/** Tokenize a whole string held in memory (returned: the tokenizer, e.g. for its `blankLines`). */
export function tokenizeCsv(text: string, source: string, sink: CsvRecordSink, options: { delimiter?: string } = {}): CsvTokenizer {
  const tokenizer = new CsvTokenizer(source, options);
  tokenizer.push(text, sink);
  tokenizer.end(sink);
  return tokenizer;
}

/** Quote a field for writing when it contains a separator, quote, line break or edge whitespace. */
export function quoteCsvField(value: string): string {
  if (/[",\r\n]/.test(value) || value !== value.trim()) return `"${value.replace(/"/g, '""')}"`;
  return value;
}
