/**
 * How many Web Workers the browser's direction pool may use: one per logical processor the browser
 * reports (`navigator.hardwareConcurrency`), capped, because each worker holds its own copy of the
 * learners and a step has only K directions to share out. Shared by the page (its settings) and the
 * job's worker (which starts the pool).
 */
export const MAX_POOL_WORKERS = 8;

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(MAX_POOL_WORKERS, navigator.hardwareConcurrency || 1));
}
