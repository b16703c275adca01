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
import { calibrateNoiseMultiplier } from '../privacy/calibrate.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { defaultPreprocessingShare, preprocessingQueries } from './budgetSplit.js';
import { checkBudget } from './budgetCheck.js';
import { DEFAULTS, type CondenseSettings, type RunSettings } from './settings.js';

export interface BudgetPlan {
  /** Ledger names of the preprocessing queries, in the order they run. */
  preprocessingQueries: string[];
  /** Numeric features with neither card nor user bounds (their bounds are a DP query). */
  featuresNeedingBounds: string[];
  /** Numeric features to be narrowed by the data-range histogram (all of them; empty when off). */
  rangeFeatures: string[];
  /** σ of every preprocessing query (0 in a non-private run). */
  preprocessingNoiseMultiplier: number;
}

/**
 * Throws BudgetTooSmallError (an OptionError naming the smallest workable ε and the options that
 * change it) when (ε, δ) cannot pay for a run with these settings on data with this card. Public
 * settings only: the CLI runs it before reading any record, and `planBudget` runs it first.
 */
export function checkBudgetCovers(
  card: DatasetCard,
  settings: Pick<CondenseSettings, 'epsilon' | 'delta' | 'steps' | 'preprocessingShare' | 'bounds' | 'accountant' | 'dataRanges' | 'initialisation' | 'rows' | 'smoothing' | 'mstShare' | 'momentsClip' | 'splitRule'>,
): void {
  const filled = {
    epsilon: settings.epsilon,
    delta: settings.delta ?? DEFAULTS.delta,
    steps: settings.steps ?? DEFAULTS.steps,
    rows: settings.rows,
    smoothing: settings.smoothing ?? DEFAULTS.smoothing,
    initialisation: settings.initialisation ?? DEFAULTS.initialisation,
    mstShare: settings.mstShare ?? DEFAULTS.mstShare,
    bounds: settings.bounds ?? {},
    dataRanges: settings.dataRanges ?? false,
    momentsClip: settings.momentsClip,
    splitRule: settings.splitRule ?? DEFAULTS.splitRule,
  };
  checkBudget({
    epsilon: filled.epsilon,
    delta: filled.delta,
    // The same default split the run resolves (`resolveSettings`).
    preprocessingShare: settings.preprocessingShare ?? defaultPreprocessingShare(card, filled),
    preprocessingQueries: preprocessingQueries(card, filled.bounds, filled.dataRanges).queries.length,
    steps: filled.steps,
    accountant: settings.accountant ?? 'rdp',
  });
}

export function planBudget(settings: RunSettings, card: DatasetCard): BudgetPlan {
  checkBudgetCovers(card, settings);
  // Decided from the card and the public bounds alone, as `checkBudgetCovers` counts them.
  const { queries, featuresNeedingBounds, rangeFeatures } = preprocessingQueries(card, settings.bounds, settings.dataRanges);
  const preprocessingNoiseMultiplier = settings.isPrivate
    ? calibrateJointGaussianQueries({
        epsilon: settings.epsilon * settings.preprocessingShare,
        delta: settings.delta,
        queries: queries.length,
        accountant: settings.accountant,
      })
    : 0;
  return { preprocessingQueries: queries, featuresNeedingBounds, rangeFeatures, preprocessingNoiseMultiplier };
}

/**
 * σ of the second stratum-moments measurement when the noise-figure gate moves the steps' budget:
 * one Gaussian query that raises the ledger's ε by `share` of what is left (share 1: to the run's
 * full ε), calibrated with the RDP arithmetic the ledger charges with, as the steps' σ is, so the
 * charge cannot be refused.
 */
export function repeatedMomentsNoiseMultiplier(settings: RunSettings, ledger: PrivacyLedger, share = 1): number {
  const spent = ledger.spent().epsilon;
  const targetEpsilon = share >= 1 ? settings.epsilon : spent + share * (settings.epsilon - spent);
  return calibrateNoiseMultiplier({ targetEpsilon, delta: settings.delta, samplingRate: 1, steps: 1, prior: ledger }).noiseMultiplier;
}
