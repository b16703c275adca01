/**
 * The condensation run: private preprocessing → encoding → private initialisation → T DP zero-order
 * steps → release with a receipt. This is the library entry point the CLI, the benchmarks and the
 * browser app share.
 *
 * Privacy argument in one place. The run reads the real records only through
 *  (1) the joint Gaussian sum queries of `privateStatistics.ts` (bounds, time histogram, stratum
 *      moments), each charged to the ledger before its noisy value exists, and
 *  (2) the T zero-order steps, charged up front as one Poisson-subsampled Gaussian entry
 *      (noise multiplier σ, sampling rate q, T steps).
 * Everything else — the encoding, the initial rows, the loss weights, the time grid, the batch-size
 * normalisation, the trace — is computed from the outputs of those mechanisms and public knowledge
 * (the card, user-supplied bounds, the hyperparameters), so it is post-processing. The real records
 * are encoded with the DP encoding only to be evaluated inside the mechanism of (2).
 */
import type { Matrix } from '../core/matrix.js';
import { SeededRng, type Rng } from '../core/rng.js';
import { Encoder } from '../data/encoding.js';
import { publicNegativeLabel, type Table } from '../data/table.js';
import { createLearner, getLearnerSpec } from '../models/registry.js';
import type { Target } from '../models/types.js';
import {
  CryptoRng,
  PrivacyLedger,
  buildReceipt,
  calibrateNoiseMultiplier,
  PoissonSampler,
  type Receipt,
} from '../privacy/index.js';
import { PerRecordLoss, maxRecordLoss, type ClassificationLossKind, type LearnerRecipe, type LossSpec } from './objective.js';
import { createOptimiser, type OptimiserKind } from './optimiser.js';
import {
  featuresNeedingBounds,
  histogramQuantiles,
  poolMoments,
  privateFeatureBounds,
  privateStratumMoments,
  privateTimeHistogram,
  type NoisyQueryContext,
  type TimeHistogram,
} from './privateStatistics.js';
import { MECHANISM, insideMechanism } from './dataAccess.js';
import { SyntheticParameters, allocateRows, initialiseFromMoments, initialiseUniform } from './syntheticSet.js';
import { ZerothOrderEstimator } from './zerothOrder.js';
import { SOFTWARE } from './version.js';

export type LearnerChoice = string | { name: string; params?: Record<string, unknown> };
export type Initialisation = 'private' | 'uniform' | 'real-rows';

export interface CondenseOptions {
  /** The private training table. */
  train: Table;
  /** Number of synthetic rows m (classification: split between the classes). */
  rows: number;
  /** Learners whose mean loss is optimised (default: cart for classification, cox for survival). */
  learners?: readonly LearnerChoice[];
  /** Target ε; Infinity runs without privacy (σ = 0, no clipping) as an ablation. */
  epsilon: number;
  delta?: number;
  steps?: number;
  directions?: number;
  smoothing?: number;
  /** Final smoothing radius as a fraction of the initial one (linear decay); 1 = constant. */
  smoothingDecay?: number;
  learningRate?: number;
  momentum?: number;
  optimiser?: OptimiserKind;
  /** Expected batch size q·n̂ (q is derived from a DP count of the records). */
  batchSize?: number;
  /** Clip norm C of each record's vector (default scales with √K and the loss bound). */
  clipNorm?: number;
  /** Share of ε spent on private preprocessing. */
  preprocessingShare?: number;
  /** Cap on the random-walk drift the DP noise may cause per coordinate (standardised units). */
  maxNoiseDrift?: number;
  initialisation?: Initialisation;
  /** Spread of the initial rows around their stratum mean, in DP standard deviations. */
  initialSpread?: number;
  classBalance?: 'balanced' | 'proportional';
  loss?: ClassificationLossKind;
  /** Classification: weight the loss so both classes count equally (`balanced`, from DP counts) or not. */
  classWeighting?: 'balanced' | 'none';
  /**
   * `standardised` (default): numeric coordinates of Z are (x − DP mean) / DP sd, so one smoothing
   * radius fits every feature; `bounds`: (x − low) / (high − low), the [0, 1] box (ablation).
   */
  encoding?: 'standardised' | 'bounds';
  pMin?: number;
  /** Survival: number of time-grid points for the loss. */
  gridPoints?: number;
  /** Survival: also optimise the synthetic follow-up times (as log-times; event flags stay fixed). */
  optimiseTimes?: boolean;
  /** Public bounds for features whose card has none. */
  bounds?: Record<string, [number, number]>;
  /** A seed makes the run reproducible — and therefore not a private release. */
  seed?: number;
  accountant?: 'rdp' | 'pld';
  /** SHA-256 hex of the input bytes, for the receipt. */
  inputFingerprint?: string;
  onProgress?: (progress: CondenseProgress) => void;
  signal?: AbortSignal;
}

