/**
 * Runs experiment cells across worker threads, resumably: every finished cell is appended as one
 * JSON line to a cache file, and cells whose key is already there are not run again. An
 * interrupted grid therefore continues where it stopped, and a larger grid reuses a smaller one.
 *
 * With N > 1 workers the calling thread is one of them, beside N − 1 worker threads (as
 * `--workers` of `condense`): it has loaded every module already, so it starts on its first cell at
 * once while the worker threads load theirs, and no thread sits idle waiting for results. The
 * cells start longest-expected-first (`expectedCellSeconds`): a grid's long condensations run while
 * there is other work to balance them, and its many short cells fill the gaps at the end. Each
 * dataset's cells are queued on one thread (`AffinityQueues`), which takes the cells of another
 * thread's queue only when its own is empty: every thread is its own V8 isolate, which compiles,
 * and optimises for what it has seen, every function it runs, so two threads running every kind of
 * cell each compile the learners of every dataset (V8's compiler threads then compete with them for
 * the cores) and each parse every CSV. The threads claim cells through shared memory, so a worker
 * thread never waits for the calling thread to hand it the next one. Results come back in the order
 * of the specs whatever the order of running.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ownThreadCpuSeconds } from './threadCpu.js';
import { bundledDatasetProfile, cellKey, expectedCellSeconds, runCell, type CellResult, type CellSpec, type DatasetProfile } from './experimentCells.js';

export interface PoolOptions {
  /** Threads running cells: this one and workers − 1 worker threads (1 = run inline in this thread). */
  workers: number;
  /** JSONL cache of finished cells (read at the start, appended to as cells finish). */
  cachePath?: string;
  onResult?: (result: CellResult, done: number, total: number, cached: boolean) => void;
  /** With workers > 1: each thread's cells run and its busy and finishing times (seconds from the start); this thread first. */
  onWorkersDone?: (workers: WorkerSummary[]) => void;
}

export interface WorkerSummary {
  cells: number;
  busySeconds: number;
  finishedAtSeconds: number;
  /** CPU seconds of this thread while it claimed and ran cells (NaN where /proc is not available). */
  cpuSeconds: number;
  /** CPU seconds a worker thread spent before its first claim (loading its modules); 0 for the calling thread. */
  startupCpuSeconds: number;
}

/** Expected seconds of each of `specs`' `pending` cells (`expectedCellSeconds`). */
async function expectedSeconds(specs: CellSpec[], pending: number[], profile: (dataset: string) => Promise<DatasetProfile>): Promise<Map<number, number>> {
  const profiles = new Map<string, DatasetProfile>();
  for (const name of new Set(pending.map((i) => specs[i].dataset))) profiles.set(name, await profile(name));
  return new Map(pending.map((i) => [i, expectedCellSeconds(specs[i], profiles.get(specs[i].dataset)!)]));
}

const byExpected = (expected: Map<number, number>) => (a: number, b: number) => expected.get(b)! - expected.get(a)! || a - b;

/** What a worker thread needs to claim cells from the same queues (plain data and shared memory). */
export interface QueuesState {
  queues: number[][];
  expected: [number, number][];
  claims: SharedArrayBuffer;
}

/**
 * One queue per thread: whole datasets, the largest expected total first, each to the thread with
 * the least expected work so far; each queue longest-expected-first. A thread whose queue is empty
 * takes the longest cell left in the others (`next`), so the split only decides which isolate runs
 * what, and the grid still ends within about one short cell on every thread. Every thread holds a
 * copy of the queues; a cell is taken by claiming its flag in shared memory, so each runs once.
 */
export class AffinityQueues {
  private constructor(
    private readonly queues: number[][],
    private readonly expected: Map<number, number>,
    /** One flag per cell index: 1 once a thread has taken it. */
    private readonly claims: Int32Array,
  ) {}

  static fromState(state: QueuesState): AffinityQueues {
    return new AffinityQueues(state.queues.map((q) => [...q]), new Map(state.expected), new Int32Array(state.claims));
  }

