/**
 * How ε is split between the private statistics (the DP start) and the zero-order steps, by default.
 * One function, `defaultPreprocessingShare`, that `resolveSettings` (the run) and `checkBudgetCovers`
 * (the CLI's check before any record is read) both call. Everything it reads is public: ε, δ, the
 * card (feature types, which features need DP bounds, the task), m, μ, the number of steps, and the
 * options that change the preprocessing queries. The split is fixed before any query runs, so it
 * cannot use the DP record count n̂ — and it does not need it (below).
 */
import type { DatasetCard } from '../data/card.js';
import { MECHANISM } from '../privacy/dataAccess.js';
import { featuresNeedingBounds, momentsLayout } from './privateStatistics.js';

/**
 * The statistics' share of ε with the MST start and steps: the split MST's own share was chosen
 * with (docs/RESULTS.md, "MST start"). The balance rule below models the DP-moment start only.
 */
export const MST_START_PREPROCESSING_SHARE = 0.3;

/** Strata of the stratum-moments query per task (`task.ts`: two classes; three survival risk groups). */
const STRATA = { classification: 2, survival: 3 } as const;

/** The preprocessing queries for this card and these public settings, in run order (ledger names). */
export function preprocessingQueries(
  card: DatasetCard,
  bounds: Record<string, [number, number]>,
  dataRanges: boolean,
): { queries: string[]; featuresNeedingBounds: string[]; rangeFeatures: string[] } {
  const needBounds = featuresNeedingBounds(card, bounds);
  // Every numeric feature, whichever bounds it will have (card, user or DP): a public list.
  const rangeFeatures = dataRanges ? card.features.filter((f) => f.type === 'numeric' || f.type === 'integer').map((f) => f.name) : [];
  const queries = [
    ...(needBounds.length ? [MECHANISM.featureBounds] : []),
    ...(rangeFeatures.length ? [MECHANISM.dataRanges] : []),
    ...(card.task === 'survival' ? [MECHANISM.timeHistogram] : []),
    MECHANISM.stratumMoments,
  ];
  return { queries, featuresNeedingBounds: needBounds, rangeFeatures };
}

/**
 * L2 sensitivity of the stratum-moments query from the card alone: the query's own layout
 * (`momentsLayout`) built from the card's features; the strata are disjoint blocks, so their number
 * does not change it.
 */
export function stratumMomentsSensitivity(card: DatasetCard, momentsClip?: number): number {
  return momentsLayout(card.features, 1, momentsClip).builder.l2Sensitivity;
}