export interface CondenseProgress {
  step: number;
  steps: number;
  elapsedMs: number;
  etaMs: number;
  /** Loss at this step from the private channel, and its exponential moving average. */
  loss: number;
  smoothedLoss: number;
  /** ε of the whole run (charged before the first step). */
  epsilonSpent: number;
}

export interface TraceRow {
  step: number;
  loss: number;
  smoothedLoss: number;
  smoothing: number;
  clippedFraction: number;
}

export interface CondenseResult {
  synthetic: Table;
  receipt: Receipt;
  trace: TraceRow[];
  encoder: Encoder;
  /** Resolved hyperparameters actually used. */
  settings: ResolvedSettings;
  /** What the private preprocessing released (charged mechanisms' outputs, post-processed). */
  released: ReleasedStatistics;
}

/**
 * The DP statistics of the private preprocessing, as plain data: the outputs of charged mechanisms
 * and post-processing of them, so reports and the app may show them beside the synthetic table.
 * Exact values when the run is not private (ε = ∞).
 */
export interface ReleasedStatistics {
  /** Per feature in card order, pooled over the strata. */
  features: ReleasedFeature[];
  /** Noisy record count per stratum (classes 0/1; or early events, late events, censored). */
  strataCounts: number[];
  /** Survival: DP histograms of event and censoring times on the public log-time grid. */
  timeHistogram?: { edges: number[]; events: number[]; censored: number[] };
}

export interface ReleasedFeature {
  name: string;
  /** Bounds used for the feature: the card's, user-supplied, or DP-estimated (data units). */
  bounds: [number, number];
  /** Numeric/integer: DP mean and standard deviation; binary: DP share of ones (sd NaN). */
  mean: number;
  sd: number;
  /** Categorical: DP level frequencies in card order. */
  levelProbabilities?: number[];
}

export interface ResolvedSettings {
  rows: number;
  learners: { name: string; params: Record<string, unknown> }[];
  epsilon: number;
  delta: number;
  steps: number;
  directions: number;
  smoothing: number;
  smoothingDecay: number;
  learningRate: number;
  momentum: number;
  optimiser: OptimiserKind;
  batchSize: number;
  samplingRate: number;
  clipNorm: number;
  noiseMultiplier: number;
  preprocessingNoiseMultiplier: number;
  preprocessingShare: number;
  initialisation: Initialisation;
  initialSpread: number;
  classBalance: 'balanced' | 'proportional';
  loss: ClassificationLossKind | 'survival-nll';
  classWeighting: 'balanced' | 'none';
  encoding: 'standardised' | 'bounds';
  pMin: number;
  gridPoints: number;
  optimiseTimes: boolean;
}

export const DEFAULTS = {
  delta: 1e-5,
  steps: 300,
  directions: 16,
  smoothing: 0.3,
  smoothingDecay: 1,
  /** Per task: Cox fits respond more strongly to moving rows than trees do (support diverged at 0.5). */
  learningRate: { classification: 0.5, survival: 0.2 },
  momentum: 0.9,
  optimiser: 'sgd' as OptimiserKind,
  batchSize: 256,
  preprocessingShare: 0.3,
  maxNoiseDrift: 1,
  initialisation: 'private' as Initialisation,
  initialSpread: 1,
  classBalance: 'balanced' as const,
  loss: 'brier' as ClassificationLossKind,
  classWeighting: 'balanced' as const,
  encoding: 'standardised' as const,
  pMin: 0.01,
  gridPoints: 10,
  /** Share of the clip norm reserved for the private loss channel (progress and trace). */
  lossChannelShare: 0.25,
  /** Default clip norm: C = clipScale · √K · (max loss). */
  clipScale: 1,
};

