/**
 * Runs experiment cells across worker threads, resumably: every finished cell is appended as one
 * JSON line to a cache file, and cells whose key is already there are not run again. An
 * interrupted grid therefore continues where it stopped, and a larger grid reuses a smaller one.
 *
 * With several workers the cells start longest-expected-first (`expectedCellSeconds`): a grid's
 * long condensations run while there is other work to balance them, and its many short cells fill
 * the gaps at the end. Results come back in the order of the specs whatever the order of running.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bundledDatasetProfile, cellKey, expectedCellSeconds, runCell, type CellResult, type CellSpec, type DatasetProfile } from './experimentCells.js';

export interface PoolOptions {
  /** Worker threads (1 = run inline in this thread). */
  workers: number;
  /** JSONL cache of finished cells (read at the start, appended to as cells finish). */
  cachePath?: string;
  onResult?: (result: CellResult, done: number, total: number, cached: boolean) => void;
  /** With workers > 1: each worker's cells run and its busy and finishing times (seconds from the start). */
  onWorkersDone?: (workers: WorkerSummary[]) => void;
}

export interface WorkerSummary {
  cells: number;
  busySeconds: number;
  finishedAtSeconds: number;
}

/** Indices of `specs` (among `pending`), longest expected running time first (ties keep their order). */
export async function longestFirst(specs: CellSpec[], pending: number[], profile: (dataset: string) => Promise<DatasetProfile> = bundledDatasetProfile): Promise<number[]> {
  const profiles = new Map<string, DatasetProfile>();
  for (const name of new Set(pending.map((i) => specs[i].dataset))) profiles.set(name, await profile(name));
  const expected = new Map(pending.map((i) => [i, expectedCellSeconds(specs[i], profiles.get(specs[i].dataset)!)]));
  return [...pending].sort((a, b) => expected.get(b)! - expected.get(a)! || a - b);
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

  const queue = await longestFirst(specs, pending);
  const workerCount = Math.min(options.workers, queue.length);
  const started = performance.now();
  const summaries = await Promise.all(
    Array.from({ length: workerCount }, async () => {
      const worker = new Worker(new URL('./experimentWorker.js', import.meta.url));
      const summary: WorkerSummary = { cells: 0, busySeconds: 0, finishedAtSeconds: 0 };
      try {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const asked = performance.now();
          finish(i, await ask(worker, specs[i]));
          summary.cells++;
          summary.busySeconds += (performance.now() - asked) / 1000;
        }
      } finally {
        summary.finishedAtSeconds = (performance.now() - started) / 1000;
        await worker.terminate();
      }
      return summary;
    }),
  );
  options.onWorkersDone?.(summaries);
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
