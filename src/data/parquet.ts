/**
 * Parquet input: bytes in, the same records a CSV gives out (a header, then one string cell per
 * column and row), so a Parquet file goes through exactly the validation of a CSV — the card's
 * types, bounds and categories, errors naming file, row and column — and a Parquet file and its CSV
 * export load to the same table. Isomorphic (no Node API): the CLI reads the file, the browser app
 * can pass the bytes of an upload.
 *
 * Reader: hyparquet (pure JavaScript, no dependencies; Node and browsers). It decodes plain,
 * dictionary and delta encodings and uncompressed or Snappy pages — the defaults of DuckDB, Arrow
 * (pyarrow, R arrow), pandas and Spark; a file with another codec (gzip, zstd, ...) is an error
 * naming the codec, to be re-exported with Snappy.
 *
 * Accepted column types, each written as the text a CSV export would hold:
 *   BOOLEAN → "true"/"false"; INT32/INT64 (any integer annotation) → the exact integer;
 *   DOUBLE → JavaScript's shortest round-trip decimal; FLOAT → the shortest decimal that rounds to
 *   the stored 32-bit value (as DuckDB and Arrow print it); strings (UTF-8, ENUM) → as stored;
 *   null → an empty cell, i.e. missing.
 * Refused, with an error naming the column: dates, times, timestamps, decimals, INT96, binary,
 * UUID, JSON, FLOAT16, intervals, and nested columns (lists, maps, structs) — convert them to
 * numbers or strings before export; nothing is coerced silently.
 */
import { parquetMetadata, parquetRead, parquetSchema, type ColumnData, type FileMetaData, type SchemaTree } from 'hyparquet';
import type { CsvRecordSink } from './csv.js';
import { DataError } from './errors.js';

/** "PAR1": the first and last four bytes of every Parquet file. */
const MAGIC = [0x50, 0x41, 0x52, 0x31];

/** True when `bytes` start with Parquet's magic number (a cheap check before parsing). */
export function hasParquetMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b);
}

/** A file name that says Parquet. */
export function hasParquetExtension(name: string): boolean {
  return /\.(parquet|parq)$/i.test(name);
}

export interface ParquetRecords {
  header: string[];
  rows: number;
  /** The cells of data row r (0-based) as CSV text; the array is reused between calls. */
  record(r: number): string[];
}

/** How a column's values become cell text, decided once from its schema. */
type CellWriter = (value: unknown) => string;

/**
 * Decode a whole Parquet file. Throws DataError naming `source` (and the column) for a file that is
 * not Parquet, is truncated, uses an unsupported codec, or has a column of a refused type.
 */
export async function readParquetRecords(bytes: Uint8Array, source: string): Promise<ParquetRecords> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const end = bytes.subarray(bytes.length - 4);
  if (!hasParquetMagic(bytes) || !hasParquetMagic(end)) {
    throw new DataError('not a Parquet file (it must start and end with "PAR1"): export it again, or give a CSV', { file: source });
  }
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new DataError(`unreadable Parquet metadata (${(error as Error).message}): the file may be truncated or damaged`, { file: source });
  }
  const columns = parquetSchema(metadata).children;
  const writers = columns.map((column) => cellWriter(column, source));
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const codec = chunk.meta_data?.codec;
      if (codec && codec !== 'UNCOMPRESSED' && codec !== 'SNAPPY') {
        throw new DataError(`Parquet compression ${codec} is not supported (uncompressed and Snappy are): re-export with Snappy, e.g. DuckDB COPY ... (FORMAT parquet, COMPRESSION snappy)`, {
          file: source,
          column: chunk.meta_data?.path_in_schema.join('.'),
        });
      }
    }
  }
  const rows = Number(metadata.num_rows);
  const header = columns.map((c) => c.element.name);
  // Column chunks arrive per row group; each column is stitched into one array in row order.
  const chunks = new Map<string, ColumnData[]>(header.map((name) => [name, []]));
  try {
    await parquetRead({ file: { byteLength: buffer.byteLength, slice: (start, stop) => buffer.slice(start, stop) }, metadata, onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk) });
  } catch (error) {
    throw new DataError(`unreadable Parquet data (${(error as Error).message}): the file may be truncated or damaged`, { file: source });
  }
  const data = header.map((name) => stitch(chunks.get(name)!, rows, name, source));
  const cells = new Array<string>(header.length);
  return {
    header,
    rows,
    record(r: number): string[] {
      for (let j = 0; j < header.length; j++) cells[j] = writers[j](data[j][r]);
      return cells;
    },
  };
}

/**
 * Hand the records to a CSV record sink, numbered as the file's CSV export would be (header = line
 * 1, data row r counted from 1 = line r + 1), so that errors name the same data row whichever format was read.
 */
export function deliverParquetRecords(records: ParquetRecords, sink: CsvRecordSink): void {
  sink(records.header, 0, 1);
  for (let r = 0; r < records.rows; r++) sink(records.record(r), r + 1, r + 2);
}

/** One column's values for rows 0 … rows − 1, from its chunks (which may overlap or come unordered). */
function stitch(chunks: ColumnData[], rows: number, name: string, source: string): ArrayLike<unknown> {
  if (chunks.length === 1 && chunks[0].rowStart === 0 && chunks[0].rowEnd >= rows) return chunks[0].columnData as ArrayLike<unknown>;
  const out = new Array<unknown>(rows);
  let filled = 0;
  for (const chunk of chunks) {
    for (let r = chunk.rowStart; r < Math.min(chunk.rowEnd, rows); r++) {
      out[r] = (chunk.columnData as ArrayLike<unknown>)[r - chunk.rowStart];
      filled++;
    }
  }
  if (filled < rows) throw new DataError(`the Parquet file holds fewer values than its ${rows} rows`, { file: source, column: name });
  return out;
}

const INTEGER_ANNOTATIONS = new Set(['INT_8', 'INT_16', 'INT_32', 'INT_64', 'UINT_8', 'UINT_16', 'UINT_32', 'UINT_64']);

function cellWriter(column: SchemaTree, source: string): CellWriter {
  const { element } = column;
  const refuse = (what: string): never => {
    throw new DataError(`Parquet ${what} columns are not accepted (numbers, strings, booleans and nulls are): convert it to a number or a string before export`, {
      file: source,
      column: element.name,
    });
  };
  if (column.children.length > 0 || element.repetition_type === 'REPEATED') return refuse('nested (list, map or struct)');
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  const annotation = logical ?? converted;
  switch (element.type) {
    case 'BOOLEAN':
      return (v) => (v === null || v === undefined ? '' : v ? 'true' : 'false');
    case 'INT32':
    case 'INT64':
      if (annotation !== undefined && logical !== 'INTEGER' && !INTEGER_ANNOTATIONS.has(annotation)) return refuse(annotation.toLowerCase());
      return (v) => (v === null || v === undefined ? '' : String(v));
    case 'DOUBLE':
      return (v) => (v === null || v === undefined ? '' : String(v));
    case 'FLOAT':
      return (v) => (v === null || v === undefined ? '' : shortestFloat32(v as number));
    case 'BYTE_ARRAY':
      if (annotation === 'STRING' || annotation === 'UTF8' || annotation === 'ENUM') return (v) => (v === null || v === undefined ? '' : (v as string));
      return refuse(annotation ? annotation.toLowerCase() : 'binary (BYTE_ARRAY without a string annotation)');
    default:
      return refuse(annotation ? `${annotation.toLowerCase()} (${element.type})` : String(element.type));
  }
}

/** The shortest decimal text that rounds to the 32-bit float `v`. */
function shortestFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}
