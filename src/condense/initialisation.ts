/**
 * Step 4 of the pipeline: the encoder (standardised by DP means and spreads, boxed by the public or
 * DP bounds) and the initial synthetic set. Reads only DP statistics and public information, except
 * the `real-rows` ablation, which the receipt marks as not private. The `mst` start is a sample of an
 * MST model fitted (and charged) for it: post-processing of MST's charged measurements.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { DatasetCard } from '../data/card.js';
import { Encoder } from '../data/encoding.js';
import type { Table } from '../data/table.js';
import type { StratumMoments } from './privateStatistics.js';
import type { RunSettings } from './settings.js';
import { SyntheticParameters, initialiseFromMoments, initialiseUniform, stratumOfRows } from './syntheticSet.js';
import type { TaskOutcomes } from './task.js';
import type { MstModel } from '../synthesis/mst/index.js';

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
  /** Only for the `mst` start: fits (and charges) the MST model; the survival strata's DP median event time. */
  mst?: () => { model: MstModel; riskGroupSplitTime?: number };
}

export function initialiseSyntheticSet({ settings, encoder, moments, outcomes, publicRng, realRows, mst }: InitialisationInput): SyntheticParameters {
  let initialRows: Matrix;
  if (settings.initialisation === 'mst') {
    const { model, riskGroupSplitTime } = mst!();
    initialRows = initialiseFromMst(model, encoder, outcomes.allocation, riskGroupSplitTime, publicRng);
  } else if (settings.initialisation === 'private') {
    initialRows = initialiseFromMoments(encoder, moments, outcomes.allocation, publicRng, settings.initialSpread, settings.spreadRule === 'noise', settings.initialDraws);
  } else if (settings.initialisation === 'uniform') {
    initialRows = initialiseUniform(encoder, settings.rows, publicRng);
  } else {
    const { train, strata } = realRows!();
    initialRows = copyRealRows(train, encoder, strata, outcomes.allocation, publicRng);
  }
  // Learned row weights are normalised within each stratum's rows (laid out stratum by stratum).
  const weightStrata = settings.rowWeights ? stratumOfRows(outcomes.allocation) : undefined;
  return new SyntheticParameters(encoder, initialRows, outcomes.syntheticTarget, outcomes.logTimeBox, weightStrata);
}

/**
 * The MST start: each stratum's rows are an MST sample conditioned on the stratum — the class, or
 * (survival) the event status and, for events, the side of the risk groups' split time (the grid
 * edge nearest the DP median event time: time bins whose midpoint lies at or below it are early; no
 * time condition when either side would be empty).
 */
export function initialiseFromMst(model: MstModel, encoder: Encoder, allocation: Int32Array, riskGroupSplitTime: number | undefined, rng: Rng): Matrix {
  const label = model.attributes.find((a) => a.role === 'label');
  let evidence: Record<string, number[]>[];
  if (label) evidence = [{ [label.name]: [0] }, { [label.name]: [1] }];
  else {
    const time = model.attributes.find((a) => a.role === 'time')!;
    const event = model.attributes.find((a) => a.role === 'event')!;
    const early: number[] = [];
    const late: number[] = [];
    const edges = time.edges!;
    for (let k = 0; k + 1 < edges.length; k++) ((edges[k] + edges[k + 1]) / 2 <= (riskGroupSplitTime ?? NaN) ? early : late).push(k);
    const split = early.length > 0 && late.length > 0;
    evidence = [
      { [event.name]: [1], ...(split ? { [time.name]: early } : {}) },
      { [event.name]: [1], ...(split ? { [time.name]: late } : {}) },
      { [event.name]: [0] },
    ];
  }
  const out = matrix(allocation.reduce((a, c) => a + c, 0), encoder.dim);
  let offset = 0;
  allocation.forEach((count, s) => {
    if (count === 0) return;
    const rows = encoder.encode(model.sample(count, rng, evidence[s]), { missing: 'impute' });
    out.data.set(rows.data, offset);
    offset += rows.data.length;
  });
  encoder.project(out);
  return out;
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
