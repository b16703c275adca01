/**
 * A worker thread of the direction pool: rebuilds the run's synthetic set and learners once (from
 * `workerData`, sent when the thread starts), then runs the evaluations it claims for each task,
 * reading the step from shared memory and writing their columns of the result in place.
 */
import { workerData } from 'node:worker_threads';
import { PerRecordLoss } from '../../condense/objective.js';
import { SyntheticParameters } from '../../condense/syntheticSet.js';
import { InlineDirectionEvaluator } from '../../condense/zerothOrder.js';
import { StepViews, type DirectionTask } from './sharedStep.js';
import type { WorkerSetup } from './directionPool.js';

const setup = workerData as WorkerSetup;
const synthetic = SyntheticParameters.fromState(setup.synthetic);
const survival = setup.synthetic.target.task === 'survival';
const evaluator = new InlineDirectionEvaluator(synthetic, new PerRecordLoss(setup.learners, setup.lossSpec, setup.batchCapacity), setup.directions, setup.batchCapacity);
let views: StepViews | undefined;

export default function evaluateDirectionRange(task: DirectionTask): number {
  if (!views || views.buffers.generation !== task.buffers.generation) views = new StepViews(task.buffers);
  views.evaluateClaimed(evaluator, views.request(task, synthetic.encoder.dim, survival), task);
  // Sequentially consistent: everything written above is visible to whoever loads this counter.
  return Atomics.add(views.done, 0, 1);
}
