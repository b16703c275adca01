/**
 * The one error type for bad input data. It carries the location (file, 1-based data row, column)
 * so that the CLI can print a single actionable line and tests can assert where the problem is.
 */
export interface DataErrorLocation {
  /** File (or other source) name as the user gave it. */
  file?: string;
  /** 1-based data row: the first record after the header is row 1. */
  row?: number;
  column?: string;
  /** 1-based physical line where the record starts, when it differs from `row + 1`. */
  line?: number;
}

export class DataError extends Error {
  override name = 'DataError';
  readonly file?: string;
  readonly row?: number;
  readonly column?: string;
  readonly line?: number;

  /** `detail` is the problem itself; the location prefix is added here so every message reads alike. */
  constructor(detail: string, location: DataErrorLocation = {}) {
    super(formatLocation(location) + detail);
    this.file = location.file;
    this.row = location.row;
    this.column = location.column;
    this.line = location.line;
  }
}

/** `pima.csv: row 12, column "glucose": ` — the parts that are known, in that order. */
function formatLocation({ file, row, column, line }: DataErrorLocation): string {
  const parts: string[] = [];
  if (row !== undefined) parts.push(line !== undefined && line !== row + 1 ? `row ${row} (line ${line})` : `row ${row}`);
  if (column !== undefined) parts.push(`column "${column}"`);
  const where = parts.join(', ');
  if (file !== undefined && where) return `${file}: ${where}: `;
  if (file !== undefined) return `${file}: `;
  return where ? `${where}: ` : '';
}
