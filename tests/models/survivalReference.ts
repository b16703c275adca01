/**
 * Shared loader for the survival reference tests: bundled dataset → reference design (drop-first
 * one-hot, no imputation, no scaling) → train/test matrices and targets, plus the reference block
 * of tests/fixtures/reference/survival.json.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundledDataset } from '../../src/node/bundled.js';
import { fitDesign, SURVIVAL_DESIGN } from '../../src/data/design.js';
import { tableTarget } from '../../src/data/table.js';
import type { Matrix } from '../../src/core/matrix.js';
import type { SurvivalTarget } from '../../src/models/types.js';

export interface PairCounts {
  concordant: number;
  discordant: number;
  'tied.x': number;
  'tied.y': number;
  'tied.xy': number;
}

/** R's pair counts under the names `harrellC` reports them with. */
export function pairCountsFromR(p: PairCounts): { concordant: number; discordant: number; tiedX: number; tiedY: number; tiedXY: number } {
  return { concordant: p.concordant, discordant: p.discordant, tiedX: p['tied.x'], tiedY: p['tied.y'], tiedXY: p['tied.xy'] };
}

export interface CoxReference {
  coef: number[];
  loglik: number;
  loglik_null: number;
  iterations: number;
  test_harrell_c: number;
  test_pair_counts: PairCounts;
  baseline_cumhaz_times: number[];
  baseline_cumhaz: number[];
}

export interface DatasetReference {
  n_train: number;
  n_test: number;
  features: string[];
  cox_efron: CoxReference;
  cox_breslow: CoxReference;
  kaplan_meier_train: { times: number[]; survival: number[] };
  random_survival_forest_ranger_200_test_harrell_c: number;
  metric_check: { time: number[]; event: number[]; risk: number[]; harrell_c: number; pair_counts: PairCounts };
}

export const survivalReference = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/reference/survival.json', import.meta.url)), 'utf8'),
) as Record<'metabric' | 'support' | 'rotterdam', DatasetReference> & {
  rotterdam_to_gbsg: { cox_efron_trained_on_all_rotterdam_harrell_c_on_gbsg: number };
};

export const SURVIVAL_DATASETS = ['metabric', 'support', 'rotterdam'] as const;

export interface SurvivalSplit {
  columnNames: string[];
  trainX: Matrix;
  train: SurvivalTarget;
  testX: Matrix;
  test: SurvivalTarget;
}

function asSurvival(target: ReturnType<typeof tableTarget>): SurvivalTarget {
  if (target.task !== 'survival') throw new Error('expected a survival table');
  return target;
}

/** The reference design fitted on the training split, applied to both splits. */
export async function loadSurvivalSplit(name: string): Promise<SurvivalSplit> {
  const ds = await loadBundledDataset(name);
  const design = fitDesign(ds.train, SURVIVAL_DESIGN);
  return {
    columnNames: design.columnNames,
    trainX: design.transform(ds.train),
    train: asSurvival(tableTarget(ds.train)),
    testX: design.transform(ds.test),
    test: asSurvival(tableTarget(ds.test)),
  };
}

/** A whole bundled table (no split) with the design fitted on it. */
export async function loadSurvivalTable(name: string): Promise<{ X: Matrix; target: SurvivalTarget; transform: (n: string) => Promise<{ X: Matrix; target: SurvivalTarget }> }> {
  const ds = await loadBundledDataset(name);
  const design = fitDesign(ds.table, SURVIVAL_DESIGN);
  return {
    X: design.transform(ds.table),
    target: asSurvival(tableTarget(ds.table)),
    transform: async (other: string) => {
      const o = await loadBundledDataset(other);
      return { X: design.transform(o.table), target: asSurvival(tableTarget(o.table)) };
    },
  };
}
