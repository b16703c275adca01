/**
 * Step 4 of the pipeline: the encoder (standardised by DP means and spreads, boxed by the public or
 * DP bounds) and the initial synthetic set. Reads only DP statistics and public information, except
 * the `real-rows` ablation, which the receipt marks as not private.
 */
import type { Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { DatasetCard } from '../data/card.js';
import { Encoder } from '../data/encoding.js';
import type { Table } from '../data/table.js';
import type { StratumMoments } from './privateStatistics.js';
import type { RunSettings } from './settings.js';
import { SyntheticParameters, initialiseFromMoments, initialiseUniform } from './syntheticSet.js';
import type { TaskOutcomes } from './task.js';

/** Numeric coordinates of Z as (x − DP mean) / DP sd (`standardised`), or the [0, 1] box of the bounds. */
export function buildEncoder(card: DatasetCard, bounds: Record<string, [number, number]>, featureBounds: readonly [number, number][], pooled: StratumMoments, encoding: RunSettings['encoding']): Encoder {
  const scaling: Record<string, { center: number; scale: number }> = {};
  card.features.forEach((f, j) => {
    if (encoding === 'standardised' && (f.type === 'numeric' || f.type === 'integer')) {
      const [low, high] = featureBounds[j];
      const center = Math.min(high, Math.max(low, pooled.features[j].mean));
      scaling[f.name] = { center, scale: Math.max(pooled.features[j].sd, 1e-3 * (high - low)) };
    }
  });
  return new Encoder(card, { scaling, bounds });
}

export interface InitialisationInput {
  settings: RunSettings;
  encoder: Encoder;
  moments: readonly StratumMoments[];
  outcomes: TaskOutcomes;
  publicRng: Rng;
  /** Only for the non-private `real-rows` ablation: the real table and its strata. */
  realRows?: () => { train: Table; strata: Int32Array };
}

export function initialiseSyntheticSet({ settings, encoder, moments, outcomes, publicRng, realRows }: InitialisationInput): SyntheticParameters {
  let initialRows: Matrix;
  if (settings.initialisation === 'private') {
    initialRows = initialiseFromMoments(encoder, moments, outcomes.allocation, publicRng, settings.initialSpread);
  } else if (settings.initialisation === 'uniform') {
    initialRows = initialiseUniform(encoder, settings.rows, publicRng);
  } else {
    const { train, strata } = realRows!();
    initialRows = copyRealRows(train, encoder, strata, outcomes.allocation, publicRng);
  }
  return new SyntheticParameters(encoder, initialRows, outcomes.syntheticTarget, outcomes.logTimeBox);
}

/** Non-private ablation only: start from random real rows of each stratum. */
function copyRealRows(train: Table, encoder: Encoder, strata: Int32Array, allocation: Int32Array, rng: Rng): Matrix {
  const chosen = new Int32Array(allocation.reduce((a, c) => a + c, 0));
  let row = 0;
  allocation.forEach((count, s) => {
    const members: number[] = [];
    strata.forEach((v, i) => v === s && members.push(i));
    for (let r = 0; r < count; r++, row++) chosen[row] = members[rng.int(members.length)];
  });
  const out = encoder.encodeRows(train, chosen, new Float64Array(chosen.length * encoder.dim), { missing: 'impute' });
  encoder.project(out);
  return out;
}
