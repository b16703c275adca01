/**
 * When a direction pool pays, decided the same way on Node (worker threads) and in the browser (Web
 * Workers): `AdaptiveDirectionEvaluator` times inline steps, and only if the fits take longer than
 * the pool's messaging can save (MIN_PARALLEL_STEP_MS, measured with `npm run bench -- --only
 * parallel`) it starts the workers, times warm pool steps, and keeps the faster of the two. Which
 * one runs never changes the output, only the wall time: each evaluation's numbers do not depend on
 * where it runs (`InlineDirectionEvaluator.evaluateOne`).
 */
import type { DirectionEvaluation, DirectionEvaluator, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup, InlineDirectionEvaluator } from '../zerothOrder.js';

/** A pool of workers behind the evaluator interface; `close()` stops them. */
export interface PooledDirectionEvaluator extends DirectionEvaluator {
  close(): Promise<void>;
}

/**
 * Below this inline time per step the pool is not even started: two workers save at most half the
 * fits' time, a pooled step costs more than an inline one in task messaging and wake-ups, and
 * starting the workers costs each of them its own module loading and JIT warm-up (Cox's step kept
 * getting cheaper for about 30 steps). A nearly free step (`parallelSteps.ts`): 0.23 ms inline and
 * 2.49 ms on 2 workers at a load average of 24 on the shared 2-core machine, 0.29 and 0.75 ms
 * (0.25 ms of it main-thread CPU) at a load of 13; so the fits must take a few times that.
 */
export const MIN_PARALLEL_STEP_MS = 5;

export type EvaluatorChoice = 'undecided' | 'inline' | 'parallel';

/**
 * Inline or pooled, whichever timed steps show to be faster (same results either way). Steps 0–2 run
 * inline (0 warms the kernels up, 1 and 2 are timed); if the faster of those is over the threshold,
 * steps 3–6 run on the pool (3 starts the workers and 4 warms their kernels up, 5 and 6 are timed),
 * and the run keeps whichever side's faster timed step was faster. Two timings a side, and warm
 * workers, keep one slow spell of a shared machine or a worker still compiling from deciding.
 */
export class AdaptiveDirectionEvaluator implements PooledDirectionEvaluator {
  static readonly INLINE_STEPS = 3;
  static readonly POOL_STEPS = 4;
  /** Of each side's steps, the last TIMED_STEPS are timed. */
  static readonly TIMED_STEPS = 2;
  private step = 0;
  private inlineMs = Infinity;
  private poolMs = Infinity;
  private parallel: PooledDirectionEvaluator | undefined;
  private choice: EvaluatorChoice = 'undecided';

  constructor(
    private readonly inline: InlineDirectionEvaluator,
    private readonly startPool: () => PooledDirectionEvaluator,
    private readonly minParallelStepMs = MIN_PARALLEL_STEP_MS,
    /** Told once, when the choice is made (e.g. for a front end to say where the fits run). */
    private readonly onDecision?: (choice: 'inline' | 'parallel') => void,
  ) {}

  /** Which evaluator the run settled on ('undecided' until the timed steps are done). */
  get decision(): EvaluatorChoice {
    return this.choice;
  }

  private decide(choice: 'inline' | 'parallel'): void {
    this.choice = choice;
    this.onDecision?.(choice);
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
      if (step === INLINE_STEPS - 1 && this.inlineMs < this.minParallelStepMs) this.decide('inline');
      return result;
    }
    this.parallel ??= this.startPool();
    const started = performance.now();
    const result = await this.parallel.evaluateDirections(request);
    const poolStep = step - INLINE_STEPS;
    if (poolStep >= POOL_STEPS - TIMED_STEPS) this.poolMs = Math.min(this.poolMs, performance.now() - started);
    if (poolStep === POOL_STEPS - 1) {
      const choice = this.poolMs < this.inlineMs ? 'parallel' : 'inline';
      this.decide(choice);
      if (choice === 'inline') await this.close();
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
 * Evaluator factories for `condense(…, { evaluator })` that run steps on `threads` threads:
 * `always` pools every step, `auto` lets `AdaptiveDirectionEvaluator` decide (one thread: inline).
 * `startPool` gets the run's inline evaluator too, for a pool whose calling thread takes part.
 * `close()` stops every pool the factory started (call it when the run is over).
 */
export function poolEvaluators(
  startPool: (setup: EvaluatorSetup, inline: InlineDirectionEvaluator) => PooledDirectionEvaluator,
  threads: number,
  mode: 'auto' | 'always' = 'auto',
  onDecision?: (choice: 'inline' | 'parallel') => void,
): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  const started: PooledDirectionEvaluator[] = [];
  const factory: DirectionEvaluatorFactory = (setup, inline) => {
    if (threads <= 1) return inline;
    const evaluator = mode === 'always' ? startPool(setup, inline) : new AdaptiveDirectionEvaluator(inline, () => startPool(setup, inline), MIN_PARALLEL_STEP_MS, onDecision);
    started.push(evaluator);
    return evaluator;
  };
  return { factory, close: async () => void (await Promise.all(started.map((e) => e.close()))) };
}