export class CondenseAbortedError extends Error {
  override name = 'AbortError';
}

export async function condense(options: CondenseOptions): Promise<CondenseResult> {
  const train = options.train;
  const card = train.card;
  const task = card.task;
  const epsilon = options.epsilon;
  const isPrivate = Number.isFinite(epsilon);
  const delta = options.delta ?? DEFAULTS.delta;
  validateOptions(options, delta);
  // Unknown learners or parameters fail here, before any privacy is spent.
  const learners = resolveLearners(task, options.learners);

  const reasonsNotPrivate: string[] = [];
  if (!isPrivate) reasonsNotPrivate.push('epsilon = Infinity: non-private condensation (no noise, no clipping)');
  if (options.seed !== undefined) reasonsNotPrivate.push('seeded (reproducible) random numbers instead of a cryptographically secure source');
  const initialisation = options.initialisation ?? DEFAULTS.initialisation;
  if (initialisation === 'real-rows') reasonsNotPrivate.push('initialised by copying real rows');

  // One generator for everything secret (noise, batch sampling), one for public randomness
  // (directions, initial draws, learners' internal randomness). Both are secure unless seeded.
  const seeded = options.seed !== undefined ? new SeededRng(options.seed) : undefined;
  const noiseRng: Rng = seeded ? seeded.fork() : new CryptoRng();
  const publicRng: Rng = seeded ? seeded.fork() : new CryptoRng();

  const ledger = new PrivacyLedger({ epsilon, delta, accountant: options.accountant ?? 'rdp' });
  ledger.registerRandomness(noiseRng);
  const ctx: NoisyQueryContext = { isPrivate, ledger, noiseRng };
  const checkAbort = () => {
    if (options.signal?.aborted) throw new CondenseAbortedError('condensation aborted');
  };

  // ---- 1. Private preprocessing --------------------------------------------------------------
  const userBounds = options.bounds ?? {};
  const needBounds = featuresNeedingBounds(card, userBounds);
  const steps = options.steps ?? DEFAULTS.steps;
  // With no optimisation steps (the DP per-stratum Gaussian baseline) the statistics get everything.
  const preprocessingShare = options.preprocessingShare ?? (steps === 0 ? 1 : DEFAULTS.preprocessingShare);
  const nQueries = 1 + (needBounds.length ? 1 : 0) + (task === 'survival' ? 1 : 0);
  const preprocessingNoiseMultiplier = isPrivate
    ? calibrateNoiseMultiplier({ targetEpsilon: epsilon * preprocessingShare, delta, samplingRate: 1, steps: nQueries }).noiseMultiplier
    : 0;

  const dpBounds = privateFeatureBounds(train, needBounds, ctx, preprocessingNoiseMultiplier);
  const allBounds = { ...userBounds, ...dpBounds };
  const featureBounds = card.features.map((f): [number, number] => (f.bounds ?? allBounds[f.name] ?? [0, 1]) as [number, number]);

  let stratify: (table: Table) => Int32Array;
  let nStrata: number;
  let timeHistogram: TimeHistogram | undefined;
  let medianEventTime = NaN;
  if (task === 'classification') {
    stratify = (table) => Int32Array.from(table.label!);
    nStrata = 2;
  } else {
    timeHistogram = privateTimeHistogram(train, ctx, preprocessingNoiseMultiplier);
    medianEventTime = histogramQuantiles(timeHistogram.edges, timeHistogram.events, [0.5])[0];
    stratify = (table) => survivalStrata(table, medianEventTime);
    nStrata = 3;
  }
  const moments = privateStratumMoments(train, featureBounds, stratify, nStrata, ctx, preprocessingNoiseMultiplier, task === 'classification' ? 'class counts and class-conditional feature moments' : 'risk-group counts and feature moments');
  checkAbort();
  const pooled = poolMoments(moments);
  const recordCount = pooled.count; // n̂: a DP count (exact when not private)

  // ---- 2. Encoding (standardised by DP means and spreads) -------------------------------------
  const encoding = options.encoding ?? DEFAULTS.encoding;
  const scaling: Record<string, { center: number; scale: number }> = {};
  card.features.forEach((f, j) => {
    if (encoding === 'standardised' && (f.type === 'numeric' || f.type === 'integer')) {
      const [low, high] = featureBounds[j];
      const center = Math.min(high, Math.max(low, pooled.features[j].mean));
      scaling[f.name] = { center, scale: Math.max(pooled.features[j].sd, 1e-3 * (high - low)) };
    }
  });
  const encoder = new Encoder(card, { scaling, bounds: allBounds });

  // ---- 3. Loss and synthetic outcomes ------------------------------------------------------------
  const pMin = options.pMin ?? DEFAULTS.pMin;
  const classBalance = options.classBalance ?? DEFAULTS.classBalance;
  let lossSpec: LossSpec;
  let allocation: Int32Array;
  let syntheticTarget: Target;
  if (task === 'classification') {
    const [n0, n1] = [moments[0].count, moments[1].count];
    lossSpec = {
      task,
      kind: options.loss ?? DEFAULTS.loss,
      pMin,
      classWeights: (options.classWeighting ?? DEFAULTS.classWeighting) === 'balanced' ? [(n0 + n1) / (2 * n0), (n0 + n1) / (2 * n1)] : [1, 1],
    };
    allocation = allocateRows(options.rows, [n0, n1], classBalance);
    const y = new Uint8Array(options.rows);
    y.fill(1, allocation[0]);
    syntheticTarget = { task, y };
  } else {
    const hist = timeHistogram!;
    const gridPoints = options.gridPoints ?? DEFAULTS.gridPoints;
    const probs = Array.from({ length: gridPoints }, (_, k) => (k + 1) / (gridPoints + 1));
    const grid = uniqueAscending(histogramQuantiles(hist.edges, hist.events, probs));
    lossSpec = { task, grid, pMin };
    allocation = allocateRows(options.rows, moments.map((s) => s.count), 'proportional', 2);
    syntheticTarget = syntheticSurvivalOutcomes(hist, allocation);
  }

  // ---- 4. Initial synthetic rows -------------------------------------------------------------------
  const initialSpread = options.initialSpread ?? DEFAULTS.initialSpread;
  let initialRows: Matrix;
  if (initialisation === 'private') {
    initialRows = initialiseFromMoments(encoder, moments, allocation, publicRng, initialSpread);
  } else if (initialisation === 'uniform') {
    initialRows = initialiseUniform(encoder, options.rows, publicRng);
  } else {
    // Non-private ablation (the receipt says so): reads real rows outside any mechanism.
    initialRows = copyRealRows(train, encoder, stratify(train), allocation, publicRng);
  }
  const optimiseTimes = task === 'survival' && (options.optimiseTimes ?? false);
  const synthetic = new SyntheticParameters(encoder, initialRows, syntheticTarget, optimiseTimes ? logTimeBox(timeHistogram!) : undefined);
  const parameters = synthetic.values;

  // ---- 5. Zero-order optimisation ------------------------------------------------------------------
  const directions = options.directions ?? DEFAULTS.directions;
  const smoothing = options.smoothing ?? DEFAULTS.smoothing;
  const smoothingDecay = options.smoothingDecay ?? DEFAULTS.smoothingDecay;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const samplingRate = Math.min(1, batchSize / recordCount);
  const maxLoss = maxRecordLoss(lossSpec);
  const clipNorm = isPrivate ? options.clipNorm ?? DEFAULTS.clipScale * Math.sqrt(directions) * maxLoss : Infinity;
  const lossChannelShare = DEFAULTS.lossChannelShare;
  const lossChannelWeight = (lossChannelShare * (Number.isFinite(clipNorm) ? clipNorm : Math.sqrt(directions) * maxLoss)) / maxLoss;
  let noiseMultiplier = 0;
  if (steps > 0) {
    if (isPrivate) noiseMultiplier = calibrateNoiseMultiplier({ targetEpsilon: epsilon, delta, samplingRate, steps, prior: ledger }).noiseMultiplier;
    ledger.charge({
      kind: 'subsampled_gaussian',
      name: MECHANISM.zeroOrderSteps,
      noiseMultiplier,
      samplingRate,
      steps,
      purpose: `${steps} DP zero-order steps (K = ${directions} directions, clip norm ${round(clipNorm)})`,
    });
  }
  const momentum = options.momentum ?? DEFAULTS.momentum;
  const optimiserKind = options.optimiser ?? DEFAULTS.optimiser;
  // The DP noise alone moves each coordinate by a random walk. Its per-step standard deviation per
  // coordinate is about σC / (q·n̂ · 2μ · √K) (for SGD, amplified by 1/(1 − momentum)); capping the
  // learning rate so that the walk over T steps stays within `maxNoiseDrift` standardised units keeps
  // low-ε runs from diffusing the rows away from their private initialisation. Uses only public and
  // DP quantities.
  const noisePerCoordinate = (noiseMultiplier * (Number.isFinite(clipNorm) ? clipNorm : 0)) / (samplingRate * recordCount * 2 * smoothing * Math.sqrt(directions));
  const maxNoiseDrift = options.maxNoiseDrift ?? DEFAULTS.maxNoiseDrift;
  const driftPerUnitRate = noisePerCoordinate * Math.sqrt(steps) / (optimiserKind === 'sgd' ? 1 - momentum : 1);
  const requestedRate = options.learningRate ?? DEFAULTS.learningRate[task];
  const learningRate = optimiserKind === 'sgd' && driftPerUnitRate > 0 ? Math.min(requestedRate, maxNoiseDrift / driftPerUnitRate) : requestedRate;

  const n = train.nRows;
  // Poisson batches are drawn by skipping from one sampled record to the next and encoded straight
  // from the table, so a step costs O(q·n) whatever n is; buffers start at a size the batch
  // exceeds with negligible probability (mean + 6 sd) and grow if it does.
  const sampler = new PoissonSampler(n, samplingRate);
  const batchCapacity = Math.min(n, Math.ceil(samplingRate * n + 6 * Math.sqrt(samplingRate * n) + 16));
  const objective = new PerRecordLoss(learners, lossSpec, batchCapacity);
  const estimator = new ZerothOrderEstimator(
    synthetic,
    objective,
    { directions, smoothing, clipNorm, noiseMultiplier: isPrivate ? noiseMultiplier : 0, lossChannelWeight, lossChannelShare },
    batchCapacity,
  );
  const optimiser = createOptimiser(optimiserKind, parameters.length, momentum);
  const gradient = new Float64Array(parameters.length);
  const batch = new BatchBuffer(encoder, train, batchCapacity);
  const trace: TraceRow[] = [];
  const epsilonSpent = ledger.spent().epsilon;
  const started = Date.now();
  let smoothedLoss = NaN;
  for (let step = 0; step < steps; step++) {
    checkAbort();
    const mu = smoothing * (1 - ((1 - smoothingDecay) * step) / Math.max(1, steps - 1));
    const estimate = insideMechanism(MECHANISM.zeroOrderSteps, () => {
      const { X, target } = batch.gather(sampler.sample(noiseRng));
      return estimator.estimate(parameters, X, target, samplingRate * recordCount, publicRng, noiseRng, gradient, mu);
    });
    optimiser.step(parameters, gradient, learningRate);
    synthetic.project(parameters);
    smoothedLoss = Number.isNaN(smoothedLoss) ? estimate.loss : 0.9 * smoothedLoss + 0.1 * estimate.loss;
    trace.push({ step: step + 1, loss: estimate.loss, smoothedLoss, smoothing: mu, clippedFraction: estimate.clippedFraction });
    if (options.onProgress) {
      const elapsedMs = Date.now() - started;
      options.onProgress({
        step: step + 1,
        steps,
        elapsedMs,
        etaMs: (elapsedMs / (step + 1)) * (steps - step - 1),
        loss: estimate.loss,
        smoothedLoss,
        epsilonSpent,
      });
    }
    // Let the event loop breathe (progress rendering, abort signals) between steps.
    if (step % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  // ---- 6. Release -------------------------------------------------------------------------------------
  const finalOutcome = synthetic.outcome(parameters);
  const released = encoder.decodeToTable(synthetic.rowsOf(parameters), {
    label: finalOutcome.task === 'classification' ? finalOutcome.y : undefined,
    negativeLabel: task === 'classification' ? publicNegativeLabel(card) : undefined,
    time: finalOutcome.task === 'survival' ? finalOutcome.time.slice() : undefined,
    event: finalOutcome.task === 'survival' ? finalOutcome.event : undefined,
  });
  const settings: ResolvedSettings = {
    rows: options.rows,
    learners: learners.map((l) => ({ name: l.name, params: { ...l.params } })),
    epsilon,
    delta,
    steps,
    directions,
    smoothing,
    smoothingDecay,
    learningRate,
    momentum,
    optimiser: optimiserKind,
    batchSize,
    samplingRate,
    clipNorm,
    noiseMultiplier,
    preprocessingNoiseMultiplier,
    preprocessingShare,
    initialisation,
    initialSpread,
    classBalance,
    loss: task === 'classification' ? (lossSpec as { kind: ClassificationLossKind }).kind : 'survival-nll',
    classWeighting: options.classWeighting ?? DEFAULTS.classWeighting,
    encoding,
    pMin,
    gridPoints: lossSpec.task === 'survival' ? lossSpec.grid.length : 0,
    optimiseTimes,
  };
  const receipt = buildReceipt(ledger, {
    software: SOFTWARE,
    inputFingerprint: options.inputFingerprint ?? 'not provided',
    parameters: {
      ...settings,
      epsilon: Number.isFinite(epsilon) ? epsilon : 'Infinity',
      clipNorm: Number.isFinite(clipNorm) ? clipNorm : 'none',
      dataset: card.name,
      task,
      medianEventTime: Number.isFinite(medianEventTime) ? medianEventTime : undefined,
    },
    privateRelease: true,
    reasonsNotPrivate,
  });
  const releasedStatistics: ReleasedStatistics = {
    features: card.features.map((f, j) => {
      const m = pooled.features[j];
      const levels = m.levelProbabilities ? Array.from(m.levelProbabilities) : undefined;
      return { name: f.name, bounds: featureBounds[j], mean: m.mean, sd: f.type === 'binary' ? NaN : m.sd, ...(levels ? { levelProbabilities: levels } : {}) };
    }),
    strataCounts: moments.map((s) => s.count),
    ...(timeHistogram
      ? { timeHistogram: { edges: Array.from(timeHistogram.edges), events: Array.from(timeHistogram.events), censored: Array.from(timeHistogram.censored) } }
      : {}),
  };
  return { synthetic: released, receipt, trace, encoder, settings, released: releasedStatistics };
}

function validateOptions(options: CondenseOptions, delta: number): void {
  const fail = (message: string) => {
    throw new RangeError(`condense: ${message}`);
  };
  if (!Number.isInteger(options.rows) || options.rows < 2) fail(`rows must be an integer ≥ 2 (got ${options.rows})`);
  if (!(options.epsilon > 0)) fail(`epsilon must be > 0 (got ${options.epsilon}); use Infinity for a non-private run`);
  if (!(delta > 0 && delta < 1)) fail(`delta must be in (0, 1) (got ${delta})`);
  if (options.steps !== undefined && !(Number.isInteger(options.steps) && options.steps >= 0)) fail(`steps must be an integer ≥ 0 (got ${options.steps})`);
  const positiveInts: (keyof CondenseOptions)[] = ['directions', 'batchSize', 'gridPoints'];
  for (const key of positiveInts) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) fail(`${key} must be a positive integer (got ${v})`);
  }
  const positives: (keyof CondenseOptions)[] = ['smoothing', 'learningRate', 'clipNorm', 'initialSpread', 'maxNoiseDrift'];
  for (const key of positives) {
    const v = options[key];
    if (v !== undefined && !((v as number) > 0)) fail(`${key} must be > 0 (got ${v})`);
  }
  const fractions: (keyof CondenseOptions)[] = ['preprocessingShare', 'pMin', 'smoothingDecay', 'momentum'];
  for (const key of fractions) {
    const v = options[key] as number | undefined;
    if (v !== undefined && !(v >= 0 && v <= 1)) fail(`${key} must be in [0, 1] (got ${v})`);
  }
  const share = options.preprocessingShare;
  if (share !== undefined && !(share > 0 && (share < 1 || (share === 1 && options.steps === 0)))) {
    fail('preprocessingShare must be in (0, 1), or exactly 1 when steps = 0');
  }
  if (options.train.card.task === 'survival' && options.rows < 6) fail('survival condensation needs at least 6 rows (2 per risk group)');
}

