/**
 * The job protocol as types and plain data: what a front end sends to the worker that runs a
 * condensation (`run.ts`), and what comes back. Kept apart from the job itself so that a page's main
 * thread can speak it without bundling the engine and the report renderer, which run in the worker.
 */
import { CardError } from '../data/card.js';
import type { DatasetTexts } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import type { CondenseOptions, CondenseProgress } from '../condense/condense.js';
import type { HeldOutComparison } from '../condense/evaluation.js';
import type { PortableCondenseResult } from '../condense/portable.js';
import { OptionError } from '../core/errors.js';

/** `condense()` options without the table and the callbacks, which the job supplies. */
export type CondenseJobOptions = Omit<CondenseOptions, 'train' | 'onProgress' | 'signal' | 'inputFingerprint'>;

export interface CondenseJobRequest {
  dataset: DatasetTexts;
  options: CondenseJobOptions;
  /**
   * How the receipt identifies the input: `public` (a bundled dataset) records its plain SHA-256; a
   * `key` (the custodian's secret, never part of a release) records HMAC-SHA-256(key, SHA-256);
   * without either nothing is recorded — a plain hash of private data would let anyone test
   * candidate datasets against the receipt.
   */
  fingerprint?: { public: true } | { key: Uint8Array };
  /**
   * For a dataset without a test split: hold out each row with probability `fraction`
   * (`drawHoldout`, as `condense --holdout`), drawn from the secure generator, or from `seed`
   * (testing only, like `--split-seed`). The held-out rows are never condensed; they only score
   * the release. Ignored when the dataset has a split.
   */
  holdout?: { fraction: number; seed?: number };
  /** Held-out evaluation (needs held-out rows): learners to train, and the seed of their randomness. */
  evaluation?: { learners: string[]; seed: number };
  /** Also render the HTML report (`src/report`, as `dpcondense report`); it includes the evaluation. */
  report?: boolean;
  /**
   * For the host that runs the job (the browser app's worker, which owns the pool): evaluate the
   * directions on a pool of workers when a timed step shows it pays (`auto`, the default), or on
   * this many workers (1 = inline in the job's thread). The results do not depend on it.
   */
  parallel?: 'auto' | number;
}

/** Messages to the worker. */
export type JobCommand = { type: 'start'; id: number; request: CondenseJobRequest } | { type: 'abort'; id: number };

/**
 * Where the fits of the steps run: `pool` on `workers` workers, `timing` (inline until a timed step
 * shows whether a pool of `workers` pays), inline because that was faster (`inline-cheaper`) or
 * asked for (`inline-chosen`), or because the page cannot share memory with workers (`not-isolated`).
 */
export type FitsPlacement = 'pool' | 'timing' | 'inline-cheaper' | 'inline-chosen' | 'not-isolated';

/** Messages from the worker; `id` is the start message's. */
export type JobEvent =
  | { type: 'loaded'; id: number; trainRows: number; testRows: number }
  /** Where the fits of the steps run, from the host (`FitsPlacement`). */
  | { type: 'fits'; id: number; placement: FitsPlacement; workers: number }
  | { type: 'progress'; id: number; progress: CondenseProgress }
  | { type: 'evaluating'; id: number; learner: string; done: number; total: number }
  | { type: 'reporting'; id: number }
  | { type: 'done'; id: number; result: CondenseJobResult }
  | { type: 'error'; id: number; error: JobError }
  | { type: 'aborted'; id: number };

export interface JobError {
  /** `DataError` and `CardError` are problems with the input; anything else is a failure of the run. */
  kind: 'data' | 'card' | 'settings' | 'internal';
  message: string;
  file?: string;
  /** 1-based data row and the column, when the input error has them. */
  row?: number;
  column?: string;
}

export interface CondenseJobResult {
  condensed: PortableCondenseResult;
  /** The release files, exactly as the CLI writes them. */
  syntheticCsv: string;
  receiptJson: string;
  trainRows: number;
  testRows: number;
  /**
   * `evaluate`'s comparison on the held-out rows (`compareOnHeldOut` with the plan's seed), absent
   * without held-out rows. For the custodian's eyes only: it reads real rows and is not released.
   */
  evaluation?: HeldOutComparison;
  /** The HTML report when asked for; with an evaluation it is marked custodian-only. */
  reportHtml?: string;
}

/** An error as plain data, keeping the location of input errors. */
export function describeJobError(error: unknown): JobError {
  if (error instanceof DataError) return { kind: 'data', message: error.message, file: error.file, row: error.row, column: error.column };
  if (error instanceof CardError) return { kind: 'card', message: error.message };
  if (error instanceof OptionError) return { kind: 'settings', message: error.message };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}
