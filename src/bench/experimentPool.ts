/**
 * Runs experiment cells across worker threads, resumably: every finished cell is appended as one
 * JSON line to a cache file, and cells whose key is already there are not run again. An
 * interrupted grid therefore continues where it stopped, and a larger grid reuses a smaller one.
 *
 * With several workers the cells start longest-expected-first (`expectedCellSeconds`): a grid's
 * long condensations run while there is other work to balance them, and its many short cells fill
 * the gaps at the end. Each dataset's cells are queued on one worker (`affinityQueues`), which takes
 * the cells of another worker's queue only when its own is empty: every worker thread is its own V8
 * isolate, which compiles, and optimises for what it has seen, every function it runs, so two
 * workers running every kind of cell each compile the learners of every dataset (V8's compiler
 * threads then compete with the workers for the cores) and each parse every CSV. Results come back
 * in the order of the specs whatever the order of running.
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

/** Expected seconds of each of `specs`' `pending` cells (`expectedCellSeconds`). */
async function expectedSeconds(specs: CellSpec[], pending: number[], profile: (dataset: string) => Promise<DatasetProfile>): Promise<Map<number, number>> {
  const profiles = new Map<string, DatasetProfile>();
  for (const name of new Set(pending.map((i) => specs[i].dataset))) profiles.set(name, await profile(name));
  return new Map(pending.map((i) => [i, expectedCellSeconds(specs[i], profiles.get(specs[i].dataset)!)]));
}

const byExpected = (expected: Map<number, number>) => (a: number, b: number) => expected.get(b)! - expected.get(a)! || a - b;

/**
 * One queue per worker: whole datasets, the largest expected total first, each to the worker with
 * the least expected work so far; each queue longest-expected-first. A worker whose queue is empty
 * takes the longest cell left in the others (`next`), so the split only decides which isolate runs
 * what, and the grid still ends within about one short cell on every worker.
 */
export class AffinityQueues {
  private constructor(
    private readonly queues: number[][],
    private readonly expected: Map<number, number>,
  ) {}

  static async plan(specs: CellSpec[], pending: number[], workers: number, profile: (dataset: string) => Promise<DatasetProfile> = bundledDatasetProfile): Promise<AffinityQueues> {
    const expected = await expectedSeconds(specs, pending, profile);
    const groups = new Map<string, number[]>();
    for (const i of pending) groups.set(specs[i].dataset, [...(groups.get(specs[i].dataset) ?? []), i]);
    const total = (cells: number[]) => cells.reduce((sum, i) => sum + expected.get(i)!, 0);
    const queues = Array.from({ length: workers }, () => ({ cells: [] as number[], load: 0 }));
    for (const cells of [...groups.values()].sort((a, b) => total(b) - total(a) || a[0] - b[0])) {
      const lightest = queues.reduce((best, q) => (q.load < best.load ? q : best));
      lightest.cells.push(...cells);
      lightest.load += total(cells);
    }
    return new AffinityQueues(queues.map((q) => q.cells.sort(byExpected(expected))), expected);
  }

  /** The cells still queued on each worker, in order. */
  get queued(): readonly (readonly number[])[] {
    return this.queues;
  }

  /** The next cell for worker `w`: the head of its own queue, else the longest head among the others. */
  next(w: number): number | undefined {
    if (this.queues[w].length) return this.queues[w].shift();
    let from: number[] | undefined;
    for (const q of this.queues) if (q.length && (!from || this.expected.get(q[0])! > this.expected.get(from[0])!)) from = q;
    return from?.shift();
  }
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

  const workerCount = Math.min(options.workers, pending.length);
  const queues = await AffinityQueues.plan(specs, pending, workerCount);
  const started = performance.now();
  const summaries = await Promise.all(
    Array.from({ length: workerCount }, async (_, w) => {
      const worker = new Worker(new URL('./experimentWorker.js', import.meta.url));
      const summary: WorkerSummary = { cells: 0, busySeconds: 0, finishedAtSeconds: 0 };
      try {
        for (let i = queues.next(w); i !== undefined; i = queues.next(w)) {
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
