/**
 * The page's side of the job protocol: one Web Worker per run. Cancel sends `abort` (the worker
 * stops at its next step and answers `aborted`); if the worker is inside a long computation and has
 * not answered within `ABORT_GRACE_MS`, it is terminated, so a cancel always takes effect promptly.
 */
import type { CondenseJobRequest, JobEvent } from '../../src/job/protocol.js';
import CondenseWorker from './worker.ts?worker&inline';

const ABORT_GRACE_MS = 400;

export interface RunHandlers {
  onEvent(event: JobEvent): void;
}

export class JobRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private currentId = 0;
  private handlers: RunHandlers | undefined;
  private abortTimer: ReturnType<typeof setTimeout> | undefined;

  get running(): boolean {
    return this.worker !== undefined;
  }

  start(request: CondenseJobRequest, handlers: RunHandlers): void {
    this.stopWorker();
    this.handlers = handlers;
    const id = (this.currentId = this.nextId++);
    const worker = new CondenseWorker();
    this.worker = worker;
    worker.onmessage = (message: MessageEvent<JobEvent>) => {
      const event = message.data;
      if (event.id !== this.currentId) return;
      if (event.type === 'done' || event.type === 'error' || event.type === 'aborted') this.stopWorker();
      handlers.onEvent(event);
    };
    worker.onerror = (error) => {
      this.stopWorker();
      handlers.onEvent({ type: 'error', id, error: { kind: 'internal', message: error.message || 'the worker failed' } });
    };
    worker.postMessage({ type: 'start', id, request });
  }

  cancel(): void {
    if (!this.worker) return;
    const id = this.currentId;
    this.worker.postMessage({ type: 'abort', id });
    this.abortTimer = setTimeout(() => {
      if (this.currentId !== id || !this.worker) return;
      this.stopWorker();
      this.handlers?.onEvent({ type: 'aborted', id });
    }, ABORT_GRACE_MS);
  }

  private stopWorker(): void {
    clearTimeout(this.abortTimer);
    this.worker?.terminate();
    this.worker = undefined;
  }
}