  get state(): QueuesState {
    return { queues: this.queues, expected: [...this.expected], claims: this.claims.buffer as SharedArrayBuffer };
  }

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
    const claims = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * Math.max(1, specs.length)));
    return new AffinityQueues(
      queues.map((q) => q.cells.sort(byExpected(expected))),
      expected,
      claims,
    );
  }

  /** The cells still queued on each thread, in order (as this thread's copy knows them). */
  get queued(): readonly (readonly number[])[] {
    return this.queues;
  }

  /** The next cell for thread `w`, now claimed: the head of its own queue, else the longest head among the others. */
  next(w: number): number | undefined {
    for (;;) {
      for (const q of this.queues) while (q.length && Atomics.load(this.claims, q[0]) !== 0) q.shift();
      let from: number[] | undefined = this.queues[w].length ? this.queues[w] : undefined;
      if (!from) for (const q of this.queues) if (q.length && (!from || this.expected.get(q[0])! > this.expected.get(from[0])!)) from = q;
      if (!from) return undefined;
      const cell = from.shift()!;
      if (Atomics.compareExchange(this.claims, cell, 0, 1) === 0) return cell;
    }
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

  const threads = Math.min(options.workers, pending.length);
  const queues = await AffinityQueues.plan(specs, pending, threads);
  const started = performance.timeOrigin + performance.now();
  const workers = Array.from({ length: threads - 1 }, (_, k) => runWorker(k + 1, specs, queues.state, started, finish));
  let failed = false;
  const here = runThreadCells(queues, 0, started, async (i) => finish(i, await runCell(specs[i])), {
    stop: () => failed,
    // Let the worker threads' results in (cache lines, progress) between this thread's cells.
    between: () => new Promise((resolve) => setImmediate(resolve)),
  });
  try {
    const summaries = await Promise.all([here, ...workers]);
    options.onWorkersDone?.(summaries);
  } finally {
    failed = true;
  }
  return results as CellResult[];
}

/** What a worker thread of `runCells` is sent when it starts. */
export interface CellWorkerData {
  thread: number;
  specs: string;
  queues: QueuesState;
  /** The grid's start, in ms since the epoch (performance.timeOrigin + now), for the summaries. */
  started: number;
}

/** Messages from a worker thread: one per finished cell, then its summary (or an error). */
export type CellWorkerMessage = { cell: number; result: string } | { summary: WorkerSummary } | { error: string };

function runWorker(thread: number, specs: CellSpec[], queues: QueuesState, started: number, finish: (i: number, result: CellResult) => void): Promise<WorkerSummary> {
  const workerData: CellWorkerData = { thread, specs: JSON.stringify(specs, encodeInfinity), queues, started };
  const worker = new Worker(new URL('./experimentWorker.js', import.meta.url), { workerData });
  return new Promise<WorkerSummary>((resolve, reject) => {
    worker.on('message', (message: CellWorkerMessage) => {
      if ('cell' in message) finish(message.cell, JSON.parse(message.result, decodeInfinity) as CellResult);
      else if ('summary' in message) resolve(message.summary);
      else reject(new Error(message.error));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`experiment worker ${thread} exited (code ${code}) before finishing`)));
  }).finally(() => void worker.terminate());
}

/** A worker thread's side of `runCells`: claim and run cells until none is left. */
export async function runClaimedCells(data: CellWorkerData, post: (message: CellWorkerMessage) => void): Promise<void> {
  const specs = JSON.parse(data.specs, decodeInfinity) as CellSpec[];
  const queues = AffinityQueues.fromState(data.queues);
  let failure: string | undefined;
  const summary = await runThreadCells(queues, data.thread, data.started, async (i) => {
    let result: CellResult;
    try {
      result = await runCell(specs[i]);
    } catch (error) {
      failure = `cell ${cellKey(specs[i])}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      return;
    }
    post({ cell: i, result: serialiseResult(result) });
  }, { stop: () => failure !== undefined });
  post(failure !== undefined ? { error: failure } : { summary });
}

/**
 * One thread's share of the grid, the calling thread's and each worker's alike: claims cells as
 * thread `thread` and runs each (`runOne`) until none is left or `stop()` says so, timing them.
 * `between` runs after each cell, outside its busy time. The grid started at `started` (ms since
 * the epoch).
 */
async function runThreadCells(
  queues: AffinityQueues,
  thread: number,
  started: number,
  runOne: (cell: number) => Promise<void>,
  hooks: { stop?: () => boolean; between?: () => Promise<unknown> } = {},
): Promise<WorkerSummary> {
  const cpuAtStart = ownThreadCpuSeconds();
  // A worker thread's clock started with the thread: what it has used so far is its start-up.
  const summary: WorkerSummary = { cells: 0, busySeconds: 0, finishedAtSeconds: 0, cpuSeconds: 0, startupCpuSeconds: thread === 0 ? 0 : cpuAtStart };
  for (let i = queues.next(thread); i !== undefined && !hooks.stop?.(); i = queues.next(thread)) {
    const began = performance.now();
    await runOne(i);
    if (hooks.stop?.()) break;
    summary.cells++;
    summary.busySeconds += (performance.now() - began) / 1000;
    await hooks.between?.();
  }
  summary.finishedAtSeconds = (performance.timeOrigin + performance.now() - started) / 1000;
  summary.cpuSeconds = ownThreadCpuSeconds() - cpuAtStart;
  return summary;
}
