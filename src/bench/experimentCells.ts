/**
 * One cell of an experiment grid: (dataset, method, ε, m, seed, condensation learners, settings)
 * → the test metric of every evaluation learner trained on the table the method produced. A cell is
 * a plain JSON value so that it can be sent to a worker thread and cached by its key; running it is
 * deterministic given the cell (seeded research runs, not private releases).
 */
import { SeededRng } from '../core/rng.js';
import type { Table } from '../data/table.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS_DIR, loadBundledCard, loadBundledDataset, type LoadedDataset } from '../node/bundled.js';
import { DEFAULTS, condense, type CondenseOptions, type LearnerChoice } from '../condense/condense.js';
import { evaluateUtility } from '../condense/evaluation.js';
import { kMeansCoreset, randomSubset } from '../condense/baselines.js';
import { synthesise } from '../synthesis/mst/index.js';

export interface CellSpec {
  dataset: string;
  method: string;
  /** null for methods without a privacy budget (full, random, kmeans); Infinity = non-private condensation. */
  epsilon: number | null;
  rows: number;
  seed: number;
  /** Condensation learners (dpcondense only). */
  model: LearnerChoice[];
  evalLearners: string[];
  /** Extra condense options (dpcondense only), e.g. {"steps": 100}. */
  settings: Partial<CondenseOptions>;
  /** Also score on the external cohort (rotterdam → gbsg). */
  external: boolean;
}

export interface CellResult {
  key: string;
  spec: CellSpec;
  /** Test metric per evaluation learner. */
  scores: Record<string, number>;
  /** Metric on the external cohort per evaluation learner, when asked for. */
  externalScores?: Record<string, number>;
  seconds: number;
}

/** The external-validation cohort of a bundled training dataset. */
export const EXTERNAL_COHORT: Record<string, string> = { rotterdam: 'gbsg' };

/** Stable identity of a cell (property order fixed; Infinity spelled out). */
export function cellKey(spec: CellSpec): string {
  const settings = Object.keys(spec.settings)
    .sort()
    .map((k) => [k, (spec.settings as Record<string, unknown>)[k]]);
  return JSON.stringify(
    [spec.dataset, spec.method, spec.epsilon, spec.rows, spec.seed, spec.model, spec.evalLearners, settings, spec.external],
    (_, v) => (v === Infinity ? 'inf' : v),
  );
}

export interface MethodContext {
  data: LoadedDataset;
  spec: CellSpec;
}

/**
 * How each method builds its training table. Baselines read the real training rows freely (they are
 * yardsticks); `dp-gaussian` is condensation with no steps, all ε on the private statistics; `mst`
 * is MST's full-size table subsampled to m rows the way `random` subsamples the real rows.
 */
export const METHODS: Record<string, (ctx: MethodContext) => Promise<Table>> = {
  full: async ({ data }) => data.train,
  random: async ({ data, spec }) => randomSubset(data.train, spec.rows, new SeededRng(1000 * spec.seed + 7)),
  kmeans: async ({ data, spec }) => kMeansCoreset(data.train, spec.rows, new SeededRng(1000 * spec.seed + 7)),
  'dp-gaussian': async ({ data, spec }) =>
    (await condense({ train: data.train, rows: spec.rows, epsilon: spec.epsilon!, steps: 0, seed: spec.seed, learners: spec.model })).synthetic,
  'mst-full': async ({ data, spec }) => mstFullSize(data, spec),
  mst: async ({ data, spec }) => randomSubset(await mstFullSize(data, spec), spec.rows, new SeededRng(1000 * spec.seed + 7)),
  dpcondense: async ({ data, spec }) =>
    (await condense({ ...spec.settings, train: data.train, rows: spec.rows, epsilon: spec.epsilon!, seed: spec.seed, learners: spec.settings.learners ?? spec.model })).synthetic,
};

/** MST's release of N̂ rows (the same table for a given dataset, ε and seed, whatever m). */
function mstFullSize(data: LoadedDataset, spec: CellSpec): Promise<Table> {
  return synthesise({ train: data.train, rows: 'full', epsilon: spec.epsilon!, seed: spec.seed }).then((r) => r.synthetic);
}

/** What the cost guess below reads of a dataset: public facts about its file and card. */
export interface DatasetProfile {
  csvBytes: number;
  features: number;
  survival: boolean;
}

export async function bundledDatasetProfile(name: string): Promise<DatasetProfile> {
  const card = await loadBundledCard(name);
  return { csvBytes: statSync(join(DATASETS_DIR, `${name}.csv`)).size, features: card.features.length, survival: card.task === 'survival' };
}

/**
 * A rough guess of a cell's running time in seconds from public quantities (the cell's settings,
 * the dataset's CSV size and card), fitted by eye to one grid's timings on the shared 2-core
 * machine (pima, wdbc and support at ε = 3): only so that a pool can start the longest cells first
 * and leave the short ones to fill the gaps at the end (longest-processing-time-first scheduling),
 * rather than one worker finishing a long condensation while the others idle. A wrong guess costs
 * wall time, never a different result.
 */
export function expectedCellSeconds(spec: CellSpec, data: DatasetProfile): number {
  const scan = data.csvBytes / 2e6; // a pass over every real record: full-data training, k-means
  switch (spec.method) {
    case 'dpcondense': {
      const steps = spec.settings.steps ?? DEFAULTS.steps;
      const directions = spec.settings.directions ?? DEFAULTS.directions[data.survival ? 'survival' : 'classification'];
      const batchSize = spec.settings.batchSize ?? DEFAULTS.batchSize;
      const learners = (spec.settings.learners ?? spec.model).length;
      // A survival loss compares predicted curves on a time grid: about 5× a classifier's work per record.
      const perRecord = learners * (data.survival ? 5 : 1) * Math.sqrt(data.features);
      return (steps * directions * (spec.rows + batchSize) * perRecord) / 3e6;
    }
    case 'mst':
    case 'mst-full':
      return 0.5 + data.csvBytes / 4e5;
    case 'kmeans':
      return 0.1 + 2 * scan;
    case 'full':
      return scan;
    default:
      return 0.05;
  }
}

const loaded = new Map<string, Promise<LoadedDataset>>();
function dataset(name: string): Promise<LoadedDataset> {
  if (!loaded.has(name)) loaded.set(name, loadBundledDataset(name));
  return loaded.get(name)!;
}

export async function runCell(spec: CellSpec): Promise<CellResult> {
  const make = METHODS[spec.method];
  if (!make) throw new RangeError(`unknown method "${spec.method}" (known: ${Object.keys(METHODS).join(', ')})`);
  const data = await dataset(spec.dataset);
  const t0 = performance.now();
  const table = await make({ data, spec });
  const seconds = (performance.now() - t0) / 1000;
  const score = (test: Table) =>
    Object.fromEntries(spec.evalLearners.map((learner) => [learner, evaluateUtility(table, test, learner, new SeededRng(spec.seed)).value]));
  const result: CellResult = { key: cellKey(spec), spec, scores: score(data.test), seconds };
  const externalName = EXTERNAL_COHORT[spec.dataset];
  if (spec.external && externalName) result.externalScores = score((await dataset(externalName)).table);
  return result;
}
