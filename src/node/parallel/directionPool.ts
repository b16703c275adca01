/**
 * Parallel direction evaluation on Node worker threads (piscina), behind the same async
 * `DirectionEvaluator` interface as the inline evaluator, with bit-identical results for any number
 * of workers: the 2K evaluations of a step (each side of each antithetic pair) are claimed one at a
 * time by whichever worker is free (`sharedStep.ts`); each evaluation's numbers do not depend on
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
import { workerSetupOf, type WorkerSetup } from '../../condense/parallel/poolWorker.js';
import { SharedStepWriter } from '../../condense/parallel/sharedStep.js';
import type { DirectionEvaluation, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup } from '../../condense/zerothOrder.js';

export { AdaptiveDirectionEvaluator, MIN_PARALLEL_STEP_MS } from '../../condense/parallel/adaptive.js';

const WORKER_FILE = new URL('./directionWorker.js', import.meta.url);

/** True when the compiled worker script exists (not when this module runs from TypeScript sources). */
export function workerScriptAvailable(): boolean {
  return WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
}

export class ParallelDirectionEvaluator implements PooledDirectionEvaluator {
  private readonly pool: Piscina;
  private readonly step: SharedStepWriter;

  constructor(setup: EvaluatorSetup, readonly workers: number) {
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer (got ${workers})`);
    const workerData: WorkerSetup = workerSetupOf(setup);
    this.pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, workerData });
    this.step = new SharedStepWriter(setup);
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const tasks = this.step.publish(request, this.workers);
    await Promise.all(tasks.map((task) => this.pool.run(task)));
    return this.step.collect();
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * Evaluator factories for `condense(…, { evaluator })` that run steps on `workers` threads:
 * `always` pools every step, `auto` lets `AdaptiveDirectionEvaluator` decide. `close()` stops every
 * pool the factory started (call it when the run is over).
 */
export function workerPoolEvaluators(workers: number, mode: 'auto' | 'always' = 'auto'): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  return poolEvaluators((setup) => new ParallelDirectionEvaluator(setup, workers), workers, mode);
}
