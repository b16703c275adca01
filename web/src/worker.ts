/**
 * The Web Worker that runs condensations, so the page stays responsive. It speaks the core's job
 * protocol (`src/job/protocol.ts`): `start` runs one job, `abort` stops it at the next step.
 */
import { runCondenseJob, type JobCommand, type JobEvent } from '../../src/job/run.js';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();

self.onmessage = (message: MessageEvent<JobCommand>) => {
  const command = message.data;
  if (command.type === 'abort') {
    running.get(command.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(command.id, controller);
  const emit = (event: JobEvent) => self.postMessage(event);
  void runCondenseJob(command.id, command.request, emit, controller.signal).finally(() => running.delete(command.id));
};
