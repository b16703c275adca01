/**
 * Runs experiment cells across worker threads, resumably: every finished cell is appended as one
 * JSON line to a cache file, and cells whose key is already there are not run again. An
 * interrupted grid therefore continues where it stopped, and a larger grid reuses a smaller one.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cellKey, runCell, type CellResult, type CellSpec } from './experimentCells.js';

export interface PoolOptions {
  /** Worker threads (1 = run inline in this thread). */
  workers: number;
  /** JSONL cache of finished cells (read at the start, appended to as cells finish). */
  cachePath?: string;
  onResult?: (result: CellResult, done: number, total: number, cached: boolean) => void;
}

const encodeInfinity = (_: string, v: unknown) => (v === Infinity ? 'inf' : v);
const decodeInfinity = (_: string, v: unknown) => (v === 'inf' ? Infinity : v);

export function serialiseResult(result: CellResult): string {
  return JSON.stringify(result, encodeInfinity);
}

export function readCache(path: string): Map<string, CellResult> {
  const cache = new Map<string, CellResult>();
  if (!existsSync(path)) return cache;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const result = JSON.parse(line, decodeInfinity) as CellResult;
      cache.set(result.key, result);
    } catch {
      // A line cut short by an interrupted run: that cell simply runs again.
    }
  }
  return cache;
}

/** Results in the order of `specs`; cached cells are returned without running. */
export async function runCells(specs: CellSpec[], options: PoolOptions): Promise<CellResult[]> {
  const cache = options.cachePath ? readCache(options.cachePath) : new Map<string, CellResult>();
  if (options.cachePath) {
    mkdirSync(dirname(options.cachePath), { recursive: true });
    // Start on a fresh line if an interrupted run left a partial one.
    if (existsSync(options.cachePath) && !readFileSync(options.cachePath, 'utf8').endsWith('\n')) appendFileSync(options.cachePath, '\n');
  }
  const results: (CellResult | undefined)[] = specs.map((spec) => cache.get(cellKey(spec)));
  const pending = specs.map((_, i) => i).filter((i) => !results[i]);
  let done = 0;
  results.forEach((r) => r && options.onResult?.(r, ++done, specs.length, true));
  const finish = (i: number, result: CellResult) => {
    results[i] = result;
    if (options.cachePath) appendFileSync(options.cachePath, serialiseResult(result) + '\n');
    options.onResult?.(result, ++done, specs.length, false);
  };

  if (options.workers <= 1) {
    for (const i of pending) finish(i, await runCell(specs[i]));
    return results as CellResult[];
  }

  const queue = [...pending];
  const workerCount = Math.min(options.workers, queue.length);
  await Promise.all(
    Array.from({ length: workerCount }, async () => {
      const worker = new Worker(new URL('./experimentWorker.js', import.meta.url));
      try {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) finish(i, await ask(worker, specs[i]));
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results as CellResult[];
}

function ask(worker: Worker, spec: CellSpec): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { result?: string; error?: string }) => {
      worker.off('error', onError);
      if (message.error !== undefined) reject(new Error(`cell ${cellKey(spec)}: ${message.error}`));
      else resolve(JSON.parse(message.result!, decodeInfinity) as CellResult);
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(JSON.stringify(spec, encodeInfinity));
  });
}
