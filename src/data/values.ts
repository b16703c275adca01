/**
 * How a CSV cell becomes a value. Shared by ingestion (ingest.ts) and card inference (inferCard.ts)
 * so that "what counts as a number" and "what counts as missing" are decided in one place.
 */
import type { FeatureSpec } from './card.js';

/**
 * Cell texts read as a missing value (after trimming). The empty cell is the canonical form (it is
 * what `formatTableCsv` writes); the others are the spellings R, pandas and UCI exports use.
 */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?'];

/**
 * Plain decimal notation with optional exponent. Stricter than `Number()`, which would also accept
 * hexadecimal, binary and octal literals, `Infinity`, and the empty string as 0.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a trimmed cell spells, or NaN if it is not plain decimal notation or overflows. */
export function parseStrictNumber(text: string): number {
  // Hot path (every numeric cell): `Number` accepts plain decimals plus a few forms we exclude.
  // Those forms are "" (→ 0), "Infinity" (not finite), and unsigned 0x/0b/0o literals, which all
  // have a letter second; anything else it accepts, it accepts only in decimal notation.
  const v = Number(text);
  const n = text.length;
  if (!Number.isFinite(v) || n === 0) return NaN;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  // `Number` also ignores surrounding whitespace; edge characters outside printable ASCII go to
  // the reference check.
  if (first <= 32 || first >= 127 || last <= 32 || last >= 127) return DECIMAL.test(text) ? v : NaN;
  if (n > 2) {
    const second = text.charCodeAt(1) | 0x20; // lower-case ASCII letters
    if (second === 0x78 /* x */ || second === 0x62 /* b */ || second === 0x6f /* o */) return NaN;
  }
  return v;
}

/**
 * Why a cell that is not plain decimal notation still looks like a number, or undefined when it
 * does not: these are the forms exports produce that a reader must not guess at (a comma may be a
 * thousands separator or a decimal comma; "Infinity" and 1e309 are not finite values), so card
 * drafting and ingestion name them instead of silently reading the column as text.
 */
export function numberLookalike(text: string): string | undefined {
  if (/^[+-]?(?:inf|infinity)$/i.test(text)) return 'an infinite value is not a usable number';
  if (DECIMAL.test(text) && !Number.isFinite(Number(text))) return 'too large for a double-precision number (above 1.8e308)';
  if (/^[+-]?\d{1,3}(?:[,_' ]\d{3})+(?:\.\d*)?$/.test(text) || /^[+-]?\d{1,3}(?:\.\d{3})+,\d*$/.test(text) || /^[+-]?\d+,\d+$/.test(text)) {
    return 'a thousands separator or a decimal comma? only plain decimal notation is read, e.g. 1234.5';
  }
  if (/^[+-]?0(?:x[0-9a-f]+|b[01]+|o[0-7]+)$/i.test(text)) return 'a hexadecimal, binary or octal literal, not decimal notation';
  if (/^[+-]?nan$/i.test(text) || /^[+-]?\d\.#(?:inf|qnan|snan|ind)\d*$/i.test(text)) return 'a NaN or infinity spelling that is not one of the missing-value tokens';
  if (/^#(?:N\/A|DIV\/0!|VALUE!|NUM!|REF!|NAME\?|NULL!)$/i.test(text)) return 'a spreadsheet error value; leave a missing cell empty';
  return undefined;
}

/** The reference definition of what `parseStrictNumber` accepts (used by its tests). */
export function isDecimalNotation(text: string): boolean {
  return DECIMAL.test(text);
}

/**
 * Resolves a cell to the 0-based level index of a categorical or binary feature. A cell matches a
 * category by its string form ("1" matches 1 and "1"); a numeric category also matches any cell
 * that spells the same number ("1.0" matches 1), because exports often write codes as floats.
 * A binary feature without `categories` has the levels 0 and 1.
 */
export class LevelLookup {
  private readonly byText = new Map<string, number>();
  private readonly byNumber = new Map<number, number>();
  readonly labels: readonly (string | number)[];

  constructor(spec: Pick<FeatureSpec, 'type' | 'categories'>) {
    this.labels = spec.categories ?? (spec.type === 'binary' ? [0, 1] : []);
    this.labels.forEach((category, index) => {
      this.byText.set(String(category), index);
      if (typeof category === 'number') this.byNumber.set(category, index);
      else {
        const v = parseStrictNumber(category.trim());
        if (!Number.isNaN(v) && !this.byNumber.has(v)) this.byNumber.set(v, index);
      }
    });
  }

  /** Level index of a trimmed cell, or -1 when it is not a level of this feature. */
  indexOf(text: string): number {
    const direct = this.byText.get(text);
    if (direct !== undefined) return direct;
    if (this.byNumber.size === 0) return -1;
    const v = parseStrictNumber(text);
    if (Number.isNaN(v)) return -1;
    return this.byNumber.get(v) ?? -1;
  }
}

/**
 * A canonical key for an outcome label, so that "1" and "1.0" are the same class while "yes" and
 * "Yes" stay different (labels are compared as numbers when they are numbers, else as text).
 */
export function labelKey(text: string): string {
  const v = parseStrictNumber(text);
  return Number.isNaN(v) ? `s:${text}` : `n:${v}`;
}

/** Shorten a cell for an error message. */
export function quoteCell(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 37) + '...' : text);
}

/** How a delimited text file is written: the field separator and the decimal mark of its numbers. */
export interface TextFormat {
  /** One character: ',' (default), '\t' (TSV) or ';' (spreadsheets in decimal-comma locales). */
  delimiter?: string;
  /** '.' (default) or ',' (then "3,5" reads as 3.5). */
  decimal?: '.' | ',';
}

/** `parseStrictNumber` for a file whose decimal mark is `decimal` (one comma becomes the point). */
export function parseNumberIn(text: string, decimal: '.' | ',' | undefined): number {
  if (decimal !== ',') return parseStrictNumber(text);
  return text.includes('.') ? NaN : parseStrictNumber(text.replace(',', '.'));
}

/**
 * A hint for a header that came out as one column: the file is probably separated by another
 * character than the one it was read with (e.g. a semicolon export read as CSV).
 */
export function delimiterHint(header: readonly string[], delimiter = ','): string {
  if (header.length !== 1) return '';
  for (const [c, name, option] of [[';', 'semicolon', '";"'], ['\t', 'tab', 'tab'], [',', 'comma', '","'], ['|', 'pipe', '"|"']] as const) {
    if (c !== delimiter && header[0].includes(c)) return `; the header is a single column containing ${name}s — the file looks ${name}-separated: pass --delimiter ${option}`;
  }
  return '';
}