/** Learner recipes, validated now (unknown names or parameters fail before any privacy is spent). */
function resolveLearners(task: 'classification' | 'survival', choices: readonly LearnerChoice[] | undefined): LearnerRecipe[] {
  const list = choices && choices.length ? choices : [task === 'classification' ? 'cart' : 'cox'];
  return list.map((choice) => {
    const { name, params } = typeof choice === 'string' ? { name: choice, params: {} } : { name: choice.name, params: choice.params ?? {} };
    const spec = getLearnerSpec(name);
    if (spec.task !== task) throw new RangeError(`learner "${name}" is for ${spec.task} data, but the dataset is ${task}`);
    const learner = createLearner(name, params, new SeededRng(0));
    return { name, task, params: { ...learner.params } };
  });
}

/**
 * Survival risk groups used for the private moments and the initial rows: 0 = event at or before
 * the DP median event time, 1 = later event, 2 = censored.
 */
function survivalStrata(train: Table, medianEventTime: number): Int32Array {
  const strata = new Int32Array(train.nRows);
  for (let i = 0; i < train.nRows; i++) strata[i] = train.event![i] ? (train.time![i] <= medianEventTime ? 0 : 1) : 2;
  return strata;
}

/**
 * Synthetic follow-up: group 0 takes evenly spaced quantiles of the lower half of the DP event-time
 * distribution, group 1 of its upper half, group 2 of the DP censoring-time distribution.
 */
