/**
 * Step 5 of the pipeline: the T DP zero-order steps. `planSteps` fixes, from public and DP quantities
 * only, the sampling rate, the clip norm, the loss channel, the steps' measurement (σ calibrated
 * against what the preprocessing left of the budget) and the learning rate; `runSteps` charges the
 * measurement and runs the loop: sample a Poisson batch, draw the public directions and seeds,
 * evaluate them, privatise, take an optimiser step.
 */
import type { Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { Encoder } from '../data/encoding.js';
import type { Table } from '../data/table.js';
import type { Target } from '../models/types.js';
import { calibrateNoiseMultiplier } from '../privacy/calibrate.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { SubsampledGaussianSum } from '../privacy/measurements.js';
import { MECHANISM, type DataAccessScope } from '../privacy/dataAccess.js';
import { PerRecordLoss, maxRecordLoss, type LossSpec } from './objective.js';
import { createIterateAverage, createOptimiser } from './optimiser.js';
import type { FeatureFocus } from './featureFocus.js';
import { DEFAULTS, REFERENCE_ROWS, type BudgetPath, type CondenseProgress, type RunSettings } from './settings.js';
import { chooseRowGroups, expandGroupDirections, groupDirectionLength, type RowGroups } from './rowGroups.js';
import type { SyntheticParameters } from './syntheticSet.js';
import { tieTwinDirections, type TwinPairs } from './twins.js';
import { InlineDirectionEvaluator, ZerothOrderStep, drawDirections, type DirectionEvaluator, type DirectionEvaluatorFactory } from './zerothOrder.js';

export interface StepPlan {
  /** The Poisson-subsampled Gaussian sum every step releases (σ, C, q, T). */
  measurement: SubsampledGaussianSum;
  /** n̂: the DP record count (exact when not private). */
  recordCount: number;
  lossChannelWeight: number;
  /** The learning rate after the noise-drift cap. */
  learningRate: number;
  /**
   * ν: standard deviation of one step's DP noise per coordinate of the gradient estimate,
   * σC / (q·n̂ · 2μ · √K) (0 when there is no noise).
   */
  noisePerCoordinate: number;
}

/**
 * Sampling rate q = b / n̂, clip norm C (default scaling with √K and the loss bound), σ calibrated so
 * that the ledger's spending plus T steps stays within ε, and the learning rate capped so the DP
 * noise alone cannot drift the rows further than `maxNoiseDrift` standardised units.
 */
export function planSteps(settings: RunSettings, lossSpec: LossSpec, recordCount: number, ledger: PrivacyLedger, steps: number = settings.steps): StepPlan {
  const { directions, smoothing, isPrivate } = settings;
  const samplingRate = Math.min(1, settings.batchSize / recordCount);
  const maxLoss = maxRecordLoss(lossSpec);
  const clipNorm = isPrivate ? settings.clipNorm ?? settings.clipScale * Math.sqrt(directions) * maxLoss : Infinity;
  const lossChannelShare = DEFAULTS.lossChannelShare;
  const lossChannelWeight = (lossChannelShare * (Number.isFinite(clipNorm) ? clipNorm : Math.sqrt(directions) * maxLoss)) / maxLoss;
  const noiseMultiplier =
    steps > 0 && isPrivate ? calibrateNoiseMultiplier({ targetEpsilon: settings.epsilon, delta: settings.delta, samplingRate, steps, prior: ledger }).noiseMultiplier : 0;
  const measurement = new SubsampledGaussianSum(
    MECHANISM.zeroOrderSteps,
    `${steps} DP zero-order steps (K = ${directions} directions, clip norm ${round(clipNorm)})`,
    noiseMultiplier,
    clipNorm,
    samplingRate,
    steps,
  );
  // The DP noise alone moves each coordinate by a random walk. Its per-step standard deviation per
  // coordinate is about σC / (q·n̂ · 2μ · √K) (for SGD, amplified by 1/(1 − momentum)); capping the
  // learning rate so that the walk over T steps stays within `maxNoiseDrift` standardised units keeps
  // low-ε runs from diffusing the rows away from their private initialisation.
  const noisePerCoordinate = (noiseMultiplier * (Number.isFinite(clipNorm) ? clipNorm : 0)) / (samplingRate * recordCount * 2 * smoothing * Math.sqrt(directions));
  const driftPerUnitRate = (noisePerCoordinate * Math.sqrt(steps)) / (settings.optimiser === 'sgd' ? 1 - settings.momentum : 1);
  const requested = settings.learningRate;
  const learningRate = settings.optimiser === 'sgd' && driftPerUnitRate > 0 ? Math.min(requested, settings.maxNoiseDrift / driftPerUnitRate) : requested;
  return { measurement, recordCount, lossChannelWeight, learningRate, noisePerCoordinate };
}

export interface StepsGate {
  /** R, from public and DP quantities only (undefined when it was not computed: no steps asked, or the MST start). */
  noiseFigure?: number;
  path: BudgetPath;
  /** Share of the ε left after the preprocessing that goes to a second moments measurement (0: none). */
  repeatShare: number;
}

/**
 * The steps' noise figure R = ν·m / (√T · max loss). With full composition the DP noise in the
 * run-mean gradient per coordinate is ν/√T whatever T, q and K are, while the largest gradient a
 * coordinate can have is about (max loss)/m (a row is 1/m of the table, its loss within
 * [0, max loss]). So R is the noise-to-signal ratio of the mean gradient in the most favourable
 * case; real gradients are smaller, so the real ratio is larger. Every input is public (m, T, K, μ,
 * b, the loss bound) or a DP output already charged (n̂, the class weights, σ calibrated against
 * the ledger), so R may be released.
 */
export function noiseFigure(plan: StepPlan, settings: RunSettings, lossSpec: LossSpec, groups?: RowGroups): number {
  // With tied rows a group's coordinate gradient is the sum over its rows: the smallest group's
  // largest gradient is s_min·(max loss)/m (`rowGroups.ts`).
  const figure = figureAtRows(plan, lossSpec, settings.rows / (groups?.smallest ?? 1));
  return settings.figureSignal === 'clipped' ? figure / clippedSignalShare(plan, settings.directions, lossSpec) : figure;
}

/**
 * The share of the loss bound B that one direction's mean loss difference can keep after clipping:
 * min(1, C / (√K·B)). A smooth learner's loss difference along K independent Gaussian directions
 * spreads over all of them alike, so a record's K-vector reaches norm √K·(its per-direction size)
 * and the clip at C caps each direction near C/√K. The steps' noise scales with C; measured against
 * B alone, the figure would improve as C shrinks although the signal shrinks with it.
 */
function clippedSignalShare(plan: StepPlan, directions: number, lossSpec: LossSpec): number {
  const { clipNorm } = plan.measurement;
  return Number.isFinite(clipNorm) ? Math.min(1, clipNorm / (Math.sqrt(directions) * maxRecordLoss(lossSpec))) : 1;
}

/** R = ν·rows / (√T · max loss) of this plan's noise for a table of `rows` untied rows (0 without noise). */
function figureAtRows(plan: StepPlan, lossSpec: LossSpec, rows: number): number {
  const steps = plan.measurement.steps;
  if (steps === 0 || plan.noisePerCoordinate === 0) return 0;
  return (plan.noisePerCoordinate * rows) / (Math.sqrt(steps) * maxRecordLoss(lossSpec));
}

/**
 * The smoothing radius the steps run with. `fixed`: μ as given. `noise`: μ·√(R/R*) when the noise
 * figure R of the steps as they run (at μ, with their tied row `groups`) exceeds R*
 * (`smoothingReference`), else μ. Why the square root: a zero-order estimate's squared error is the
 * smoothing bias, growing as μ², plus the DP noise variance, which falls as 1/μ² (ν ∝ 1/μ), so the
 * best radius grows as the square root of the noise at a fixed radius — and R is that noise in units
 * of the largest gradient. Where the row groups keep R within the gate's limit (the default), μ grows
 * at most √(limit/R*)-fold.
 *
 * `row-noise`: the same with the figure of the same steps on a table of `REFERENCE_ROWS` untied rows
 * (20 classification, 50 survival: the size μ and R* were validated at), ν·m_ref / (√T · max loss).
 * It reads the DP noise per row coordinate, ν/√T, which does not depend on m or on the tied groups.
 * Why not R itself: R grows as m because a row's smooth gradient shrinks as 1/m, and the argument
 * above then widens μ by √m; but the probe's bias moves every row by μ, and for a tree (a row
 * crossing a split changes its leaf) that bias does not shrink with m — at m = 200 the `noise` rule
 * cost CART in 5 of 6 cells (docs/RESULTS.md). At the reference size the two rules are the same.
 *
 * Public and DP quantities only (ν, T, the loss bound, m). Non-private runs keep μ.
 */
export function stepsSmoothing(plan: StepPlan, settings: RunSettings, lossSpec: LossSpec, groups?: RowGroups): number {
  if (settings.smoothingRule === 'fixed' || !settings.isPrivate) return settings.smoothing;
  const figure = settings.smoothingRule === 'row-noise' ? figureAtRows(plan, lossSpec, REFERENCE_ROWS[settings.task]) : noiseFigure(plan, settings, lossSpec, groups);
  return figure > settings.smoothingReference ? settings.smoothing * Math.sqrt(figure / settings.smoothingReference) : settings.smoothing;
}

/** The tied row groups the steps of this plan run with (`rowGroups.ts`; the rule reads R of the untied steps). */
export function rowGroupsFor(plan: StepPlan, settings: RunSettings, lossSpec: LossSpec, allocation: Int32Array): RowGroups {
  return chooseRowGroups(settings.rowGroups, noiseFigure(plan, settings, lossSpec), settings.noiseFigureLimit, allocation);
}

/**
 * The noise-figure gate: take the steps only when R ≤ `noiseFigureLimit` — R of the untied steps
 * (`gateOn: 'rows'`, the default: `groups` undefined), or of the steps with their tied row groups
 * (`gateOn: 'groups'`: with `rowGroups: 'auto'` the gate then acts only when even one group per
 * stratum cannot bring R within the limit). Default limit 1/2: the largest
 * possible mean gradient must stand two noise standard deviations clear of zero — the usual
 * two-sided 95 % test, z = 1.96 — before the steps are trusted to move a row the right way).
 * Above the limit `repeatShare` of the steps' ε buys a second measurement of the stratum moments
 * and the steps run on the rest. Default 1/2: above the limit the steps cannot resolve a smooth
 * learner's gradient, yet they still correct a poor start for trees (a row crossing a split moves
 * the loss of every record in the leaf, more than the smooth bound R assumes) — so neither use of
 * the budget dominates, and with no model of how the two errors trade, the budget is halved
 * (docs/RESULTS.md, "The noise-figure gate": share 1, no steps, cost CART 0.04–0.09 AUROC).
 */
export function gateSteps(plan: StepPlan, settings: RunSettings, lossSpec: LossSpec, groups?: RowGroups): StepsGate {
  if (plan.measurement.steps === 0) return { path: 'no-steps', repeatShare: 0 };
  const figure = noiseFigure(plan, settings, lossSpec, groups);
  if (!(figure > settings.noiseFigureLimit)) return { noiseFigure: figure, path: 'steps', repeatShare: 0 };
  const share = settings.repeatShare;
  return { noiseFigure: figure, path: share < 1 ? 'repeated-moments-and-steps' : 'repeated-moments', repeatShare: share };
}

export interface TraceRow {
  step: number;
  loss: number;
  smoothedLoss: number;
  smoothing: number;
}

export interface StepsInput {
  settings: RunSettings;
  plan: StepPlan;
  synthetic: SyntheticParameters;
  /** Tied row groups: each direction moves every row of a group by the group's one vector (default: untied). */
  groups?: RowGroups;
  lossSpec: LossSpec;
  train: Table;
  /** Encodes each real batch (read only inside the steps' mechanism). */
  encoder: Encoder;
  ledger: PrivacyLedger;
  scope: DataAccessScope;
  noiseRng: Rng;
  publicRng: Rng;
  /** Where the 2K fits of a step run (default: inline on this thread), or a factory for it. */
  evaluator?: DirectionEvaluator | DirectionEvaluatorFactory;
  onProgress?: (progress: CondenseProgress) => void;
  checkAbort: () => void;
  /** With `featureFocus`: the frozen features, whose coordinates every direction leaves at 0. */
  focus?: FeatureFocus;
  /** With `twins`: the cross-class twin pairs, whose second rows take their first rows' direction entries. */
  twins?: TwinPairs;
  /** Called with the step count after each of these steps (0: before the first), e.g. to keep candidates. */
  checkpoints?: { after: readonly number[]; keep: (stepsTaken: number) => void };
}

/** Charge the steps' measurement, then run them; the synthetic set's values are updated in place. */
export async function runSteps(input: StepsInput): Promise<TraceRow[]> {
  const { settings, plan, synthetic, train, scope, noiseRng, publicRng, ledger } = input;
  const { directions: K, smoothing, smoothingDecay } = settings;
  const { measurement } = plan;
  const steps = measurement.steps;
  if (steps > 0) measurement.charge(ledger);
  const parameters = synthetic.values;
  // Poisson batches are drawn by skipping from one sampled record to the next and encoded straight
  // from the table, so a step costs O(q·n) whatever n is; buffers start at a size the batch
  // exceeds with negligible probability (mean + 6 sd) and grow if it does. The real row count n
  // drives the sampler and sizes the buffers, so it is read only inside the steps' mechanism;
  // everything outside it scales by the DP count n̂.
  const { sampler, batchCapacity } = scope.inside(MECHANISM.zeroOrderSteps, () => {
    const n = train.nRows;
    const q = measurement.samplingRate;
    return { sampler: measurement.batchSampler(n), batchCapacity: Math.min(n, Math.ceil(q * n + 6 * Math.sqrt(q * n) + 16)) };
  });
  const inline = new InlineDirectionEvaluator(synthetic, new PerRecordLoss(settings.learners, input.lossSpec, batchCapacity), K, batchCapacity);
  const evaluator =
    typeof input.evaluator === 'function'
      ? input.evaluator({ synthetic, learners: settings.learners, lossSpec: input.lossSpec, directions: K, batchCapacity }, inline)
      : input.evaluator ?? inline;
  const privatiser = new ZerothOrderStep(measurement, { directions: K, lossChannelWeight: plan.lossChannelWeight, lossChannelShare: DEFAULTS.lossChannelShare }, batchCapacity);
  const optimiser = createOptimiser(settings.optimiser, parameters.length, settings.momentum);
  const gradient = new Float64Array(parameters.length);
  // The iterates only read here: averaging them never feeds back into the steps.
  const average = createIterateAverage(settings.iterateAverage, parameters.length, steps);
  // Two sets of public directions and seeds: while a step's fits run (on workers, when there are
  // any) the next step's are drawn into the other set. K·p normals are the one large piece of a
  // step outside the fits (3.5–5 ms of a 30 ms Cox step at m = 200, K = 16), and the public
  // generator draws nothing else, so drawing them early leaves every stream, and the run, unchanged.
  let draw = { directions: new Float64Array(K * parameters.length), seeds: new Int32Array(K) };
  let nextDraw = { directions: new Float64Array(K * parameters.length), seeds: new Int32Array(K) };
  const drawTied = tiedDirections(synthetic, input.groups, K, publicRng);
  // With a feature focus the draw is the same, then the frozen coordinates are zeroed.
  const focus = input.focus;
  const masked: typeof drawTied = focus
    ? (into) => {
        drawTied(into);
        focus.maskDirections(into.directions, K, parameters.length, synthetic.rows);
      }
    : drawTied;
  // With twins, each pair then shares its first row's entries (`twins.ts`).
  const twins = input.twins;
  const drawNext: typeof drawTied = twins && twins.length > 0
    ? (into) => {
        masked(into);
        tieTwinDirections(into.directions, K, parameters.length, synthetic.encoder.dim, twins);
      }
    : masked;
  if (steps > 0) drawNext(draw);
  const batch = new BatchBuffer(input.encoder, train, batchCapacity);
  const expectedBatchSize = measurement.samplingRate * plan.recordCount;
  const trace: TraceRow[] = [];
  const epsilonSpent = ledger.spent().epsilon;
  const started = Date.now();
  let smoothedLoss = NaN;
  const checkpoints = new Set(input.checkpoints?.after ?? []);
  if (checkpoints.has(0)) input.checkpoints!.keep(0);
  for (let step = 0; step < steps; step++) {
    input.checkAbort();
    const mu = smoothing * (1 - ((1 - smoothingDecay) * step) / Math.max(1, steps - 1));
    const estimate = await scope.insideAsync(MECHANISM.zeroOrderSteps, async () => {
      const { X, target } = batch.gather(sampler.sample(noiseRng));
      const { directions, seeds } = draw;
      const evaluating = evaluator.evaluateDirections({ parameters, directions, seeds, smoothing: mu, batchX: X, batchTarget: target });
      if (step + 1 < steps) drawNext(nextDraw);
      const evaluation = await evaluating;
      return privatiser.estimate(evaluation, X.rows, directions, mu, expectedBatchSize, noiseRng, gradient);
    });
    [draw, nextDraw] = [nextDraw, draw];
    optimiser.step(parameters, gradient, plan.learningRate);
    synthetic.project(parameters);
    if (average) {
      average.observe(step + 1, parameters);
      // After the last step the parameters become the average (the box is convex, but the division
      // may round a coordinate at a bound an ulp outside it): the release, and the selection's
      // last checkpoint, are the averaged table.
      if (step + 1 === steps) {
        average.writeInto(parameters);
        synthetic.project(parameters);
      }
    }
    if (checkpoints.has(step + 1)) input.checkpoints!.keep(step + 1);
    smoothedLoss = Number.isNaN(smoothedLoss) ? estimate.loss : 0.9 * smoothedLoss + 0.1 * estimate.loss;
    trace.push({ step: step + 1, loss: estimate.loss, smoothedLoss, smoothing: mu });
    if (input.onProgress) {
      const elapsedMs = Date.now() - started;
      input.onProgress({ step: step + 1, steps, elapsedMs, etaMs: (elapsedMs / (step + 1)) * (steps - step - 1), loss: estimate.loss, smoothedLoss, epsilonSpent });
    }
    // Let the event loop breathe (progress rendering, abort signals) between steps.
    if (step % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return trace;
}

/**
 * The step's public draw: K directions and K seeds. Untied (every row its own group), K·p normals
 * over the parameters; with G < m groups, K directions over the groups (K·G·(d + per-row blocks) normals,
 * then the seeds, from the same public generator) broadcast to the parameters, so every row of a
 * group moves by its group's vector and the evaluators (inline or pooled) see ordinary directions.
 */
function tiedDirections(synthetic: SyntheticParameters, groups: RowGroups | undefined, K: number, rng: Rng): (into: { directions: Float64Array<ArrayBuffer>; seeds: Int32Array<ArrayBuffer> }) => void {
  const p = synthetic.size;
  if (!groups || groups.count === synthetic.rows) return (into) => drawDirections(K, p, rng, into.directions, into.seeds);
  const layout = { rows: synthetic.rows, rowDim: synthetic.encoder.dim, perRow: synthetic.perRowBlocks };
  const compact = new Float64Array(K * groupDirectionLength(groups, layout));
  return (into) => {
    drawDirections(K, compact.length / K, rng, compact, into.seeds);
    expandGroupDirections(groups, layout, K, compact, into.directions);
  };
}

/**
 * Encodes each Poisson batch straight from the table's columns into buffers that grow with the
 * batch: the real rows are never encoded all at once (no second copy of an n-row table).
 */
export class BatchBuffer {
  private X: Float64Array;
  private y: Uint8Array;
  private time: Float64Array;
  private event: Uint8Array;

  constructor(private readonly encoder: Encoder, private readonly train: Table, capacity: number) {
    const survival = train.card.task === 'survival';
    this.X = new Float64Array(capacity * encoder.dim);
    this.y = new Uint8Array(survival ? 0 : capacity);
    this.time = new Float64Array(survival ? capacity : 0);
    this.event = new Uint8Array(survival ? capacity : 0);
  }

  gather(indices: Int32Array): { X: Matrix; target: Target } {
    const b = indices.length;
    const train = this.train;
    if (b * this.encoder.dim > this.X.length) this.grow(b);
    const X = this.encoder.encodeRows(train, indices, this.X, { missing: 'impute' });
    this.encoder.project(X);
    if (train.card.task === 'classification') {
      for (let r = 0; r < b; r++) this.y[r] = train.label![indices[r]];
      return { X, target: { task: 'classification', y: this.y.subarray(0, b) } };
    }
    for (let r = 0; r < b; r++) {
      this.time[r] = train.time![indices[r]];
      this.event[r] = train.event![indices[r]];
    }
    return { X, target: { task: 'survival', time: this.time.subarray(0, b), event: this.event.subarray(0, b) } };
  }

  private grow(b: number): void {
    const capacity = Math.max(b, Math.ceil((1.5 * this.X.length) / this.encoder.dim));
    this.X = new Float64Array(capacity * this.encoder.dim);
    if (this.y.length) this.y = new Uint8Array(capacity);
    if (this.time.length) {
      this.time = new Float64Array(capacity);
      this.event = new Uint8Array(capacity);
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
