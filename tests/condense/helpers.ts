import { loadBundledDataset, type LoadedDataset } from '../../src/cli/bundled.js';
import type { DataAccessScope } from '../../src/condense/dataAccess.js';
import type { Table } from '../../src/data/table.js';

const cache = new Map<string, Promise<LoadedDataset>>();

/** Bundled datasets, loaded once per test file. */
export function dataset(name: string): Promise<LoadedDataset> {
  if (!cache.has(name)) cache.set(name, loadBundledDataset(name));
  return cache.get(name)!;
}

/**
 * The table with every real-data array wrapped in a proxy that counts, per mechanism section of
 * `scope` (or `OUTSIDE (column)`), the reads it sees — for the tests that prove real records are
 * read only inside charged mechanisms.
 */
export function auditedTable(train: Table, scope: DataAccessScope): { audited: Table; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const watch = <T extends object>(array: T, label: string): T =>
    new Proxy(array, {
      get(target, prop) {
        const where = scope.current ?? `OUTSIDE (${label})`;
        reads.set(where, (reads.get(where) ?? 0) + 1);
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const audited = {
    ...train,
    features: train.features.map((c) => ({ spec: c.spec, values: watch(c.values, c.spec.name), missing: watch(c.missing, c.spec.name) })),
    label: train.label && watch(train.label, 'label'),
    time: train.time && watch(train.time, 'time'),
    event: train.event && watch(train.event, 'event'),
  };
  return { audited, reads };
}
