/**
 * Run settings of a condensation: the options a caller gives, their defaults, their validation, and
 * `resolveSettings`, the pure first step of the pipeline (no data read, nothing spent): every
 * option with its default filled in, the learners checked, and the reasons a run is not a private
 * release. Settings that depend on private statistics (sampling rate, noise multipliers, the
 * capped learning rate, the survival grid) are fixed later and reported in `ResolvedSettings`.
 */
import { SeededRng } from '../core/rng.js';
import type { Table } from '../data/table.js';
import { createLearner, getLearnerSpec } from '../models/registry.js';
import type { Task } from '../models/types.js';
import type { AccountantName } from '../privacy/ledger.js';
import type { ClassificationLossKind, LearnerRecipe } from './objective.js';
import type { OptimiserKind } from './optimiser.js';

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
  /**
   * Narrow wide public bounds to where the data lie with a DP histogram before the moments (option,
   * off by default: no consistent gain in docs/RESULTS.md's ablation).
   */
  dataRanges?: boolean;
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
  dataRanges: false,
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


/** The options with every default filled in and checked: the value the later steps read. */
export interface RunSettings {
  task: Task;
  rows: number;
  learners: LearnerRecipe[];
  epsilon: number;
  /** False for ε = ∞: statistics are exact, nothing is clipped or noised. */
  isPrivate: boolean;
  delta: number;
  accountant: AccountantName;
  steps: number;
  directions: number;
  smoothing: number;
  smoothingDecay: number;
  /** The learning rate asked for (it may be capped by the noise drift later). */
  learningRate: number;
  momentum: number;
  optimiser: OptimiserKind;
  batchSize: number;
  /** The requested clip norm, if any (the default depends on the loss bound). */
  clipNorm: number | undefined;
  preprocessingShare: number;
  maxNoiseDrift: number;
  initialisation: Initialisation;
  initialSpread: number;
  classBalance: 'balanced' | 'proportional';
  loss: ClassificationLossKind;
  classWeighting: 'balanced' | 'none';
  encoding: 'standardised' | 'bounds';
  pMin: number;
  gridPoints: number;
  optimiseTimes: boolean;
  dataRanges: boolean;
  bounds: Record<string, [number, number]>;
  seed: number | undefined;
  reasonsNotPrivate: string[];
}

/** Step 1 of the pipeline: defaults, validation and learners (throws RangeError before anything is spent). */
export function resolveSettings(options: CondenseOptions): RunSettings {
  const task = options.train.card.task;
  const epsilon = options.epsilon;
  const isPrivate = Number.isFinite(epsilon);
  const delta = options.delta ?? DEFAULTS.delta;
  validateOptions(options, delta);
  // Unknown learners or parameters fail here, before any privacy is spent.
  const learners = resolveLearners(task, options.learners);
  const initialisation = options.initialisation ?? DEFAULTS.initialisation;
  const reasonsNotPrivate: string[] = [];
  if (!isPrivate) reasonsNotPrivate.push('epsilon = Infinity: non-private condensation (no noise, no clipping)');
  if (options.seed !== undefined) reasonsNotPrivate.push('seeded (reproducible) random numbers instead of a cryptographically secure source');
  if (initialisation === 'real-rows') reasonsNotPrivate.push('initialised by copying real rows');
  const steps = options.steps ?? DEFAULTS.steps;
  return {
    task,
    rows: options.rows,
    learners,
    epsilon,
    isPrivate,
    delta,
    accountant: options.accountant ?? 'rdp',
    steps,
    directions: options.directions ?? DEFAULTS.directions,
    smoothing: options.smoothing ?? DEFAULTS.smoothing,
    smoothingDecay: options.smoothingDecay ?? DEFAULTS.smoothingDecay,
    learningRate: options.learningRate ?? DEFAULTS.learningRate[task],
    momentum: options.momentum ?? DEFAULTS.momentum,
    optimiser: options.optimiser ?? DEFAULTS.optimiser,
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    clipNorm: options.clipNorm,
    // With no optimisation steps (the DP per-stratum Gaussian baseline) the statistics get everything.
    preprocessingShare: options.preprocessingShare ?? (steps === 0 ? 1 : DEFAULTS.preprocessingShare),
    maxNoiseDrift: options.maxNoiseDrift ?? DEFAULTS.maxNoiseDrift,
    dataRanges: options.dataRanges ?? DEFAULTS.dataRanges,
    initialisation,
    initialSpread: options.initialSpread ?? DEFAULTS.initialSpread,
    classBalance: options.classBalance ?? DEFAULTS.classBalance,
    loss: options.loss ?? DEFAULTS.loss,
    classWeighting: options.classWeighting ?? DEFAULTS.classWeighting,
    encoding: options.encoding ?? DEFAULTS.encoding,
    pMin: options.pMin ?? DEFAULTS.pMin,
    gridPoints: options.gridPoints ?? DEFAULTS.gridPoints,
    optimiseTimes: task === 'survival' && (options.optimiseTimes ?? false),
    bounds: options.bounds ?? {},
    seed: options.seed,
    reasonsNotPrivate,
  };
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

