/**
 * A Web Worker of the browser's direction pool (`directionPool.ts`): the isomorphic
 * `DirectionPoolWorker`, built from the setup message, evaluates each task's directions from
 * shared memory and writes its columns of the result in place.
 */
import { DirectionPoolWorker } from '../../../src/condense/parallel/poolWorker.js';
import type { PoolCommand, PoolReply } from './directionPool.js';

declare const self: DedicatedWorkerGlobalScope;

let worker: DirectionPoolWorker | undefined;
let setupError: string | undefined;

self.onmessage = (message: MessageEvent<PoolCommand>) => {
  const command = message.data;
  let reply: PoolReply = { type: 'done' };
  try {
    if (command.type === 'setup') worker = new DirectionPoolWorker(command.setup);
    else if (!worker) reply = { type: 'error', message: `the direction worker could not start: ${setupError ?? 'no setup'}` };
    else worker.run(command.task);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (command.type === 'setup') setupError = text;
    reply = { type: 'error', message: text };
  }
  if (command.type === 'task') self.postMessage(reply);
};
