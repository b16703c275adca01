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
import { publiclyBoundedFeatures } from './privateStatistics.js';
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
  /** The loose-bounds histogram (`rangesShare`), when it is taken. */
  looseRanges?: LooseRangesPlan;
}

export interface LooseRangesPlan {
  /** Share of the stratum moments' zCDP ρ it spends (the moments keep 1 − share). */
  share: number;
  /** The numeric features with public bounds (card or user), in card order: the histogram's features. */
  features: string[];
  /** Its σ (noise std over its own sensitivity). */
  noiseMultiplier: number;
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
export function takesFocusedMoments(settings: Pick<RunSettings, 'isPrivate' | 'focusedMomentsShare' | 'initialisation' | 'featureFocus' | 'featureFocusAbove' | 'momentsClip'>, card: DatasetCard): boolean {
  return (
    settings.isPrivate &&
    settings.focusedMomentsShare > 0 &&
    settings.initialisation === 'private' &&
    settings.featureFocus !== 'off' &&
    card.features.length > settings.featureFocus &&
    card.features.length > settings.featureFocusAbove &&
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

/**
 * The features the loose-bounds histogram (`rangesShare`) would measure: numeric features whose
 * bounds are public (the user's or the card's). DP bounds are already where the data lie. A run
 * takes it when private (without noise, wide bounds cost nothing), asked for, not replaced by the
 * all-feature `dataRanges`, and some feature qualifies. Public settings and the card only.
 */
export function looseRangeFeatures(settings: Pick<RunSettings, 'isPrivate' | 'rangesShare' | 'dataRanges' | 'bounds'>, card: DatasetCard): string[] {
  if (!settings.isPrivate || settings.rangesShare <= 0 || settings.dataRanges) return [];
  return publiclyBoundedFeatures(card, settings.bounds);
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
  // The moments' ρ = 1/(2σ²) (per unit of sensitivity) split into parts: Gaussian queries of σ/√share
  // for shares adding to 1 cost exactly what one of σ did under RDP, zCDP and PLD alike (their
  // precisions 1/σ² add), so the total is unchanged. Widened by one part in 10¹², as the PLD
  // calibration is, so that rounding errs toward privacy. All fixed here, from public values.
  // First the loose-bounds histogram takes its share w; then the focused measurement takes its share
  // s of what is left.
  const widen = 1 + 1e-12;
  const part = (share: number) => (preprocessingNoiseMultiplier / Math.sqrt(share)) * widen;
  const looseFeatures = looseRangeFeatures(settings, card);
  const w = looseFeatures.length > 0 ? settings.rangesShare : 0;
  const looseRanges = w > 0 ? { looseRanges: { share: w, features: looseFeatures, noiseMultiplier: part(w) } } : {};
  const plan: BudgetPlan = {
    preprocessingQueries: queries,
    featuresNeedingBounds,
    rangeFeatures,
    preprocessingNoiseMultiplier,
    momentsNoiseMultiplier: w > 0 ? part(1 - w) : preprocessingNoiseMultiplier,
    ...looseRanges,
  };
  if (!takesFocusedMoments(settings, card) || settings.featureFocus === 'off') return plan;
  const s = settings.focusedMomentsShare;
  return {
    ...plan,
    momentsNoiseMultiplier: part((1 - w) * (1 - s)),
    focusedMoments: { share: s, features: settings.featureFocus, noiseMultiplier: part((1 - w) * s) },
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
