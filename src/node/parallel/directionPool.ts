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
 * (`sharedStep.ts`), and per task only buffer handles and a range of directions.
 *
 * `AdaptiveDirectionEvaluator` decides per run whether the pool pays: it times a step inline, and
 * only if the fits take longer than the pool's messaging can save (MIN_PARALLEL_STEP_MS, measured
 * with `npm run bench -- --only parallel`) it starts the workers, times a pool step, and keeps the
 * faster of the two. Which one runs never changes the output, only the wall time.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { LossSpec, LearnerRecipe } from '../../condense/objective.js';
import type { SyntheticSetState } from '../../condense/syntheticSet.js';
import type {
  DirectionEvaluation,
  DirectionEvaluator,
  DirectionEvaluatorFactory,
  DirectionRequest,
  EvaluatorSetup,
  InlineDirectionEvaluator,
} from '../../condense/zerothOrder.js';
import { StepViews, allocateStepBuffers, type DirectionTask } from './sharedStep.js';

/** Sent once to each worker when it starts. */
export interface WorkerSetup {
  synthetic: SyntheticSetState;
  learners: readonly LearnerRecipe[];
  lossSpec: LossSpec;
  directions: number;
  batchCapacity: number;
}

const WORKER_FILE = new URL('./directionWorker.js', import.meta.url);

/** True when the compiled worker script exists (not when this module runs from TypeScript sources). */
export function workerScriptAvailable(): boolean {
  return WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
}

/**
 * Below this inline time per step the pool is not even started: two workers save at most half the
 * fits' time, and a pooled step costs about 2.3 ms more than an inline one in task messaging and
 * wake-ups (a nearly free step: 0.23 ms inline, 2.49 ms on 2 workers, measured by
 * `parallelSteps.ts` on the shared 2-core build machine), so the fits must take about twice that.
 */
export const MIN_PARALLEL_STEP_MS = 5;

export class ParallelDirectionEvaluator implements DirectionEvaluator {
  private readonly pool: Piscina;
  private views: StepViews;
  private capacity: number;
  private readonly survival: boolean;
  private readonly p: number;
  private readonly dim: number;

  constructor(setup: EvaluatorSetup, readonly workers: number) {
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer (got ${workers})`);
    const state = setup.synthetic.toState();
    const workerData: WorkerSetup = { synthetic: state, learners: setup.learners, lossSpec: setup.lossSpec, directions: setup.directions, batchCapacity: setup.batchCapacity };
    this.pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, workerData });
    this.survival = state.target.task === 'survival';
    this.p = setup.synthetic.size;
    this.dim = setup.synthetic.encoder.dim;
    this.capacity = setup.batchCapacity;
    this.views = new StepViews(allocateStepBuffers(0, this.p, setup.directions, this.dim, this.capacity, this.survival));
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const K = request.seeds.length;
    const b = request.batchX.rows;
    if (b > this.capacity) {
      this.capacity = Math.max(b, Math.ceil(1.5 * this.capacity));
      this.views = new StepViews(allocateStepBuffers(this.views.buffers.generation + 1, this.p, K, this.dim, this.capacity, this.survival));
    }
    const views = this.views;
    views.write(request);
    // Every worker gets the same task and claims evaluations until none is left (see sharedStep.ts).
    const task: DirectionTask = { buffers: views.buffers, batchSize: b, smoothing: request.smoothing, from: 0, to: K };
    const tasks = Math.min(this.workers, 2 * K);
    const runs: Promise<unknown>[] = [];
    for (let t = 0; t < tasks; t++) runs.push(this.pool.run(task));
    await Promise.all(runs);
    return views.collect(b, K);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * Inline or pooled, whichever timed steps show to be faster (same results either way). Steps 0–2 run
 * inline (0 warms the kernels up, 1 and 2 are timed); if the faster of those is over the threshold,
 * steps 3–6 run on the pool (3 starts the workers and 4 warms their kernels up, 5 and 6 are timed),
 * and the run keeps whichever side's faster timed step was faster. Two timings a side, and warm
 * workers, keep one slow spell of a shared machine or a worker still compiling from deciding.
 */
export class AdaptiveDirectionEvaluator implements DirectionEvaluator {
  static readonly INLINE_STEPS = 3;
  static readonly POOL_STEPS = 4;
  /** Of each side's steps, the last TIMED_STEPS are timed. */
  static readonly TIMED_STEPS = 2;
  private step = 0;
  private inlineMs = Infinity;
  private poolMs = Infinity;
  private parallel: ParallelDirectionEvaluator | undefined;
  private choice: 'undecided' | 'inline' | 'parallel' = 'undecided';

  constructor(
    private readonly inline: InlineDirectionEvaluator,
    private readonly startPool: () => ParallelDirectionEvaluator,
    private readonly minParallelStepMs = MIN_PARALLEL_STEP_MS,
  ) {}

  /** Which evaluator the run settled on ('undecided' until the timed steps are done). */
  get decision(): 'undecided' | 'inline' | 'parallel' {
    return this.choice;
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const step = this.step++;
    if (this.choice === 'inline') return this.inline.evaluateNow(request);
    if (this.choice === 'parallel') return this.parallel!.evaluateDirections(request);
    const { INLINE_STEPS, POOL_STEPS, TIMED_STEPS } = AdaptiveDirectionEvaluator;
    if (step < INLINE_STEPS) {
      const started = performance.now();
      const result = this.inline.evaluateNow(request);
      if (step >= INLINE_STEPS - TIMED_STEPS) this.inlineMs = Math.min(this.inlineMs, performance.now() - started);
      if (step === INLINE_STEPS - 1 && this.inlineMs < this.minParallelStepMs) this.choice = 'inline';
      return result;
    }
    this.parallel ??= this.startPool();
    const started = performance.now();
    const result = await this.parallel.evaluateDirections(request);
    const poolStep = step - INLINE_STEPS;
    if (poolStep >= POOL_STEPS - TIMED_STEPS) this.poolMs = Math.min(this.poolMs, performance.now() - started);
    if (poolStep === POOL_STEPS - 1) {
      this.choice = this.poolMs < this.inlineMs ? 'parallel' : 'inline';
      if (this.choice === 'inline') await this.close();
    }
    return result;
  }

  async close(): Promise<void> {
    const pool = this.parallel;
    this.parallel = undefined;
    await pool?.close();
  }
}

/**
 * Evaluator factories for `condense(…, { evaluator })` that run steps on `workers` threads:
 * `always` pools every step, `auto` lets `AdaptiveDirectionEvaluator` decide. `close()` stops every
 * pool the factory started (call it when the run is over).
 */
export function workerPoolEvaluators(workers: number, mode: 'auto' | 'always' = 'auto'): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  const started: { close: () => Promise<void> }[] = [];
  const factory: DirectionEvaluatorFactory = (setup, inline) => {
    if (workers <= 1 && mode === 'auto') return inline;
    const startPool = () => new ParallelDirectionEvaluator(setup, workers);
    const evaluator = mode === 'always' ? startPool() : new AdaptiveDirectionEvaluator(inline, startPool);
    started.push(evaluator);
    return evaluator;
  };
  return { factory, close: async () => void (await Promise.all(started.map((e) => e.close()))) };
}
