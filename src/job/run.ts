/**
 * One condensation job as messages, for front ends that run it off their main thread (the browser
 * app's Web Worker), speaking the typed protocol of `protocol.ts` (start, progress, done, error,
 * abort). The job: assemble the dataset from its texts, hold out real rows when it has no test split, `condense()`
 * the training rows, score the release on the held-out rows beside the full training data and a
 * random real subset, and render the HTML report. Everything crossing the boundary is plain data
 * (`PortableCondenseResult`), and the job calls the same core functions as the CLI (`condense
 * --holdout`, `evaluate`, `report`), so the same seed gives the same numbers in both.
 */
import { assembleDataset, type AssembledDataset } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { formatTableCsv } from '../data/format.js';
import { condense, CondenseAbortedError, type CondenseHooks } from '../condense/condense.js';
import { compareOnHeldOut, type HeldOutComparison } from '../condense/evaluation.js';
import { describeJobError, type CondenseJobRequest, type JobEvent } from './protocol.js';
import { toPortableResult } from '../condense/portable.js';
import { keyedFingerprint, type InputFingerprint } from '../privacy/index.js';
import { CryptoRng } from '../privacy/random.js';
import { SeededRng } from '../core/rng.js';
import { drawHoldout } from '../data/split.js';
import { requireTrainingRows, splitTable, type Table } from '../data/table.js';
import { renderReport } from '../report/render.js';

export * from './protocol.js';

/**
 * Run a job, reporting through `emit`. Never throws: failures become an `error` event and an abort
 * an `aborted` event, so a worker can forward every outcome as one message. `hooks` are the host's
 * (e.g. a pool of workers as the direction evaluator).
 */
export async function runCondenseJob(id: number, request: CondenseJobRequest, emit: (event: JobEvent) => void, signal: AbortSignal, hooks: CondenseHooks = {}): Promise<void> {
  try {
    const dataset = await assembleDataset(request.dataset);
    const { train, test } = heldOutRows(dataset, request);
    requireTrainingRows(train, request.dataset.sources.split ?? request.dataset.sources.csv);
    emit({ type: 'loaded', id, trainRows: train.nRows, testRows: test.nRows });
    const result = await condense({
      ...request.options,
      train,
      inputFingerprint: await receiptFingerprint(request.fingerprint, dataset.sha256),
      signal,
      onProgress: (progress) => emit({ type: 'progress', id, progress }),
    }, hooks);
    const plan = request.evaluation;
    let evaluation: HeldOutComparison | undefined;
    if (plan && test.nRows > 0) {
      for (const [k, learner] of plan.learners.entries()) {
        await checkpoint(signal);
        emit({ type: 'evaluating', id, learner, done: k, total: plan.learners.length });
        // One learner per call (so that an abort lands between the fits) gives the same numbers as
        // one call for all: each learner's fits and the bootstrap resamples have their own seeds.
        const one = compareOnHeldOut({ synthetic: result.synthetic, train, test, learners: [learner], seed: plan.seed });
        evaluation = evaluation ? { ...evaluation, rows: [...evaluation.rows, ...one.rows] } : one;
      }
    }
    let reportHtml: string | undefined;
    if (request.report) {
      await checkpoint(signal);
      emit({ type: 'reporting', id });
      reportHtml = await renderReport({ card: dataset.card, receipt: result.receipt, synthetic: result.synthetic, released: result.released, trace: result.trace, evaluation });
    }
    emit({
      type: 'done',
      id,
      result: {
        condensed: toPortableResult(result),
        syntheticCsv: formatTableCsv(result.synthetic),
        receiptJson: JSON.stringify(result.receipt, null, 2) + '\n',
        trainRows: train.nRows,
        testRows: test.nRows,
        evaluation,
        reportHtml,
      },
    });
  } catch (error) {
    if (error instanceof CondenseAbortedError || signal.aborted) emit({ type: 'aborted', id });
    else emit({ type: 'error', id, error: describeJobError(error) });
  }
}

/** The dataset's own split; else, when asked for, a fresh holdout (`drawHoldout`); else no test rows. */
function heldOutRows(dataset: AssembledDataset, request: CondenseJobRequest): { train: Table; test: Table } {
  const holdout = request.holdout;
  if (dataset.testIndices.length || request.dataset.split !== undefined || !holdout) return { train: dataset.train, test: dataset.test };
  const rng = holdout.seed === undefined ? new CryptoRng() : new SeededRng(holdout.seed);
  return splitTable(dataset.table, drawHoldout(dataset.table, holdout.fraction, rng, request.dataset.sources.csv));
}

/** Yield to the event loop, so that an abort message can be delivered, then stop if it came. */
async function checkpoint(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (signal.aborted) throw new CondenseAbortedError('condensation aborted');
}

async function receiptFingerprint(choice: CondenseJobRequest['fingerprint'], sha256: string): Promise<InputFingerprint> {
  if (!choice) return { algorithm: 'none', hex: '' };
  return 'key' in choice ? keyedFingerprint(choice.key, sha256) : { algorithm: 'SHA-256', hex: sha256 };
}

