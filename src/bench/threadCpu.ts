/**
 * CPU time per thread of this process, from Linux's /proc/self/task/<tid>/schedstat (nanoseconds
 * on the CPU). On a shared machine wall-clock speedups say more about the neighbours than about
 * the code; the CPU time each thread spent on a step does not, so the parallel benchmarks report
 * both: how much of a step stays on the main thread, how evenly the workers share the rest, and
 * what V8's own helper threads (JIT compilation, garbage collection) add. Empty elsewhere.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Nanoseconds on the CPU per thread id. */
export type ThreadCpu = Map<number, number>;

const TASKS = '/proc/self/task';

export function threadCpuAvailable(): boolean {
  return existsSync(TASKS);
}

export function threadCpuSnapshot(): ThreadCpu {
  const snapshot: ThreadCpu = new Map();
  if (!threadCpuAvailable()) return snapshot;
  for (const tid of readdirSync(TASKS)) {
    try {
      snapshot.set(Number(tid), Number(readFileSync(`${TASKS}/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return snapshot;
}

/** Milliseconds of CPU per thread between two snapshots. */
export function threadCpuMs(before: ThreadCpu, after: ThreadCpu): Map<number, number> {
  const ms = new Map<number, number>();
  for (const [tid, ns] of after) ms.set(tid, (ns - (before.get(tid) ?? 0)) / 1e6);
  return ms;
}

/** The main thread's id (Linux: the process id). */
export const MAIN_THREAD = process.pid;

/** CPU of one timed stretch split into the main thread, the given worker threads, and the rest (V8 and libuv helpers). */
export interface CpuSplit {
  mainMs: number;
  /** Per worker, in the order of the ids given. */
  workersMs: number[];
  otherMs: number;
}

export function splitCpu(ms: Map<number, number>, workers: readonly number[]): CpuSplit {
  let otherMs = 0;
  for (const [tid, value] of ms) if (tid !== MAIN_THREAD && !workers.includes(tid)) otherMs += value;
  return { mainMs: ms.get(MAIN_THREAD) ?? 0, workersMs: workers.map((tid) => ms.get(tid) ?? 0), otherMs };
}

/** CPU seconds of the calling thread so far (Linux: /proc/thread-self/schedstat; NaN elsewhere). */
export function ownThreadCpuSeconds(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return NaN;
  }
}
