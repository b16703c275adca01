/**
 * Feature focus (`featureFocus: k`, default 30; `off`: none): on a table of more than k features, the
 * zero-order steps move only the k features whose DP stratum means lie furthest apart, and every
 * other feature is frozen at its pooled DP value in every row.
 *
 * Why: a step estimates the gradient over p = m·d coordinates from K random directions, and the
 * estimate's signal-to-noise ratio falls as √(K/p). On a wide table (physionet2012: 116 features)
 * most of p is features that barely separate the classes, and the DP stratum means of those are
 * mostly noise; spreading the K directions over them drowns the few features that matter, and the
 * rows a tree is trained on offer it splits on noise. Freezing them shrinks p to m·k and leaves the
 * learners nothing to split on but the kept features (docs/RESULTS.md, "Session 25: focusing the
 * steps on a few features").
 *
 * Privacy: the scores, the kept set and the frozen values are computed from the stratum moments the
 * run has already released (charged in `privateStatistics.ts`), so this is post-processing: no new
 * query, no ledger entry. For the same reason the kept features may be listed in the receipt.
 *
 * The same evidence of a stratum difference decides which differences the DP-moment start keeps
 * (`startEvidence`, `poolFeaturesWithoutEvidence` at the end of this file).
 */
import type { Task } from '../models/types.js';
import type { Encoder } from '../data/encoding.js';
import type { FeatureMoments } from '../privacy/statistics.js';
import type { StratumMoments } from './privateStatistics.js';
import type { SyntheticParameters } from './syntheticSet.js';

/**
 * Per feature (card order), its standardised separation from the DP moments: for a numeric feature of
 * a private classification run, |mean₁ − mean₀| over the sd of that difference's DP noise; otherwise,
 * for a numeric or binary feature, classification |mean₁ − mean₀| / pooled sd, survival the largest |stratum mean − pooled
 * mean| / pooled sd over the strata; for a categorical feature the largest such separation of one of
 * its level indicators (level share p, pooled sd √(p̄(1 − p̄))). A pooled sd of 0 scores 0 (every
 * stratum has the same value).
 */
export function featureSeparation(moments: readonly StratumMoments[], pooled: StratumMoments, task: Task): Float64Array {
  const separation = (means: readonly number[], pooledMean: number, pooledSd: number): number => {
    if (!(pooledSd > 0)) return 0;
    const spread = task === 'classification' ? Math.abs(means[1] - means[0]) : Math.max(...means.map((m) => Math.abs(m - pooledMean)));
    return spread / pooledSd;
  };
  return Float64Array.from(pooled.features, (feature, f) => {
    const levels = feature.levelProbabilities;
    if (!levels) {
      // A private run's numeric means carry the sd of their DP noise: a classification feature then
      // scores by the evidence of its difference, |mean₁ − mean₀| / √(noise₁² + noise₀²). Dividing
      // by the pooled sd instead favours features whose means are mostly noise (on physionet2012 the
      // top 30 by that score overlapped the exact top 30 hardly more than a random pick at ε ≤ 3).
      if (task === 'classification' && moments.every((s) => hasNoiseSd(s.features[f]))) return differenceEvidence(moments[0].features[f], moments[1].features[f]);
      return separation(moments.map((s) => s.features[f].mean), feature.mean, feature.sd);
    }
    let best = 0;
    levels.forEach((p, l) => {
      best = Math.max(best, separation(moments.map((s) => s.features[f].levelProbabilities![l]), p, Math.sqrt(p * (1 - p))));
    });
    return best;
  });
}

/** A private run's numeric mean carries the sd of its DP noise. */
function hasNoiseSd(moments: FeatureMoments): boolean {
  return (moments.meanNoiseSd ?? 0) > 0;
}

/** |mean_a − mean_b| over the sd of that difference's DP noise, √(noise_a² + noise_b²). */
function differenceEvidence(a: FeatureMoments, b: FeatureMoments): number {
  return Math.abs(a.mean - b.mean) / Math.hypot(a.meanNoiseSd!, b.meanNoiseSd!);
}

/** The k features of the largest separation (card order; ties to the earlier feature). */
export function topFeatures(separation: Float64Array, k: number): number[] {
  const order = Array.from(separation.keys()).sort((a, b) => separation[b] - separation[a] || a - b);
  return order.slice(0, k).sort((a, b) => a - b);
}

export class FeatureFocus {
  /** Indices of the frozen coordinates within one encoded row. */
  private readonly frozenColumns: Int32Array;
  /** Their values in Z: the pooled DP value of their feature. */
  private readonly frozenValues: Float64Array;

