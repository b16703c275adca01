/**
 * Parallel direction evaluation in the browser: a pool of Web Workers, started by the job's own
 * worker, behind the same async `DirectionEvaluator` interface as Node's worker-thread pool
 * (`src/node/parallel`), with the same shared memory (`src/condense/parallel/sharedStep.ts`) and
 * the same rule for when it is used (`AdaptiveDirectionEvaluator`). Each worker gets the run's
 * setup (the synthetic set's encoder state, the learner recipes, the loss) once, when it starts;
 * per step the parameters, directions, seeds and the encoded real batch are written once into
 * SharedArrayBuffers, and a task message carries only their handles and the number of directions.
 *
 * SharedArrayBuffer exists only on a cross-origin isolated page (served with COOP `same-origin`
 * and COEP `require-corp`); elsewhere (e.g. from file://) the job runs the inline evaluator.
 */
import { poolEvaluators, type PooledDirectionEvaluator } from '../../../src/condense/parallel/adaptive.js';
import { workerSetupOf, type WorkerSetup } from '../../../src/condense/parallel/poolWorker.js';
import { SharedStepWriter, type DirectionTask } from '../../../src/condense/parallel/sharedStep.js';
import type { DirectionEvaluation, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup, InlineDirectionEvaluator } from '../../../src/condense/zerothOrder.js';
import type { FitsPlacement } from '../../../src/job/protocol.js';
import DirectionWorker from './directionWorker.ts?worker&inline';

/** Messages to a pool worker: the setup once, then one task per step. */
export type PoolCommand = { type: 'setup'; setup: WorkerSetup } | { type: 'task'; task: DirectionTask };
/** A pool worker's answer to a task. */
export type PoolReply = { type: 'done' } | { type: 'error'; message: string };

export class WebWorkerDirectionEvaluator implements PooledDirectionEvaluator {
  private readonly workers: Worker[];
  private readonly step: SharedStepWriter;

  /** `size` threads: the job's worker (this one, through `callingThread`) and `size` − 1 Web Workers, as on Node. */
  constructor(setup: EvaluatorSetup, size: number, private readonly callingThread: InlineDirectionEvaluator) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`workers must be a positive integer (got ${size})`);
    const command: PoolCommand = { type: 'setup', setup: workerSetupOf(setup) };
    this.workers = Array.from({ length: size - 1 }, () => {
      const worker = new DirectionWorker();
      worker.postMessage(command);
      return worker;
    });
    this.step = new SharedStepWriter(setup);
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const tasks = this.step.publish(request, this.workers.length);
    // The tasks are posted before this thread claims its share, so the Web Workers start at once.
    const running = tasks.map((task, t) => run(this.workers[t], task));
    this.step.evaluateHere(this.callingThread, request);
    await Promise.all(running);
    return this.step.collect();
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.terminate();
  }
}

function run(worker: Worker, task: DirectionTask): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<PoolReply>) => (message.data.type === 'done' ? resolve() : reject(new Error(message.data.message)));
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(event.message || 'a direction worker failed'));
    };
    const command: PoolCommand = { type: 'task', task };
    worker.postMessage(command);
  });
}

/**
 * The evaluator factory for one job: `auto` pools when a timed step shows it pays (up to
 * `defaultPoolSize()` workers), a number forces that many (1 = inline). `placed` hears where the
 * fits run, once at the start and again when the automatic choice is made.
 */
export function webWorkerEvaluators(
  setting: 'auto' | number,
  size: number,
  isolated: boolean,
  placed: (placement: FitsPlacement, workers: number) => void,
): { factory?: DirectionEvaluatorFactory; close: () => Promise<void> } {
  const workers = setting === 'auto' ? size : setting;
  if (!isolated || workers <= 1) {
    placed(isolated ? 'inline-chosen' : 'not-isolated', 1);
    return { close: async () => {} };
  }
  placed(setting === 'auto' ? 'timing' : 'pool', workers);
  return poolEvaluators((setup, inline) => new WebWorkerDirectionEvaluator(setup, workers, inline), workers, setting === 'auto' ? 'auto' : 'always', (choice) =>
    placed(choice === 'parallel' ? 'pool' : 'inline-cheaper', choice === 'parallel' ? workers : 1),
  );
}
