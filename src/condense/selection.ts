/**
 * The private selection of the release. One run produces many candidate tables for free — several
 * draws of the start from the same DP statistics, and the rows at checkpoints of the one
 * zero-order trajectory — and the exponential mechanism picks among them twice: first the start
 * the steps run from (among r draws), then the table to release (among k checkpoints, from that
 * start before any step to the end).
 *
 * Score of candidate j: minus the summed per-record loss, over every real record, of the
 * condensation learners trained on candidate j (the objective the steps optimise), each record's
 * loss clipped to [0, B] with B the loss bound the steps scale their clip norm by. Adding or
 * removing one record moves every score by at most B, so drawing j with probability
 * ∝ exp(ε_sel·score_j / (2B)) is ε_sel-DP and, being ε_sel-bounded-range, ε_sel²/8-zCDP (Cesar &
 * Rogers 2021): the ledger's `exponential` entry, counted once per draw. Each draw is the
 * Gumbel-max trick (argmax of score·ε_sel/(2B) plus independent Gumbel noise, which samples
 * exactly that distribution) with the run's secret generator. Only the chosen indices leave the
 * mechanism; the scores never do.
 *
 * The candidates themselves cost nothing: the starts are post-processing of the DP statistics,
 * the checkpoints of the steps' charged outputs. The selection's budget is charged before the steps
 * are planned, so their σ is calibrated on what is left and the run's total stays the requested ε.
 * (When the noise-figure gate then moves all of the steps' budget to the moments, `--repeat-share 1`,
 * the second draw has the start alone to choose from: its charge buys nothing.)
 */
import type { Rng } from '../core/rng.js';
import type { Encoder } from '../data/encoding.js';
import type { Table } from '../data/table.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { exponentialMechanismIndex } from '../privacy/random.js';
import { MECHANISM, type DataAccessScope } from '../privacy/dataAccess.js';
import { PerRecordLoss, maxRecordLoss, type LearnerRecipe, type LossSpec } from './objective.js';
import { matrix } from '../core/matrix.js';
import { BatchBuffer } from './steps.js';
import type { RunSettings } from './settings.js';
import type { SyntheticParameters } from './syntheticSet.js';

/** What the selection will do, fixed from public settings before anything is spent. */
export interface SelectionPlan {
  /** r: draws of the start to choose the steps' start among (1: no choice of start). */
  starts: number;
  /** k: candidate tables to release (the chosen start and k − 1 checkpoints of the steps). */
  candidates: number;
  /** Exponential-mechanism draws: 2 with a choice of start, else 1. */
  draws: number;
  /** ε_sel of each draw (Infinity in a non-private run: the best candidate). */
  epsilon: number;
}

/** What the selection released: its plan, the chosen indices and the resolution it offered. */
export interface SelectionOutcome {
  plan: SelectionPlan;
  /** Index of the chosen start (0 when there was no choice). */
  start: number;
  /** Index of the released checkpoint (0: the start, before any step). */
  chosen: number;
  resolution: number;
}

/** Probability of missing the gap `selectionResolution` reports (β of the exponential mechanism's utility bound). */
export const SELECTION_FAILURE_PROBABILITY = 0.1;

/**
 * ρ of Gaussian-like spending that an (ε, δ) budget allows under the standard zCDP conversion
 * ε = ρ + 2√(ρ·ln(1/δ)): ρ = (√(ε + L) − √L)², L = ln(1/δ). Public.
 */
export function zcdpOfBudget(epsilon: number, delta: number): number {
  const L = Math.log(1 / delta);
  return (Math.sqrt(epsilon + L) - Math.sqrt(L)) ** 2;
}

/**
 * The selection's ε_sel by a rule on public quantities: the zCDP cost of its draws, D·ε_sel²/8, is
 * `share` of the ρ the run's (ε, δ) allows, ε_sel = √(8·share·ρ(ε, δ)/D). A share of ρ, not of ε,
 * because ρ is what composes additively: at share 0.1 the other mechanisms keep 90 % of the
 * budget's ρ, so their noise grows by about 1/√0.9 ≈ 5 %, at every ε. The start is chosen only
 * when it is drawn from public knowledge or DP statistics (the DP-moment and uniform starts; an
 * MST start is one charged sample).
 */
