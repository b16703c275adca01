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
import type { RunSettings } from './settings.js';

export interface BudgetPlan {
  /** Ledger names of the preprocessing queries, in the order they run. */
  preprocessingQueries: string[];
  /** Numeric features with neither card nor user bounds (their bounds are a DP query). */
  featuresNeedingBounds: string[];
  /** Public bounds of numeric features to be narrowed by the data-range histogram (empty when off). */
  rangeBounds: Record<string, [number, number]>;
  /** σ of every preprocessing query (0 in a non-private run). */
  preprocessingNoiseMultiplier: number;
}

export function planBudget(settings: RunSettings, card: DatasetCard): BudgetPlan {
  const needBounds = featuresNeedingBounds(card, settings.bounds);
  const rangeBounds: Record<string, [number, number]> = {};
  if (settings.dataRanges) {
    for (const f of card.features) {
      const b = f.bounds ?? settings.bounds[f.name];
      if ((f.type === 'numeric' || f.type === 'integer') && b) rangeBounds[f.name] = [b[0], b[1]];
    }
  }
  const preprocessingQueries = [
    ...(needBounds.length ? [MECHANISM.featureBounds] : []),
    ...(Object.keys(rangeBounds).length ? [MECHANISM.dataRanges] : []),
    ...(settings.task === 'survival' ? [MECHANISM.timeHistogram] : []),
    MECHANISM.stratumMoments,
  ];
  const preprocessingNoiseMultiplier = settings.isPrivate
    ? calibrateJointGaussianQueries({
        epsilon: settings.epsilon * settings.preprocessingShare,
        delta: settings.delta,
        queries: preprocessingQueries.length,
        accountant: settings.accountant,
      })
    : 0;
  return { preprocessingQueries, featuresNeedingBounds: needBounds, rangeBounds, preprocessingNoiseMultiplier };
}
