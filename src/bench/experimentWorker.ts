/** Worker-thread entry of the experiment pool: runs one cell per message (JSON in, JSON out). */
import { parentPort } from 'node:worker_threads';
import { runCell, type CellSpec } from './experimentCells.js';
import { serialiseResult } from './experimentPool.js';

parentPort!.on('message', async (message: string) => {
  try {
    const spec = JSON.parse(message, (_, v) => (v === 'inf' ? Infinity : v)) as CellSpec;
    parentPort!.postMessage({ result: serialiseResult(await runCell(spec)) });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
});
