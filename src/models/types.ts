/**
 * The one learner contract that `condense/` and `bench/` use without knowing which model is inside
 * (scikit-learn's estimator contract): hyperparameters and the RNG go in at construction, `fit`
 * learns and returns a fitted model, and predictions never mutate the model.
 *
 * Inputs are validated once in `fit` (cheap, O(n·d)); prediction kernels trust their inputs.
 */
import type { Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { ClassificationTarget, SurvivalTarget, Task } from '../data/target.js';

// The outcome types live with the data (a table's outcome is a target); learners take them as is.
export type { ClassificationTarget, SurvivalTarget, Target, Task } from '../data/target.js';


/** Diagnostics every numerical fit reports instead of failing silently (R survival's habit). */
export interface FitDiagnostics {
  iterations?: number;
  converged?: boolean;
  warnings: string[];
}

export interface ClassifierModel {
  readonly task: 'classification';
  /** Predicted P(y = 1) for each row of X (NaN entries are missing values). */
  predictProba(X: Matrix, out?: Float64Array): Float64Array;
  readonly diagnostics: FitDiagnostics;
}

export interface SurvivalModel {
  readonly task: 'survival';
  /** A risk score per row: higher risk means an earlier event (the concordance convention). */
  predictRisk(X: Matrix, out?: Float64Array): Float64Array;
  /**
   * Survival probabilities S(t | x) at `times` (ascending) for each row, row-major
   * (`out[i * times.length + k]`).
   */
  predictSurvival(X: Matrix, times: Float64Array, out?: Float64Array): Float64Array;
  readonly diagnostics: FitDiagnostics;
}


export interface ClassificationLearner {
  readonly name: string;
  readonly task: 'classification';
  readonly params: Readonly<Record<string, unknown>>;
  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel;
  /**
   * Optional: fit once at (X, target) and start later fits from that solution until the next call.
   * Later fits then depend on their own inputs and the anchor only, never on the order of fits, so
   * fits spread over threads agree bit for bit as long as every thread anchors at the same point.
   */
  anchorAt?(X: Matrix, target: ClassificationTarget, weights?: Float64Array): void;
}

export interface SurvivalLearner {
  readonly name: string;
  readonly task: 'survival';
  readonly params: Readonly<Record<string, unknown>>;
  fit(X: Matrix, target: SurvivalTarget, weights?: Float64Array): SurvivalModel;
}

export type Learner = ClassificationLearner | SurvivalLearner;
export type FittedModel = ClassifierModel | SurvivalModel;

/** Bad input to a model (zero rows, one class, NaN labels, negative weights, ...). */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
}

/** A learner name that is not in the registry (the CLI treats it as wrong usage, like an unknown dataset). */
export class UnknownLearnerError extends ModelInputError {
  override name = 'UnknownLearnerError';
}

/** A registry entry (`registry.ts`): a learner's name, task, parameter defaults and factory. */
export type LearnerParamValue = number | string | boolean;

export interface LearnerSpec {
  name: string;
  task: Task;
  description: string;
  /** Every parameter the learner accepts, with its default; also the parameter type (number/string/boolean). */
  defaults: Readonly<Record<string, LearnerParamValue>>;
  create(params: Partial<Record<string, LearnerParamValue>>, rng: Rng): Learner;
}
