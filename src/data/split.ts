/**
 * Held-out splits of a custodian's own table: which real rows are kept back from the condensation
 * so that `evaluate` can score the release on patients it never saw.
 *
 * Each row goes to the test side independently with probability `fraction` (a Bernoulli split, not
 * a fixed-size one). That choice makes the privacy argument short: given the other patients' coin
 * flips, adding or removing one patient leaves the training rows identical or neighbouring, so a
 * condensation that is (ε, δ)-DP in its training rows is (ε, δ)-DP in the whole file. The split
 * itself — its randomness, seed and indices — is custodian-side: it is written to its own file,
 * never into the synthetic table or the receipt, and a private run draws it from a secure source.
 *
 * A split file records the input it belongs to (SHA-256 of the file's bytes, row count) so that
 * `evaluate` refuses to apply it to another file: the hash stays with the custodian like the split.
 */
import type { Rng } from '../core/rng.js';
import { DataError } from './errors.js';
import type { Table } from './table.js';

export const SPLIT_FORMAT = 'dpcondense-split';

export const SPLIT_NOTE =
  'Custodian-only: the rows held out from condensation for evaluation. Never release this file; it is not covered by the privacy guarantee.';

/** The JSON document of a saved split. Only `test` is required when reading (bundled splits). */
export interface SplitDocument {
  format: typeof SPLIT_FORMAT;
  note: string;
  /** The data file as the user named it. */
  source: string;
  /** SHA-256 (hex) of the data file's bytes. */
  input_sha256: string;
  /** Data rows in the file. */
  rows: number;
  /** Probability with which each row was held out. */
  holdout: number;
  /** Seed of the split when `--split-seed` was given; null when drawn from a secure source. */
  seed: number | null;
  /** 0-based data-row indices of the held-out rows, ascending. */
  test: number[];
}

/**
 * Hold out each row with probability `fraction`, then check that both sides can be used: at least
 * two training rows, and a test side on which the task's metric is defined (both classes; an event).
 */
export function drawHoldout(table: Table, fraction: number, rng: Rng, source: string): Int32Array {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`holdout fraction must be in (0, 1), got ${fraction}`);
  const held: number[] = [];
  for (let i = 0; i < table.nRows; i++) if (rng.uniform() < fraction) held.push(i);
  const test = Int32Array.from(held);
  const trainRows = table.nRows - test.length;
  const hint = 'try another --holdout fraction or pass --test FILE.csv';
  if (trainRows < 2) throw new DataError(`a holdout of ${fraction} left ${trainRows} training row(s); ${hint}`, { file: source });
  const outcome = table.card.task === 'classification' ? table.label! : table.event!;
  let positives = 0;
  for (const i of test) positives += outcome[i];
  if (table.card.task === 'classification' && (positives === 0 || positives === test.length)) {
    throw new DataError(`the held-out rows have a single class, so no AUROC can be computed; ${hint}`, { file: source });
  }
  if (table.card.task === 'survival' && positives === 0) {
    throw new DataError(`the held-out rows have no event, so no concordance can be computed; ${hint}`, { file: source });
  }
  return test;
}

export function splitDocument(test: Int32Array, info: { source: string; sha256: string; rows: number; holdout: number; seed: number | null }): SplitDocument {
  return {
    format: SPLIT_FORMAT,
    note: SPLIT_NOTE,
    source: info.source,
    input_sha256: info.sha256,
    rows: info.rows,
    holdout: info.holdout,
    seed: info.seed,
    test: Array.from(test),
  };
}

/**
 * Validate a split document against the table it is applied to: `{"test": [indices]}` with
 * distinct in-range indices; when the document names its input (`input_sha256`, `rows`), they must
 * match the data given, so a split is never applied to the wrong file.
 */
export function parseSplitDocument(json: unknown, source: string, input: { rows: number; sha256?: string; file?: string }): Int32Array {
  const doc = json as Partial<SplitDocument> | null;
  const test = doc?.test;
  if (!Array.isArray(test)) throw new DataError('expected {"test": [row indices]}', { file: source });
  const nRows = input.rows;
  if (doc!.rows !== undefined && doc!.rows !== nRows) {
    throw new DataError(`the split is for a ${doc!.rows}-row file, ${input.file ?? 'the data'} has ${nRows} rows`, { file: source });
  }
  if (doc!.input_sha256 !== undefined && input.sha256 !== undefined && doc!.input_sha256 !== input.sha256) {
    throw new DataError(`the split was made from a different file than ${input.file ?? 'the data'} (SHA-256 differs)`, { file: source });
  }
  const out = new Int32Array(test.length);
  const seen = new Uint8Array(nRows);
  test.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= nRows) throw new DataError(`test index ${JSON.stringify(i)} is not a row of the ${nRows}-row table`, { file: source });
    if (seen[i]) throw new DataError(`test index ${i} is listed twice`, { file: source });
    seen[i] = 1;
    out[k] = i;
  });
  return out;
}
