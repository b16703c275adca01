/**
 * The datasets shipped in `datasets/` (CSV + card + fixed test split), and the same loader for a
 * user's CSV with its card. Only the file reading lives here; the tables are assembled from the
 * file contents by the isomorphic `data/dataset.ts`, which the browser app uses too. The folder is
 * located relative to this module, which sits one level below the package root both as
 * `src/node/bundled.ts` (vitest) and as `dist/node/bundled.js`.
 */
import { readdirSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DatasetCard } from '../data/card.js';
import { DataError } from '../data/errors.js';
import { assembleDataset, parseSplit, type AssembledDataset } from '../data/dataset.js';
import { TableBuilder, type InvalidRecordPolicy } from '../data/ingest.js';
import type { TextFormat } from '../data/values.js';
import { subsetTable } from '../data/table.js';
import { asDataError, countLines, isParquetFile, readCardFile, streamRecordsFile } from './files.js';

export const DATASETS_DIR = fileURLToPath(new URL('../../datasets/', import.meta.url));

/** A dataset assembled by `data/dataset.ts`, with the raw CSV bytes the CLI read. */
export interface LoadedDataset extends AssembledDataset {
  /** Raw CSV bytes (empty when a streamed file was loaded with `keepBytes: false`). */
  bytes: Uint8Array;
}

export interface LoadOptions {
  clampToBounds?: boolean;
  /** What an invalid record does (`IngestOptions.onInvalid`). */
  onInvalid?: InvalidRecordPolicy;
  /** Keep the raw bytes in the result (default true); the hash is computed either way. */
  keepBytes?: boolean;
  /** Name for the CSV in error messages (default: the path as given). */
  source?: string;
  /** Field separator and decimal mark (default: comma, point). */
  format?: TextFormat;
  /** Feature storage precision (see `IngestOptions.featureStorage`). */
  featureStorage?: 'float64' | 'float32';
  /** A row-weight column to read when the header has it (`IngestOptions.weightColumn`; a release's `weightColumnName`). */
  weightColumn?: string;
}

/** Names of the bundled datasets (a CSV with a card of the same name), sorted. */
export function listBundledDatasets(): string[] {
  return readdirSync(DATASETS_DIR)
    .filter((f) => f.endsWith('.csv') && existsSync(join(DATASETS_DIR, f.replace(/\.csv$/, '.json'))))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function isBundledDataset(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) && listBundledDatasets().includes(name);
}

/** Card of a bundled dataset, without reading its data. */
export async function loadBundledCard(name: string): Promise<DatasetCard> {
  assertBundled(name);
  return readCardFile(join(DATASETS_DIR, `${name}.json`), `datasets/${name}.json`);
}

/** Load a bundled dataset with its fixed split (train = every row not listed as test, in order). */
export async function loadBundledDataset(name: string, options: Omit<LoadOptions, 'source' | 'keepBytes'> = {}): Promise<LoadedDataset> {
  assertBundled(name);
  const bytes = new Uint8Array(await readFile(join(DATASETS_DIR, `${name}.csv`)));
  const dataset = await assembleDataset({
    card: await loadBundledCard(name),
    csv: bytes,
    split: await readFile(join(DATASETS_DIR, `${name}.split.json`), 'utf8'),
    sources: { csv: `datasets/${name}.csv`, card: `datasets/${name}.json`, split: `datasets/${name}.split.json` },
    clampToBounds: options.clampToBounds,
    onInvalid: options.onInvalid,
  });
  return { ...dataset, bytes };
}

/**
 * Load a user's CSV with its card (a card file, or a card already loaded — e.g. a bundled dataset's,
 * to read a synthetic table of that schema), streaming the file (no split: `train` is the whole table,
 * `test` is empty).
 */
export async function loadCsvDataset(csvPath: string, cardOrPath: string | DatasetCard, options: LoadOptions = {}): Promise<LoadedDataset> {
  const card = typeof cardOrPath === 'string' ? await readCardFile(cardOrPath) : cardOrPath;
  const source = options.source ?? csvPath;
  // Header plus data rows ≤ lines: one allocation at the final size instead of doublings. Parquet
  // cells are numbers written with a decimal point, whatever --decimal says about text files.
  const parquet = await isParquetFile(csvPath, source);
  const rowsHint = parquet ? undefined : Math.max(0, (await countLines(csvPath, source)) - 1);
  const format = parquet ? {} : options.format;
  const builder = new TableBuilder(card, { source, clampToBounds: options.clampToBounds, onInvalid: options.onInvalid, rowsHint, featureStorage: options.featureStorage, format, weightColumn: options.weightColumn });
  const streamed = await streamRecordsFile(csvPath, (fields, _index, line) => builder.addRecord(fields, line), {
    source,
    delimiter: options.format?.delimiter,
    keepBytes: options.keepBytes ?? true,
  });
  builder.blankLines = streamed.blankLines;
  const { table, report } = builder.finish();
  const testIndices = new Int32Array(0);
  return { card, table, testIndices, train: table, test: subsetTable(table, testIndices), bytes: streamed.bytes, sha256: streamed.sha256, report };
}

/** A split file `{"test": [0-based row indices]}` (data/split.ts), validated against the table it splits. */
export async function readSplitFile(path: string, source: string, nRows: number, input: { sha256?: string; file?: string } = {}): Promise<Int32Array> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw asDataError(error, source);
  }
  return parseSplit(text, source, nRows, input);
}

function assertBundled(name: string): void {
  if (!isBundledDataset(name)) {
    throw new DataError(`"${name}" is not a bundled dataset (bundled: ${listBundledDatasets().join(', ')})`);
  }
}
