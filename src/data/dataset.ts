/**
 * A dataset assembled from texts: the card, the CSV, and optionally a fixed test split, read into
 * tables with the input's fingerprint. Isomorphic (no file system): the CLI reads the files and
 * passes their contents here, and the browser app passes bundled texts or a file the user dropped,
 * so both front ends build the very same tables from the very same bytes.
 */
import { CardError, parseCard, type DatasetCard } from './card.js';
import { DataError } from './errors.js';
import { TableBuilder, readTableFromTextSync, type IngestOptions, type IngestReport, type InvalidRecordPolicy } from './ingest.js';
import { deliverParquetRecords, hasParquetMagic, readParquetRecords } from './parquet.js';
import { parseSplitDocument } from './split.js';
import { splitTable, subsetTable, type Table } from './table.js';
import { sha256Hex } from '../core/sha256.js';

export interface AssembledDataset {
  card: DatasetCard;
  table: Table;
  /** 0-based indices of the test rows (empty when there is no split). */
  testIndices: Int32Array;
  /** Every row not listed as test, in table order (the whole table when there is no split). */
  train: Table;
  test: Table;
  /** SHA-256 of the CSV bytes, hex: the receipt's input fingerprint as is for public data only (private data: keyed, see `keyedFingerprint`). */
  sha256: string;
  report: IngestReport;
}

export interface DatasetTexts {
  /** The card, parsed or as JSON text. */
  card: DatasetCard | string;
  /**
   * The CSV as bytes (fingerprinted as given) or text (fingerprinted as its UTF-8 encoding); bytes
   * that start with Parquet's magic number are read as Parquet (`data/parquet.ts`).
   */
  csv: Uint8Array | string;
  /** The split file's JSON text, `{"test": [0-based row indices]}`; absent = no split. */
  split?: string;
  /** Names for error messages. */
  sources: { csv: string; card?: string; split?: string };
  clampToBounds?: boolean;
  onInvalid?: InvalidRecordPolicy;
}

/** Read the card, the CSV and the split into tables; any defect is a DataError/CardError naming its source. */
export async function assembleDataset(input: DatasetTexts): Promise<AssembledDataset> {
  const card = typeof input.card === 'string' ? parseCardText(input.card, input.sources.card ?? 'card') : input.card;
  const bytes = typeof input.csv === 'string' ? new TextEncoder().encode(input.csv) : input.csv;
  const options = { source: input.sources.csv, clampToBounds: input.clampToBounds, onInvalid: input.onInvalid };
  const { table, report } = hasParquetMagic(bytes) ? await readParquetTable(bytes, card, options) : readTableFromTextSync(typeof input.csv === 'string' ? input.csv : decodeUtf8(input.csv, input.sources.csv), card, options);
  const testIndices = input.split === undefined ? new Int32Array(0) : parseSplit(input.split, input.sources.split ?? 'split', table.nRows);
  const { train, test } = testIndices.length ? splitTable(table, testIndices) : { train: table, test: subsetTable(table, testIndices) };
  return { card, table, testIndices, train, test, sha256: await sha256Hex(bytes), report };
}

/** A Parquet file's records (`data/parquet.ts`) into a table, by the same rules as a CSV's. */
async function readParquetTable(bytes: Uint8Array, card: DatasetCard, options: IngestOptions): Promise<{ table: Table; report: IngestReport }> {
  const records = await readParquetRecords(bytes, options.source);
  const builder = new TableBuilder(card, options);
  deliverParquetRecords(records, (fields, _i, line) => builder.addRecord(fields, line));
  return builder.finish();
}

/** A card from JSON text (a byte-order mark is fine); JSON syntax errors are card errors too. */
export function parseCardText(text: string, source: string): DatasetCard {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CardError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseCard(json, source);
}

/** UTF-8 bytes to text; invalid UTF-8 is a DataError naming the source. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError('the file is not valid UTF-8 text', { file: source });
  }
}

/**
 * A split file's text `{"test": [0-based row indices]}` (data/split.ts), validated against the
 * table size and, when the file names its input, against that input.
 */
export function parseSplit(text: string, source: string, nRows: number, input: { sha256?: string; file?: string } = {}): Int32Array {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(`not valid JSON (${(error as Error).message})`, { file: source });
  }
  return parseSplitDocument(json, source, { rows: nRows, ...input });
}
