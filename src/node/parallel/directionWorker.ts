/**
 * A worker thread of the direction pool: `DirectionPoolWorker` (isomorphic, shared with the
 * browser's Web Workers) rebuilt once from `workerData`, sent when the thread starts.
 */
import { workerData } from 'node:worker_threads';
import { DirectionPoolWorker, type WorkerSetup } from '../../condense/parallel/poolWorker.js';
import type { DirectionTask } from '../../condense/parallel/sharedStep.js';

const worker = new DirectionPoolWorker(workerData as WorkerSetup);

export default function evaluateClaimedDirections(task: DirectionTask): number {
  return worker.run(task);
}