export function planSelection(
  settings: Pick<RunSettings, 'epsilon' | 'delta' | 'steps' | 'selectionShare' | 'selectionCandidates' | 'selectionStarts' | 'initialisation' | 'isPrivate'>,
): SelectionPlan | undefined {
  if (!(settings.selectionShare > 0) || settings.steps === 0) return undefined;
  const starts = settings.initialisation === 'private' || settings.initialisation === 'uniform' ? settings.selectionStarts : 1;
  const draws = starts > 1 ? 2 : 1;
  const epsilon = settings.isPrivate ? Math.sqrt((8 * settings.selectionShare * zcdpOfBudget(settings.epsilon, settings.delta)) / draws) : Infinity;
  return { starts, candidates: settings.selectionCandidates, draws, epsilon };
}

/** Charge the selection (before the steps are planned, so they are calibrated on the rest). */
export function chargeSelection(plan: SelectionPlan, ledger: PrivacyLedger): void {
  ledger.charge({
    kind: 'exponential',
    name: MECHANISM.releaseSelection,
    epsilon: plan.epsilon,
    count: plan.draws,
    purpose:
      (plan.starts > 1 ? `choice of the steps' start among ${plan.starts} draws from the DP statistics, then ` : '') +
      `choice of the released table among ${plan.candidates} checkpoints of the steps, by the learners' clipped loss on the real records`,
  });
}

/**
 * The mean-loss gap the selection resolves: with probability ≥ 1 − β each draw's chosen candidate
 * has a mean per-record loss within 2B·ln(k/β) / (ε_sel·n̂) of the best candidate's (the
 * exponential mechanism's utility bound, divided by the DP record count n̂; k the larger of the
 * two draws' candidate counts). Post-processing of DP and public quantities, so it may be released.
 */
export function selectionResolution(plan: SelectionPlan, lossSpec: LossSpec, recordCount: number): number {
  if (plan.epsilon === Infinity) return 0;
  return (2 * maxRecordLoss(lossSpec) * Math.log(Math.max(plan.starts, plan.candidates) / SELECTION_FAILURE_PROBABILITY)) / (plan.epsilon * Math.max(1, recordCount));
}

/** Step numbers after which the candidates are taken: 0 (the start), then evenly spaced up to T. */
export function checkpointSteps(steps: number, candidates: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < candidates; j++) {
    const step = Math.round((steps * j) / (candidates - 1));
    if (out[out.length - 1] !== step) out.push(step);
  }
  return out;
}

export interface SelectionInput {
  plan: SelectionPlan;
  /** Candidate parameter vectors of `synthetic`. */
  candidates: readonly Float64Array[];
  synthetic: SyntheticParameters;
  learners: readonly LearnerRecipe[];
  lossSpec: LossSpec;
  train: Table;
  encoder: Encoder;
  scope: DataAccessScope;
  noiseRng: Rng;
}

/** Records scored per pass (the real rows are encoded block by block, never all at once). */
const BLOCK = 2048;

/**
 * The selection mechanism (READS REAL RECORDS, inside its charged scope): the index of the chosen
 * candidate. Every learner is fitted with the same public seed (0), so the scores differ only
 * through the candidates, not through the learners' dice.
 */
export function selectCandidate(input: SelectionInput): number {
  const { plan, candidates, synthetic, lossSpec, train, encoder } = input;
  const bound = maxRecordLoss(lossSpec);
  return input.scope.inside(MECHANISM.releaseSelection, () => {
    const n = train.nRows;
    const losses = new PerRecordLoss(input.learners, lossSpec, Math.min(n, BLOCK));
    const batch = new BatchBuffer(encoder, train, Math.min(n, BLOCK));
    const X = matrix(synthetic.rows, encoder.dim);
    const perRecord = new Float64Array(BLOCK);
    const indices = new Int32Array(BLOCK);
    const scores = new Float64Array(candidates.length);
    candidates.forEach((values, j) => {
      // One fit per candidate, scored block by block on the real records.
      losses.fit(X, synthetic.materialise(values, X), 0, synthetic.weightsOf(values));
      for (let from = 0; from < n; from += BLOCK) {
        const size = Math.min(BLOCK, n - from);
        for (let i = 0; i < size; i++) indices[i] = from + i;
        const real = batch.gather(indices.subarray(0, size));
        const loss = losses.score(real.X, real.target, perRecord);
        let sum = 0;
        // Clipped to [0, B] whatever the learner predicts: the sensitivity argument needs it.
        for (let i = 0; i < size; i++) sum += loss[i] <= 0 ? 0 : loss[i] < bound ? loss[i] : bound; // NaN → B
        scores[j] -= sum;
      }
    });
    return exponentialMechanismIndex(scores, plan.epsilon, bound, input.noiseRng);
  });
}
