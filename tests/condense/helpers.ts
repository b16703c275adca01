import { loadBundledDataset, type LoadedDataset } from '../../src/node/bundled.js';

const cache = new Map<string, Promise<LoadedDataset>>();

/** Bundled datasets, loaded once per test file. */
export function dataset(name: string): Promise<LoadedDataset> {
  if (!cache.has(name)) cache.set(name, loadBundledDataset(name));
  return cache.get(name)!;
}