function syntheticSurvivalOutcomes(hist: TimeHistogram, allocation: Int32Array): Target {
  const m = allocation.reduce((a, c) => a + c, 0);
  const time = new Float64Array(m);
  const event = new Uint8Array(m);
  const groups: [Float64Array, number, number, number][] = [
    [hist.events, 0, 0.5, 1],
    [hist.events, 0.5, 1, 1],
    [hist.censored, 0, 1, 0],
  ];
  let row = 0;
  groups.forEach(([counts, from, to, isEvent], g) => {
    const k = allocation[g];
    const probs = Array.from({ length: k }, (_, i) => from + ((i + 0.5) / k) * (to - from));
    let times = histogramQuantiles(hist.edges, counts, probs);
    if (Number.isNaN(times[0])) times = histogramQuantiles(hist.edges, hist.events, probs); // no censoring seen
    for (let i = 0; i < k; i++, row++) {
      time[row] = times[i];
      event[row] = isEvent;
    }
  });
  return { task: 'survival', time, event };
}

/** Bounds for optimised log follow-up times: the span of the DP time histograms' non-empty bins. */
function logTimeBox(hist: TimeHistogram): [number, number] {
  let first = -1;
  let last = -1;
  for (let b = 0; b < hist.events.length; b++) {
    if (hist.events[b] > 0 || hist.censored[b] > 0) {
      if (first < 0) first = b;
      last = b;
    }
  }
  if (first < 0) return [Math.log(hist.edges[0]), Math.log(hist.edges[hist.edges.length - 1])];
  return [Math.log(hist.edges[first]), Math.log(hist.edges[last + 1])];
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

/**
 * Encodes each Poisson batch straight from the table's columns into buffers that grow with the
 * batch: the real rows are never encoded all at once (no second copy of an n-row table).
 */
class BatchBuffer {
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

function uniqueAscending(values: Float64Array): Float64Array {
  const sorted = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  return Float64Array.from(sorted.filter((v, i) => i === 0 || v > sorted[i - 1]));
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

