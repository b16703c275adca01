/**
 * A worker thread of the direction pool: `DirectionRangeWorker` (isomorphic, shared with the
 * browser's Web Workers) rebuilt once from `workerData`, sent when the thread starts.
 */
import { workerData } from 'node:worker_threads';
import { DirectionRangeWorker, type WorkerSetup } from '../../condense/parallel/rangeWorker.js';
import type { DirectionTask } from '../../condense/parallel/sharedStep.js';

const worker = new DirectionRangeWorker(workerData as WorkerSetup);

export default function evaluateDirectionRange(task: DirectionTask): number {
  return worker.run(task);
}
