/** Worker-thread entry of the experiment pool: claims and runs cells until none is left (`runClaimedCells`). */
import { parentPort, workerData } from 'node:worker_threads';
import { runClaimedCells, type CellWorkerData } from './experimentPool.js';

await runClaimedCells(workerData as CellWorkerData, (message) => parentPort!.postMessage(message));
