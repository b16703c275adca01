/**
 * When a direction pool pays, decided the same way on Node (worker threads) and in the browser (Web
 * Workers): `AdaptiveDirectionEvaluator` times a step inline, and only if the fits take longer than
 * the pool's messaging can save (MIN_PARALLEL_STEP_MS, measured with `npm run bench -- --only
 * parallel`) it starts the workers, times a pool step, and keeps the faster of the two. Which one
 * runs never changes the output, only the wall time: each direction's numbers do not depend on
 * where it runs (`InlineDirectionEvaluator.evaluateRange`).
 */
import type { DirectionEvaluation, DirectionEvaluator, DirectionEvaluatorFactory, DirectionRequest, EvaluatorSetup, InlineDirectionEvaluator } from '../zerothOrder.js';

/** A pool of workers behind the evaluator interface; `close()` stops them. */
export interface PooledDirectionEvaluator extends DirectionEvaluator {
  close(): Promise<void>;
}

/**
 * Below this inline time per step the pool is not even started: two workers save at most half the
 * fits' time, and a pooled step costs about 2.3 ms more than an inline one in task messaging and
 * wake-ups (a nearly free step: 0.23 ms inline, 2.49 ms on 2 workers, measured by
 * `parallelSteps.ts` on the shared 2-core build machine), so the fits must take about twice that.
 */
export const MIN_PARALLEL_STEP_MS = 5;

export type EvaluatorChoice = 'undecided' | 'inline' | 'parallel';

/** Inline or pooled, whichever a timed step shows to be faster (same results either way). */
export class AdaptiveDirectionEvaluator implements PooledDirectionEvaluator {
  private step = 0;
  private inlineMs = Infinity;
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
    // Step 0 warms the inline kernels up, step 1 is timed; steps 2 (workers starting) and 3 (timed) try the pool.
    if (step < 2) {
      const started = performance.now();
      const result = this.inline.evaluateNow(request);
      if (step === 1) {
        this.inlineMs = performance.now() - started;
        if (this.inlineMs < this.minParallelStepMs) this.decide('inline');
      }
      return result;
    }
    this.parallel ??= this.startPool();
    const started = performance.now();
    const result = await this.parallel.evaluateDirections(request);
    if (step >= 3) {
      const choice = performance.now() - started < this.inlineMs ? 'parallel' : 'inline';
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
 * Evaluator factories for `condense(…, { evaluator })` that run steps on a pool of `workers`:
 * `always` pools every step, `auto` lets `AdaptiveDirectionEvaluator` decide (one worker: inline).
 * `close()` stops every pool the factory started (call it when the run is over).
 */
export function poolEvaluators(
  startPool: (setup: EvaluatorSetup) => PooledDirectionEvaluator,
  workers: number,
  mode: 'auto' | 'always' = 'auto',
  onDecision?: (choice: 'inline' | 'parallel') => void,
): { factory: DirectionEvaluatorFactory; close: () => Promise<void> } {
  const started: PooledDirectionEvaluator[] = [];
  const factory: DirectionEvaluatorFactory = (setup, inline) => {
    if (workers <= 1 && mode === 'auto') return inline;
    const evaluator = mode === 'always' ? startPool(setup) : new AdaptiveDirectionEvaluator(inline, () => startPool(setup), MIN_PARALLEL_STEP_MS, onDecision);
    started.push(evaluator);
    return evaluator;
  };
  return { factory, close: async () => void (await Promise.all(started.map((e) => e.close()))) };
}
