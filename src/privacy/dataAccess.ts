/**
 * Auditable access to the real records. Every piece of condensation code that reads real values
 * runs inside `scope.inside(name, fn)` (or `insideAsync`), where `name` is the ledger entry that pays
 * for it. A test wraps the real table's arrays in proxies that note `scope.current` on every read and
 * checks that no read happens outside a mechanism and that every mechanism read from was charged — so
 * a future change that peeks at the data without paying for it fails the suite.
 *
 * The scope is a value owned by one run and passed explicitly (not module state), so it stays
 * correct when a section awaits asynchronous work (worker evaluation) and when runs interleave:
 * within one run the sections never overlap, and another run has its own scope.
 */
export class DataAccessScope {
  private active: string | null = null;

  /** Name of the mechanism whose section is running, or null outside every section. */
  get current(): string | null {
    return this.active;
  }

  inside<T>(name: string, fn: () => T): T {
    const previous = this.active;
    this.active = name;
    try {
      return fn();
    } finally {
      this.active = previous;
    }
  }

  async insideAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.active;
    this.active = name;
    try {
      return await fn();
    } finally {
      this.active = previous;
    }
  }
}

/** Ledger entry names of the mechanisms that read real records. */
export const MECHANISM = {
  featureBounds: 'feature_bounds_histogram',
  dataRanges: 'data_ranges_histogram',
  timeHistogram: 'time_histogram',
  stratumMoments: 'stratum_moments',
  /** The same sums measured again with the steps' budget (the noise-figure gate). */
  repeatedStratumMoments: 'stratum_moments_repeat',
  /** The kept features' stratum sums measured again with part of the moments' budget (`focusedMomentsShare`). */
  focusedStratumMoments: 'stratum_moments_focused',
  zeroOrderSteps: 'zero_order_steps',
  /** The exponential-mechanism choice of the released table among the run's candidates (`condense/selection.ts`). */
  releaseSelection: 'release_selection',
} as const;
