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
  /** σ of the (first, all-feature) stratum-moments query: the shared σ, or above it when `focusedMoments` takes part of its ρ. */
  momentsNoiseMultiplier: number;
  /** The focused second moments measurement over the k kept features (`focusedMomentsShare`), when it is taken. */
  focusedMoments?: FocusedMomentsPlan;
}

export interface FocusedMomentsPlan {
  /** Share of the stratum moments' zCDP ρ it spends (the first query keeps 1 − share). */
  share: number;
  /** Features it measures: the feature focus's k. */
  features: number;
  /** Its σ (noise std over its own sensitivity). */
  noiseMultiplier: number;
}

/**
 * Whether a run takes the focused second moments measurement: a private run from the DP moments
 * whose feature focus acts (a table wider than k), without the joint clip (which couples the
 * features). Public settings and the card only, so the split is fixed before any record is read.
 */
export function takesFocusedMoments(settings: Pick<RunSettings, 'isPrivate' | 'focusedMomentsShare' | 'initialisation' | 'featureFocus' | 'momentsClip'>, card: DatasetCard): boolean {
  return (
    settings.isPrivate &&
    settings.focusedMomentsShare > 0 &&
    settings.initialisation === 'private' &&
    settings.featureFocus !== 'off' &&
    card.features.length > settings.featureFocus &&
    settings.momentsClip === undefined
  );
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
  const plan: BudgetPlan = { preprocessingQueries: queries, featuresNeedingBounds, rangeFeatures, preprocessingNoiseMultiplier, momentsNoiseMultiplier: preprocessingNoiseMultiplier };
  if (!takesFocusedMoments(settings, card) || settings.featureFocus === 'off') return plan;
  // The moments' ρ = 1/(2σ²) (per unit of sensitivity) split as (1 − s)ρ + sρ: two Gaussian queries
  // of σ/√(1 − s) and σ/√s cost exactly what one of σ did under RDP, zCDP and PLD alike (their
  // precisions 1/σ² add), so the total is unchanged. Widened by one part in 10¹², as the PLD
  // calibration is, so that rounding errs toward privacy. Both are fixed here, from public values.
  const share = settings.focusedMomentsShare;
  const widen = 1 + 1e-12;
  return {
    ...plan,
    momentsNoiseMultiplier: (preprocessingNoiseMultiplier / Math.sqrt(1 - share)) * widen,
    focusedMoments: { share, features: settings.featureFocus, noiseMultiplier: (preprocessingNoiseMultiplier / Math.sqrt(share)) * widen },
  };
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
