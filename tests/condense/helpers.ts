import { loadBundledDataset, type LoadedDataset } from '../../src/node/bundled.js';
import type { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { recordColumns, rowMajorRecords, type Table } from '../../src/data/table.js';

const cache = new Map<string, Promise<LoadedDataset>>();

/** Bundled datasets, loaded once per test file. */
export function dataset(name: string): Promise<LoadedDataset> {
  if (!cache.has(name)) cache.set(name, loadBundledDataset(name));
  return cache.get(name)!;
}

/**
 * For the tests that prove real records are read only inside charged mechanisms.
 * Wrap every real-data array of a table in a proxy that notes which mechanism section of `scope`
 * reads it — and so are the arrays its methods return (slice, subarray, map, …: derived copies stay
 * watched), and the table's row count `nRows`.
 */
export function auditor(scope: DataAccessScope) {
  const reads = new Map<string, number>();
  const note = (label: string) => {
    const where = scope.current ?? `OUTSIDE (${label})`;
    reads.set(where, (reads.get(where) ?? 0) + 1);
  };
  const watch = <T extends object>(array: T, label: string): T =>
    new Proxy(array, {
      get(target, prop) {
        note(label);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          const derived = ArrayBuffer.isView(result) || Array.isArray(result);
          return derived && result !== target ? watch(result as object, `${label}.${String(prop)}()`) : result;
        };
      },
    });
  const watchTable = (train: Table): Table => {
    // Keep the table's layout, so the audit sees the reads the run really makes (an ingested
    // table's features are row-major records, read by the step's gather and the statistics).
    const records = rowMajorRecords(train);
    const masks = train.features.map((c) => watch(c.missing, c.spec.name));
    const audited = {
      ...train,
      features: records
        ? recordColumns(train.features.map((c) => c.spec), { values: watch(records.values, 'features'), width: records.width }, masks)
        : train.features.map((c, f) => ({ spec: c.spec, values: watch(c.values, c.spec.name), missing: masks[f] })),
      label: train.label && watch(train.label, 'label'),
      time: train.time && watch(train.time, 'time'),
      event: train.event && watch(train.event, 'event'),
    };
    return new Proxy(audited, {
      get(target, prop) {
        if (prop === 'nRows') note('nRows');
        return Reflect.get(target, prop, target);
      },
    });
  };
  return { reads, watch, watchTable };
}

/** The table with every real-data array (and `nRows`) watched by `auditor`. */
export function auditedTable(train: Table, scope: DataAccessScope): { audited: Table; reads: Map<string, number> } {
  const { reads, watchTable } = auditor(scope);
  const audited = watchTable(train);
  reads.clear(); // building the watched table reads the masks' lengths: not a read of the run
  return { audited, reads };
}
