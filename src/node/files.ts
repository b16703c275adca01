/**
 * Node file helpers for the CLI: stream a CSV file through the isomorphic tokenizer (or decode a
 * Parquet file into the same records) and read a card file. Outputs are written by outputs.ts (one
 * transaction per run).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { CardError, type DatasetCard } from '../data/card.js';
import { parseCardText } from '../data/dataset.js';
import { CsvTokenizer, type CsvRecordSink } from '../data/csv.js';
import { DataError } from '../data/errors.js';
import { deliverParquetRecords, hasParquetExtension, hasParquetMagic, readParquetRecords } from '../data/parquet.js';

export interface StreamedRecords {
  /** SHA-256 of the raw file bytes, hex (the input fingerprint for receipts). */
  sha256: string;
  /** The raw bytes, when requested (otherwise empty). */
  bytes: Uint8Array;
  blankLines: number;
  records: number;
}

/**
 * Stream `path` through the CSV tokenizer, delivering records to `sink`. The bytes are hashed as
 * they pass; they are kept only if `keepBytes` (a large file is otherwise never held in memory).
 * A Parquet file (see `isParquetFile`) is decoded instead and delivers the same records: header
 * first, then one text cell per column (`data/parquet.ts`); `delimiter` does not apply to it.
 */
export async function streamRecordsFile(path: string, sink: CsvRecordSink, options: { source?: string; keepBytes?: boolean; delimiter?: string } = {}): Promise<StreamedRecords> {
  const source = options.source ?? path;
  if (await isParquetFile(path, source)) return readParquetFile(path, sink, source, options.keepBytes ?? false);
  const tokenizer = new CsvTokenizer(source, { delimiter: options.delimiter });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let total = 0;
  try {
    // 64 KiB chunks: a chunk's text (and the record tail carried into the next one) then stays in
    // V8's young generation and dies there. With 1 MiB chunks each decoded chunk was a large object
    // in the old generation, kept until a full collection: on a 10⁶-row file the heap grew by
    // tens of MB of dead chunk text during ingestion, the run's peak.
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      if (options.keepBytes) kept.push(buffer);
      total += buffer.length;
      tokenizer.push(decoder.decode(buffer, { stream: true }), sink);
    }
    tokenizer.push(decoder.decode(), sink);
    tokenizer.end(sink);
  } catch (error) {
    throw asDataError(error, source);
  }
  const bytes = options.keepBytes ? concatBuffers(kept, total) : new Uint8Array(0);
  return { sha256: hash.digest('hex'), bytes, blankLines: tokenizer.blankLines, records: tokenizer.recordCount };
}

/** Parquet by name (`.parquet`, `.parq`) or by its first bytes ("PAR1"), whatever the name. */
export async function isParquetFile(path: string, source = path): Promise<boolean> {
  if (hasParquetExtension(path)) return true;
  let file;
  try {
    file = await open(path, 'r');
    const head = new Uint8Array(4);
    const { bytesRead } = await file.read(head, 0, 4, 0);
    return bytesRead === 4 && hasParquetMagic(head);
  } catch (error) {
    throw asDataError(error, source);
  } finally {
    await file?.close();
  }
}

/** A Parquet file is columnar, so it is read whole, then delivered record by record. */
async function readParquetFile(path: string, sink: CsvRecordSink, source: string, keepBytes: boolean): Promise<StreamedRecords> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw asDataError(error, source);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const records = await readParquetRecords(bytes, source);
  deliverParquetRecords(records, sink);
  return { sha256, bytes: keepBytes ? bytes : new Uint8Array(0), blankLines: 0, records: records.rows + 1 };
}

function concatBuffers(chunks: Buffer[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * Line feeds in `path`, plus one if the last line has none: an upper bound on the records of a CSV
 * file (quoted line breaks and blank lines only make records fewer). A fast first pass that lets
 * ingestion allocate its columns once at their final size.
 */
export async function countLines(path: string, source = path): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buffer = chunk as Buffer;
      for (let at = buffer.indexOf(0x0a); at >= 0; at = buffer.indexOf(0x0a, at + 1)) lines++;
      if (buffer.length) last = buffer[buffer.length - 1];
    }
  } catch (error) {
    throw asDataError(error, source);
  }
  return last === 0x0a ? lines : lines + 1;
}

/** File-system and decoding failures become a one-line DataError naming the file. */
export function asDataError(error: unknown, file: string): unknown {
  if (error instanceof DataError || error instanceof CardError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new DataError('file not found', { file });
  if (code === 'EISDIR') return new DataError('is a directory, not a file', { file });
  if (code === 'EACCES') return new DataError('permission denied', { file });
  if (error instanceof TypeError && /encoded data|decode/i.test(error.message)) {
    return new DataError('the file is not valid UTF-8 text', { file });
  }
  return error;
}

/** Read and validate a dataset card (JSON) from a file. */
export async function readCardFile(path: string, source = path): Promise<DatasetCard> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const e = asDataError(error, source);
    if (e instanceof DataError) throw new CardError(e.message);
    throw e;
  }
  return parseCardText(text, source);
}
