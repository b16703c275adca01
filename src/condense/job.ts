/**
 * One condensation job as messages, for front ends that run it off their main thread (the browser
 * app's Web Worker): the typed protocol (start, progress, done, error, abort) and the job itself —
 * assemble the dataset from its texts, `condense()`, and score the release on the held-out rows
 * beside the full training data and a random real subset. Everything crossing the boundary is plain
 * data (`PortableCondenseResult`), and the job calls the same core functions as the CLI, so the
 * same seed gives the same numbers in both.
 */
import { CardError } from '../data/card.js';
import { assembleDataset, type DatasetTexts } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { requireTrainingRows } from '../data/table.js';
import { formatTableCsv } from '../data/format.js';
import { condense, CondenseAbortedError, type CondenseOptions, type CondenseProgress } from './condense.js';
import { OptionError } from './settings.js';
import { compareOnHeldOut, type HeldOutRow } from './evaluation.js';
import { toPortableResult, type PortableCondenseResult } from './portable.js';
import { keyedFingerprint, type InputFingerprint } from '../privacy/index.js';

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
  /** Held-out evaluation (needs a split): learners to train, and the seed of their randomness. */
  evaluation?: { learners: string[]; seed: number };
}

/** Messages to the worker. */
export type JobCommand = { type: 'start'; id: number; request: CondenseJobRequest } | { type: 'abort'; id: number };

/** Messages from the worker; `id` is the start message's. */
export type JobEvent =
  | { type: 'loaded'; id: number; trainRows: number; testRows: number }
  | { type: 'progress'; id: number; progress: CondenseProgress }
  | { type: 'evaluating'; id: number; learner: string; done: number; total: number }
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

/**
 * Held-out scores of one learner trained three ways, computed as the CLI's `evaluate` computes them
 * (`compareOnHeldOut` with the plan's seed). For the custodian's eyes only — they read real rows.
 */
export interface HeldOutScore {
  learner: string;
  metric: 'auroc' | 'harrell_c';
  synthetic: number;
  full: number;
  subset: number;
  /** Bootstrap intervals over test patients, as `evaluate` prints them (condense/evaluation.ts). */
  intervals: Pick<HeldOutRow, 'synthetic' | 'full' | 'subset' | 'gap'>;
}

export interface CondenseJobResult {
  condensed: PortableCondenseResult;
  /** The release files, exactly as the CLI writes them. */
  syntheticCsv: string;
  receiptJson: string;
  trainRows: number;
  testRows: number;
  evaluation: HeldOutScore[];
}

/**
 * Run a job, reporting through `emit`. Never throws: failures become an `error` event and an abort
 * an `aborted` event, so a worker can forward every outcome as one message.
 */
export async function runCondenseJob(id: number, request: CondenseJobRequest, emit: (event: JobEvent) => void, signal: AbortSignal): Promise<void> {
  try {
    const dataset = await assembleDataset(request.dataset);
    requireTrainingRows(dataset.train, request.dataset.sources.split ?? request.dataset.sources.csv);
    emit({ type: 'loaded', id, trainRows: dataset.train.nRows, testRows: dataset.test.nRows });
    const result = await condense({
      ...request.options,
      train: dataset.train,
      inputFingerprint: await receiptFingerprint(request.fingerprint, dataset.sha256),
      signal,
      onProgress: (progress) => emit({ type: 'progress', id, progress }),
    });
    const evaluation: HeldOutScore[] = [];
    const plan = request.evaluation;
    if (plan && dataset.test.nRows > 0) {
      for (const [k, learner] of plan.learners.entries()) {
        if (signal.aborted) throw new CondenseAbortedError('condensation aborted');
        emit({ type: 'evaluating', id, learner, done: k, total: plan.learners.length });
        // Yield so that an abort message can be delivered between the (possibly long) fits.
        await new Promise((resolve) => setTimeout(resolve, 0));
        // One learner per call gives the same numbers as one call for all (same subsets, same
        // bootstrap resamples), so the app's scores equal `evaluate`'s.
        const [row] = compareOnHeldOut({ synthetic: result.synthetic, train: dataset.train, test: dataset.test, learners: [learner], seed: plan.seed }).rows;
        evaluation.push({
          learner,
          metric: row.metric,
          synthetic: row.synthetic.estimate,
          full: row.full.estimate,
          subset: row.subset.estimate,
          intervals: { synthetic: row.synthetic, full: row.full, subset: row.subset, gap: row.gap },
        });
      }
    }
    emit({
      type: 'done',
      id,
      result: {
        condensed: toPortableResult(result),
        syntheticCsv: formatTableCsv(result.synthetic),
        receiptJson: JSON.stringify(result.receipt, null, 2) + '\n',
        trainRows: dataset.train.nRows,
        testRows: dataset.test.nRows,
        evaluation,
      },
    });
  } catch (error) {
    if (error instanceof CondenseAbortedError || signal.aborted) emit({ type: 'aborted', id });
    else emit({ type: 'error', id, error: describeJobError(error) });
  }
}

async function receiptFingerprint(choice: CondenseJobRequest['fingerprint'], sha256: string): Promise<InputFingerprint> {
  if (!choice) return { algorithm: 'none', hex: '' };
  return 'key' in choice ? keyedFingerprint(choice.key, sha256) : { algorithm: 'SHA-256', hex: sha256 };
}

/** An error as plain data, keeping the location of input errors. */
export function describeJobError(error: unknown): JobError {
  if (error instanceof DataError) return { kind: 'data', message: error.message, file: error.file, row: error.row, column: error.column };
  if (error instanceof CardError) return { kind: 'card', message: error.message };
  if (error instanceof OptionError) return { kind: 'settings', message: error.message };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}
