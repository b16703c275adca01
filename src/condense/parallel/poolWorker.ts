/**
 * The worker side of a direction pool, whatever runs it (a Node worker thread or a browser Web
 * Worker): the run's setup arrives once, when the worker starts, and rebuilds the synthetic set and
 * the learners; each task then names the step now in shared memory (`sharedStep.ts`), whose
 * evaluations the worker claims one at a time with the other workers, writing their columns of
 * the result in place.
 */
import { PerRecordLoss, type LearnerRecipe, type LossSpec } from '../objective.js';
import { SyntheticParameters, type SyntheticSetState } from '../syntheticSet.js';
import { InlineDirectionEvaluator, type EvaluatorSetup } from '../zerothOrder.js';
import { StepViews, type DirectionTask } from './sharedStep.js';

/** Sent once to each worker when it starts (plain data: structured-cloneable). */
export interface WorkerSetup {
  synthetic: SyntheticSetState;
  learners: readonly LearnerRecipe[];
  lossSpec: LossSpec;
  directions: number;
  batchCapacity: number;
}

export function workerSetupOf(setup: EvaluatorSetup): WorkerSetup {
  return { synthetic: setup.synthetic.toState(), learners: setup.learners, lossSpec: setup.lossSpec, directions: setup.directions, batchCapacity: setup.batchCapacity };
}

export class DirectionPoolWorker {
  private readonly synthetic: SyntheticParameters;
  private readonly survival: boolean;
  private readonly evaluator: InlineDirectionEvaluator;
  private views: StepViews | undefined;

  constructor(setup: WorkerSetup) {
    this.synthetic = SyntheticParameters.fromState(setup.synthetic);
    this.survival = setup.synthetic.target.task === 'survival';
    this.evaluator = new InlineDirectionEvaluator(this.synthetic, new PerRecordLoss(setup.learners, setup.lossSpec, setup.batchCapacity), setup.directions, setup.batchCapacity);
  }

  /** Run the evaluations of the task this worker claims, into the shared result arrays; returns the completion count. */
  run(task: DirectionTask): number {
    if (!this.views || this.views.buffers.generation !== task.buffers.generation) this.views = new StepViews(task.buffers);
    const views = this.views;
    views.evaluateClaimed(this.evaluator, views.request(task, this.synthetic.encoder.dim, this.survival), task);
    // Sequentially consistent: everything written above is visible to whoever loads this counter.
    return Atomics.add(views.done, 0, 1);
  }
}
