/**
 * The Web Worker that runs condensations, so the page stays responsive. It speaks the core's job
 * protocol (`src/job/protocol.ts`): `start` runs one job, `abort` stops it at the next step. The
 * fits of each step may run on a pool of further Web Workers (`parallel/directionPool.ts`), started
 * here and stopped when the job ends; terminating this worker (the page's hard cancel) ends them too.
 */
import { runCondenseJob, type JobCommand, type JobEvent } from '../../src/job/run.js';
import { webWorkerEvaluators } from './parallel/directionPool.js';
import { defaultPoolSize } from './parallel/poolSize.js';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();

self.onmessage = (message: MessageEvent<JobCommand>) => {
  const command = message.data;
  if (command.type === 'abort') {
    running.get(command.id)?.abort();
    return;
  }
  const { id, request } = command;
  const controller = new AbortController();
  running.set(id, controller);
  const emit = (event: JobEvent) => self.postMessage(event);
  const pools = webWorkerEvaluators(request.parallel ?? 'auto', defaultPoolSize(), self.crossOriginIsolated, (placement, workers) => emit({ type: 'fits', id, placement, workers }));
  void runCondenseJob(id, request, emit, controller.signal, { evaluator: pools.factory }).finally(() => {
    running.delete(id);
    void pools.close();
  });
};