/** zCDP ρ that converts to (ε, δ) by ε = ρ + 2√(ρ·ln(1/δ)) (Bun & Steinke 2016), and back. */
export function rhoForEpsilon(epsilon: number, delta: number): number {
  const L = Math.log(1 / delta);
  return (Math.sqrt(L + epsilon) - Math.sqrt(L)) ** 2;
}
export function epsilonForRho(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

export interface BalanceInputs {
  epsilon: number;
  delta: number;
  /** L2 sensitivity of the stratum-moments query (`stratumMomentsSensitivity`). */
  momentsSensitivity: number;
  /** Preprocessing queries sharing one σ (`preprocessingQueries`). */
  queries: number;
  /** Strata of the moments query. */
  strata: number;
  /** Synthetic rows m. */
  rows: number;
  /** Smoothing radius μ (standardised units). */
  smoothing: number;
}

/**
 * The balance rule: the statistics' share of ε that makes the DP start and the zero-order steps
 * equally noisy relative to what each could at most measure, so that neither is starved.
 *
 * Both parts are Gaussian measurements, and each has a noise figure — noise sd over the largest
 * signal the public bounds allow:
 *  - the start: a stratum mean of u = (x − mid)/half ∈ [−1, 1] has noise sd σ₀·Δ/n_s, with Δ the
 *    moments query's sensitivity, σ₀ = √(Q/(2ρ₀)) the σ the Q preprocessing queries share at zCDP
 *    cost ρ₀, and n_s = n̂/S records per stratum (S strata, taken equal: the real split is not
 *    public). Largest |mean| = 1, so R₀ = √(Q/(2ρ₀))·Δ·S/n̂.
 *  - the steps: the noise figure of the gate, R = σ·m/(q·n̂·2μ·√T) with the default clip norm
 *    (`noiseFigure` in steps.ts). T Poisson-subsampled Gaussian steps at rate q and σ ≫ 1 cost
 *    about ρ₁ = T·q²/(2σ²) (what one unsampled query of σ/q per step would cost; checked against
 *    the run's RDP accountant: T·q²/σ² is within 15 % of 2ρ at ε = 1 on 455–7098 records, and
 *    amplification only lowers it), so R₁ = m/(2μ·n̂·√(2ρ₁)) — T, q and K drop out, as in the gate.
 * The table carries both errors; minimising R₀² + R₁² = a/ρ₀ + b/ρ₁ over ρ₀ + ρ₁ = ρ gives
 * ρ₀/ρ = √a/(√a + √b), with √(a/b) = 2·√Q·Δ·S·μ/m. n̂ cancels (both figures scale as 1/n̂), so the
 * rule needs nothing private. ρ is the zCDP budget of (ε, δ) and the share of ε is
 * ε(ρ₀)/ε with ε(ρ) = ρ + 2√(ρ·ln(1/δ)); since ε grows like √ρ at small ρ the ε share is larger
 * than the ρ share, more so at small ε. It grows with the query's sensitivity (with the features:
 * Δ² = 1 + 1.5 per numeric one), the strata and the queries, and falls with m (more rows, each
 * gradient smaller, so the steps need more) and with ε.
 * ε = ∞ (non-private): the limit, the ρ share.
 */
export function balancedPreprocessingShare(p: BalanceInputs): number {
  const ratio = (2 * Math.sqrt(p.queries) * p.momentsSensitivity * p.strata * p.smoothing) / p.rows;
  const rhoShare = ratio / (1 + ratio);
  if (!Number.isFinite(p.epsilon)) return rhoShare;
  return epsilonForRho(rhoShare * rhoForEpsilon(p.epsilon, p.delta), p.delta) / p.epsilon;
}

/** The public settings the default share depends on (defaults already filled in). */
export interface ShareSettings {
  epsilon: number;
  delta: number;
  steps: number;
  rows: number;
  smoothing: number;
  initialisation: string;
  mstShare: number;
  bounds: Record<string, [number, number]>;
  dataRanges: boolean;
  momentsClip?: number;
  splitRule: 'balance' | 'features' | 'larger';
}

/**
 * The statistics' default share of ε: 1 without steps (everything the MST start leaves, with it);
 * with the MST start and steps, `MST_START_PREPROCESSING_SHARE`; otherwise by `splitRule`: the
 * balance rule, the feature-count rule, or the larger of the two (`larger`).
 *
 * Why the larger (an option; rules S and S2 of docs/RESULTS.md, "Session 37", kept the feature rule
 * as the default): the balance rule gives the statistics more than the feature rule where the table
 * is small (its steps' noise figure falls as 1/m), and less at m = 200, where it cost CART on pima
 * and wdbc (docs/RESULTS.md, "The ε split between the statistics and the steps"): there the steps'
 * figure is above the gate's limit, more budget barely makes them useful, and the start is what the
 * release stands on. The feature rule's share is the floor below which that start was never validated.
 */
export function defaultPreprocessingShare(card: DatasetCard, s: ShareSettings): number {
  if (s.initialisation === 'mst') return mstStartPreprocessingShare(s);
  if (s.steps === 0) return 1;
  const byFeatures = featureCountPreprocessingShare(card.features.length);
  if (s.splitRule === 'features') return byFeatures;
  const balanced = balancedPreprocessingShare({
    epsilon: s.epsilon,
    delta: s.delta,
    momentsSensitivity: stratumMomentsSensitivity(card, Number.isFinite(s.epsilon) ? s.momentsClip : undefined),
    queries: preprocessingQueries(card, s.bounds, s.dataRanges).queries.length,
    strata: STRATA[card.task],
    rows: s.rows,
    smoothing: s.smoothing,
  });
  return s.splitRule === 'larger' ? Math.max(byFeatures, balanced) : balanced;
}

/**
 * The earlier rule (session 20; `--split-rule features`): 0.3 up to 30 features, then growing in
 * proportion to the number of features, capped at 0.6 (reached at 60) — the moments' squared
 * sensitivity grows linearly with the features while the steps' noise does not; 0.3 was the share
 * validated on tables of up to 30 features, the cap leaves the steps at least 40 %.
 */
export function featureCountPreprocessingShare(features: number): number {
  return Math.min(0.6, 0.3 * Math.max(1, features / 30));
}

/** With the MST start the share needs no card: the fixed split with steps, what MST leaves without. */
export function mstStartPreprocessingShare(s: { steps: number; mstShare: number }): number {
  return s.steps > 0 ? MST_START_PREPROCESSING_SHARE : 1 - s.mstShare;
}