  constructor(
    private readonly encoder: Encoder,
    /** The features the steps move (card order). */
    readonly kept: readonly number[],
    pooled: StratumMoments,
    /** Features frozen because their DP bounds found no occupied bin (`unlocated: 'freeze'`), card order. */
    readonly unlocated: readonly number[] = [],
    /** Whether the focus only freezes those (the table is no wider than the focus acts on): kept is every other feature. */
    readonly allButFrozen = false,
  ) {
    const keep = new Set(kept);
    const columns: number[] = [];
    const values: number[] = [];
    encoder.slices.forEach((slice, f) => {
      if (keep.has(f)) return;
      const moments = pooled.features[f];
      for (let l = 0; l < slice.length; l++) {
        columns.push(slice.start + l);
        values.push(pooledValue(encoder, f, slice.type, moments.mean, moments.levelProbabilities, l));
      }
    });
    this.frozenColumns = Int32Array.from(columns);
    this.frozenValues = Float64Array.from(values);
  }

  /** Names of the kept features, for the receipt. */
  keptNames(): string[] {
    return this.kept.map((f) => this.encoder.slices[f].feature);
  }

  /** Names of the features frozen for want of located bounds, for the receipt. */
  unlocatedNames(): string[] {
    return this.unlocated.map((f) => this.encoder.slices[f].feature);
  }

  /** Set the frozen coordinates of every row of a parameter vector to their pooled values (per-row blocks untouched). */
  freeze(values: Float64Array, rows: number): void {
    const d = this.encoder.dim;
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < this.frozenColumns.length; c++) values[i * d + this.frozenColumns[c]] = this.frozenValues[c];
    }
  }

  /** Freeze a synthetic set in place (and return it). */
  freezeSet(synthetic: SyntheticParameters): SyntheticParameters {
    this.freeze(synthetic.values, synthetic.rows);
    synthetic.project(synthetic.values);
    return synthetic;
  }

  /**
   * Zero the frozen coordinates of K directions over p parameters (direction-major), so that no
   * probe and no gradient estimate ever moves them. Per-row blocks (log times, log weights) lie after
   * the m encoded rows and are never touched.
   */
  maskDirections(directions: Float64Array, K: number, p: number, rows: number): void {
    const d = this.encoder.dim;
    for (let k = 0; k < K; k++) {
      const offset = k * p;
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < this.frozenColumns.length; c++) directions[offset + i * d + this.frozenColumns[c]] = 0;
      }
    }
  }
}

/**
 * A frozen coordinate's value in Z: a numeric feature's pooled DP mean through the encoder's map
 * (clamped into its box: 0 under the standardised encoding, whose centre is that mean); a binary
 * feature's more frequent value (pooled P(1) ≥ 1/2: 1); a categorical feature's most frequent
 * level, one-hot (ties to the first level, as decoding does).
 */
function pooledValue(encoder: Encoder, f: number, type: string, mean: number, levels: Float64Array | undefined, level: number): number {
  if (type === 'binary') return mean >= 0.5 ? 1 : 0;
  if (type === 'categorical') {
    let best = 0;
    for (let l = 1; l < levels!.length; l++) if (levels![l] > levels![best]) best = l;
    return level === best ? 1 : 0;
  }
  const column = encoder.slices[f].start;
  const z = (mean - encoder.centers[f]) / encoder.scales[f];
  return Math.min(encoder.upper[column], Math.max(encoder.lower[column], z));
}

/**
 * The features a `featureFocus` setting keeps on a table of `features` features: undefined when off
 * or when the table has at most `above` features (k unless the run says otherwise: the default focus
 * acts above 30 features and keeps min(30, ⌊m/2⌋)), else the top k by `featureSeparation` of the DP moments.
 * Features in `frozen` (unlocated, `unlocated: 'freeze'`) are never kept: the focus takes the next
 * ones instead, and where it does not act every other feature is kept.
 */
export function keptFeatures(
  setting: 'off' | number,
  features: number,
  moments: readonly StratumMoments[],
  pooled: StratumMoments,
  task: Task,
  above: number = setting === 'off' ? Infinity : setting,
  frozen: readonly number[] = [],
): number[] | undefined {
  const isFrozen = new Set(frozen);
  const movable = Array.from({ length: features }, (_, f) => f).filter((f) => !isFrozen.has(f));
  if (setting === 'off' || !focusActs(setting, features, above)) return frozen.length > 0 ? movable : undefined;
  const separation = featureSeparation(moments, pooled, task);
  for (const f of frozen) separation[f] = -Infinity;
  return topFeatures(separation, Math.min(setting, movable.length));
}

