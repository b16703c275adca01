/**
 * Auditable access to the real records. Every piece of condensation code that reads real values
 * runs inside `insideMechanism(name, fn)`, where `name` is the ledger entry that pays for it. A test
 * wraps the real table's arrays in proxies that note `currentMechanism()` on every read and checks
 * that no read happens outside a mechanism and that every mechanism read from was charged — so a
 * future change that peeks at the data without paying for it fails the suite.
 *
 * The marker is module state, which is safe because each marked section is synchronous: two
 * concurrent runs (async interleaving) can never be inside a section at the same time.
 */
let current: string | null = null;

export function insideMechanism<T>(name: string, fn: () => T): T {
  const previous = current;
  current = name;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** Name of the mechanism whose section is running, or null outside every section. */
export function currentMechanism(): string | null {
  return current;
}

/** Ledger entry names of the mechanisms that read real records. */
export const MECHANISM = {
  featureBounds: 'feature_bounds_histogram',
  dataRanges: 'data_ranges_histogram',
  timeHistogram: 'time_histogram',
  stratumMoments: 'stratum_moments',
  zeroOrderSteps: 'zero_order_steps',
} as const;
