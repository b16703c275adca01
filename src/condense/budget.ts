/**
 * Step 2 of the pipeline: the budget plan. Which Gaussian sum queries the private preprocessing
 * runs (decided from the card and the public bounds alone, so the count cannot drift from the
 * queries actually made) and the noise multiplier they share, calibrated with the run's
 * accountant so that together they cost `preprocessingShare`·ε. The zero-order steps get what is
 * left: their σ is calibrated against the ledger once the preprocessing is charged (it depends on
 * the sampling rate, which needs the DP record count).
 */
import type { DatasetCard } from '../data/card.js';
import { calibrateJointGaussianQueries } from '../privacy/measurements.js';
import { MECHANISM } from './dataAccess.js';
import { featuresNeedingBounds } from './privateStatistics.js';
import { checkBudget } from './budgetCheck.js';
import { DEFAULTS, type CondenseOptions, type RunSettings } from './settings.js';

export interface BudgetPlan {
  /** Ledger names of the preprocessing queries, in the order they run. */
  preprocessingQueries: string[];
  /** Numeric features with neither card nor user bounds (their bounds are a DP query). */
  featuresNeedingBounds: string[];
  /** σ of every preprocessing query (0 in a non-private run). */
  preprocessingNoiseMultiplier: number;
}

/** Ledger names of the preprocessing queries for this card and these public bounds, in run order. */
function preprocessingQueryNames(card: DatasetCard, bounds: Record<string, [number, number]> = {}): string[] {
  return [
    ...(featuresNeedingBounds(card, bounds).length ? [MECHANISM.featureBounds] : []),
    ...(card.task === 'survival' ? [MECHANISM.timeHistogram] : []),
    MECHANISM.stratumMoments,
  ];
}

/**
 * Throws BudgetTooSmallError (a RangeError naming the smallest workable ε and the options that
 * change it) when (ε, δ) cannot pay for a run with these options on data with this card. Public
 * settings only: the CLI runs it before reading any record, and `planBudget` runs it first.
 */
export function checkBudgetCovers(card: DatasetCard, options: Pick<CondenseOptions, 'epsilon' | 'delta' | 'steps' | 'preprocessingShare' | 'bounds' | 'accountant'>): void {
  const steps = options.steps ?? DEFAULTS.steps;
  checkBudget({
    epsilon: options.epsilon,
    delta: options.delta ?? DEFAULTS.delta,
    preprocessingShare: options.preprocessingShare ?? (steps === 0 ? 1 : DEFAULTS.preprocessingShare),
    preprocessingQueries: preprocessingQueryNames(card, options.bounds).length,
    steps,
    accountant: options.accountant ?? 'rdp',
  });
}

export function planBudget(settings: RunSettings, card: DatasetCard): BudgetPlan {
  checkBudgetCovers(card, settings);
  const needBounds = featuresNeedingBounds(card, settings.bounds);
  const preprocessingQueries = preprocessingQueryNames(card, settings.bounds);
  const preprocessingNoiseMultiplier = settings.isPrivate
    ? calibrateJointGaussianQueries({
        epsilon: settings.epsilon * settings.preprocessingShare,
        delta: settings.delta,
        queries: preprocessingQueries.length,
        accountant: settings.accountant,
      })
    : 0;
  return { preprocessingQueries, featuresNeedingBounds: needBounds, preprocessingNoiseMultiplier };
}
