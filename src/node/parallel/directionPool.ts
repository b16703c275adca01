/**
 * Parallel direction evaluation on Node worker threads (piscina), behind the same async
 * `DirectionEvaluator` interface as the inline evaluator, with bit-identical results for any number
 * of workers: the 2K evaluations of a step (each side of each antithetic pair) are claimed one at a
 * time by whichever thread is free, the calling thread among them (`sharedStep.ts`,
 * `CallerSharedStep`); each evaluation's numbers do not depend on
 * where it runs (see `InlineDirectionEvaluator.evaluateOne`), and the privatisation that sums over
 * records stays on the main thread, in a fixed order.
 *
 * What crosses threads: the run's setup (the synthetic set's encoder state and outcomes, the learner
 * recipes, the loss) once per worker, as `workerData` when it starts; per step the synthetic
 * parameters, directions, seeds and the encoded real batch, written once into shared memory
 * (`sharedStep.ts`), and per task only buffer handles and the number of directions.
 *
 * Whether the pool is used at all is decided per run by `AdaptiveDirectionEvaluator`
 * (`condense/parallel/adaptive.ts`, shared with the browser's Web Worker pool).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { poolEvaluators, type PooledDirectionEvaluator } from '../../condense/parallel/adaptive.js';
import { CallerSharedStep, workerSetupOf, type WorkerSetup } from '../../condense/parallel/poolWorker.js';
import type { DirectionEvaluation, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup } from '../../condense/zerothOrder.js';

export { AdaptiveDirectionEvaluator, MIN_PARALLEL_STEP_MS } from '../../condense/parallel/adaptive.js';

const WORKER_FILE = new URL('./directionWorker.js', import.meta.url);

/** True when the compiled worker script exists (not when this module runs from TypeScript sources). */
export function workerScriptAvailable(): boolean {
  return WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
}

/**
 * `threads` evaluating threads: this one and `threads` − 1 worker threads (`CallerSharedStep`), so
 * on an N-core machine N = the cores keeps every core busy with fits and nothing else. One thread
 * starts no worker (the shared-memory path alone, as the tests use it).
 */
export class ParallelDirectionEvaluator implements PooledDirectionEvaluator {
  private readonly pool: Piscina | undefined;
  private readonly step: CallerSharedStep;

  constructor(setup: EvaluatorSetup, readonly threads: number) {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`workers must be a positive integer (got ${threads})`);
    const workerData: WorkerSetup = workerSetupOf(setup);
    const helpers = threads - 1;
    this.pool = helpers > 0 ? new Piscina({ filename: WORKER_FILE.href, minThreads: helpers, maxThreads: helpers, idleTimeout: 60_000, workerData }) : undefined;
    this.step = new CallerSharedStep(setup);
  }

  evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    // Piscina posts a task to an idle worker inside run(), before the caller starts its own claims.
    return this.step.evaluate(request, this.threads, (task) => this.pool!.run(task));
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}

/**
 * Evaluator factories for `condense(…, { evaluator })` that run steps on `workers` threads (this
 * one and `workers` − 1 worker threads):
 * `always` pools every step, `auto` lets `AdaptiveDirectionEvaluator` decide. `close()` stops every
 * pool the factory started (call it when the run is over).
 */
export function workerPoolEvaluators(workers: number, mode: 'auto' | 'always' = 'auto'): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  return poolEvaluators((setup) => new ParallelDirectionEvaluator(setup, workers), workers, mode);
}
