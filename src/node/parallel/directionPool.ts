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
 * The calling thread can take part: given its inline evaluator, it claims evaluations from the
 * same counter as the workers while they run, so N threads fit with N − 1 workers. Each worker
 * thread costs its own V8 heap, module graph and JIT code, which is what kept a 10⁶ × 30 run over
 * 400 MiB while the adaptive evaluator tried the pool (README, "Speed and scale").
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
import type { DirectionEvaluation, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup, InlineDirectionEvaluator } from '../../condense/zerothOrder.js';

export { AdaptiveDirectionEvaluator, MIN_PARALLEL_STEP_MS } from '../../condense/parallel/adaptive.js';

const WORKER_FILE = new URL('./directionWorker.js', import.meta.url);

/**
 * A worker's young generation, in MB. A fit's garbage (its scratch arrays, the tree or the
 * coefficients) is dead when the fit ends, so scavenges find almost nothing alive and a small young
 * generation costs no measurable time, while V8's default lets each worker's grow to 32 MB of
 * resident memory. Measured on a 10⁶ × 30 run with the pool on for all 300 steps: peak RSS 434 MiB
 * with the default, 400 MiB with 3 MB; worker CPU per step unchanged for CART (16.9 / 14.9 ms
 * against 16.6 / 16.0) and rf (244 / 242 against 253 / 248; `parallelSteps --K 16 --m 200`).
 */
const WORKER_YOUNG_GENERATION_MB = 3;

/** True when the compiled worker script exists (not when this module runs from TypeScript sources). */
export function workerScriptAvailable(): boolean {
  return WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
}

export class ParallelDirectionEvaluator implements PooledDirectionEvaluator {
  private readonly pool: Piscina;
  private readonly step: SharedStepWriter;
  /** Evaluations the calling thread ran so far (the rest ran on the workers), for benchmarks. */
  private callerEvaluations = 0;

  /**
   * `workers` threads, plus the calling thread when `callingThread` (its inline evaluator) is given.
   */
  constructor(setup: EvaluatorSetup, readonly workers: number, private readonly callingThread?: InlineDirectionEvaluator) {
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer (got ${workers})`);
    const workerData: WorkerSetup = workerSetupOf(setup);
    this.pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.step = new SharedStepWriter(setup);
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const tasks = this.step.publish(request, this.workers);
    // Piscina hands each task to an idle worker at once, so the workers start claiming while this
    // thread does; the caller gets control back (e.g. to draw the next step's directions) only
    // when no evaluation is left to claim.
    const running = tasks.map((task) => this.pool.run(task));
    if (this.callingThread) this.callerEvaluations += this.step.evaluateHere(this.callingThread, request);
    await Promise.all(running);
    return this.step.collect();
  }

  /** How many evaluations the calling thread ran since this evaluator started. */
  get evaluationsHere(): number {
    return this.callerEvaluations;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * Evaluator factories for `condense(…, { evaluator })` that run steps on `threads` threads: the
 * calling thread and `threads` − 1 worker threads (one thread: inline). `always` pools every step,
 * `auto` lets `AdaptiveDirectionEvaluator` decide. `close()` stops every pool the factory started
 * (call it when the run is over).
 */
export function workerPoolEvaluators(threads: number, mode: 'auto' | 'always' = 'auto'): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  return poolEvaluators((setup, inline) => new ParallelDirectionEvaluator(setup, threads - 1, inline), threads, mode);
}