/** Whether a focus on k features acts on a table of `features` features (more than `above` and than k). */
function focusActs(k: number, features: number, above: number): boolean {
  return features > above && features > k;
}

/**
 * The focus a `featureFocus` setting asks for (`keptFeatures`), frozen at the pooled values given.
 * `kept` when the kept set was already chosen (from the first moments measurement, before the
 * focused measurement of those features: `condense.ts`).
 */
export function chooseFeatureFocus(
  setting: 'off' | number,
  encoder: Encoder,
  moments: readonly StratumMoments[],
  pooled: StratumMoments,
  task: Task,
  kept?: number[],
  above?: number,
  unlocated: readonly number[] = [],
): FeatureFocus | undefined {
  const chosen = kept ?? keptFeatures(setting, encoder.slices.length, moments, pooled, task, above, unlocated);
  const acts = setting !== 'off' && focusActs(setting, encoder.slices.length, above ?? setting);
  return chosen && new FeatureFocus(encoder, chosen, pooled, unlocated, !acts);
}

/** What `poolFeaturesWithoutEvidence` did: the start's moments, the threshold, the features pooled (card order) and how kept differences were treated. */
export interface EvidencePooling {
  moments: StratumMoments[];
  threshold: number;
  pooled: number[];
  shrink: 'hard' | 'soft';
}

/**
 * The DP-moment start's stratum moments with the stratum differences that carry no evidence pooled
 * away (`startEvidence: 'universal'`, private runs). A numeric feature's evidence is its largest
 * stratum difference over that difference's known noise sd, |mean_a − mean_b| / √(noise_a² + noise_b²)
 * over the pairs of strata (classification: the one pair, the score `featureSeparation` ranks by).
 * A feature whose evidence is at most √(2 ln N), N the comparisons made (numeric features with a
 * known noise sd × pairs of strata), starts at its pooled DP mean in every stratum, each stratum
 * keeping its own DP spread.
 *
 * Why: the noise on a stratum mean is proportional to the feature's public bounds, and on wdbc some
 * bounds are 30–380 true sds wide, so at ε ≤ 3 the start draws the classes apart on features that
 * barely differ — a perfect separator of the 20 rows that a tree then splits on. √(2 ln N) is the
 * universal threshold of Donoho and Johnstone (1994): of N pure-noise comparisons the largest stays
 * below it with probability → 1, so a difference that clears it is evidence, and one that does not
 * is treated as none. The steps may still move every feature. Post-processing of the released
 * moments: no query, no ledger entry. With `shrink: 'soft'` (`startEvidence: 'universal-soft'`) a
 * kept difference is also shrunk by the threshold, Donoho and Johnstone's soft thresholding.
 */
export function poolFeaturesWithoutEvidence(moments: readonly StratumMoments[], pooled: StratumMoments, shrink: 'hard' | 'soft' = 'hard'): EvidencePooling | undefined {
  const S = moments.length;
  const candidates = pooled.features.flatMap((_, f) => (moments.every((s) => hasNoiseSd(s.features[f])) ? [f] : []));
  const comparisons = (candidates.length * S * (S - 1)) / 2;
  if (comparisons === 0) return undefined;
  const threshold = Math.sqrt(2 * Math.log(comparisons));
  const evidence = (f: number): number => {
    let best = 0;
    for (let a = 0; a < S; a++) {
      for (let b = a + 1; b < S; b++) best = Math.max(best, differenceEvidence(moments[a].features[f], moments[b].features[f]));
    }
    return best;
  };
  // Per feature, the share of each stratum's difference from the pooled mean the start keeps: 0 at
  // or below the threshold; above it 1 (hard) or 1 − threshold / evidence (soft: every difference
  // shrunk by the threshold, so one that clears it by noise is barely kept).
  const kept = new Float64Array(pooled.features.length).fill(1);
  for (const f of candidates) {
    const e = evidence(f);
    kept[f] = e <= threshold ? 0 : shrink === 'soft' ? 1 - threshold / e : 1;
  }
  return {
    threshold,
    shrink,
    pooled: candidates.filter((f) => kept[f] === 0),
    moments: moments.map((s) => ({
      count: s.count,
      features: s.features.map((m, f) => (kept[f] === 1 ? m : { ...m, mean: pooled.features[f].mean + kept[f] * (m.mean - pooled.features[f].mean) })),
    })),
  };
}
