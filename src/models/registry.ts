/**
 * Learners by name: the one place where `condense/`, the CLI and the benchmark turn a learner name
 * and a parameter object into a `Learner`. Classification entries come from
 * `classification/index.ts`, survival entries from `survival/index.ts`.
 *
 * Parameters are checked here against each learner's `defaults` (unknown names and wrong value
 * types are rejected with the list of valid ones), and by the learner itself for ranges; every
 * failure is a `ModelInputError`, which the CLI reports as a one-line error.
 */
import type { Rng } from '../core/rng.js';
import { classificationLearnerSpecs } from './classification/index.js';
import { survivalLearnerSpecs } from './survival/index.js';
import { type ClassificationLearner, type Learner, type LearnerParamValue, type LearnerSpec, ModelInputError, type SurvivalLearner, type Task, UnknownLearnerError } from './types.js';

export type { LearnerParamValue, LearnerSpec } from './types.js';

function allSpecs(): readonly LearnerSpec[] {
  return [...classificationLearnerSpecs, ...survivalLearnerSpecs];
}

/** Registered learners, optionally only those for one task. */
export function learnerSpecs(task?: Task): readonly LearnerSpec[] {
  const specs = allSpecs();
  return task ? specs.filter((s) => s.task === task) : specs;
}

export function getLearnerSpec(name: string): LearnerSpec {
  const spec = allSpecs().find((s) => s.name === name);
  if (!spec) {
    const valid = allSpecs().map((s) => s.name);
    throw new UnknownLearnerError(`unknown learner "${name}"; valid learners: ${valid.join(', ')}`);
  }
  return spec;
}

/**
 * Create learner `name` with `params` (merged over its defaults). Rejects unknown parameter names
 * and values whose type differs from the default's (a number where a string is expected, ...),
 * except that a `maxFeatures` whose default is a keyword ("sqrt", "all") also accepts a number.
 */
export function createLearner(name: string, params: Record<string, unknown> | undefined, rng: Rng): Learner {
  const spec = getLearnerSpec(name);
  const checked: Partial<Record<string, LearnerParamValue>> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(spec.defaults, key)) {
      const valid = Object.keys(spec.defaults);
      throw new ModelInputError(
        `learner "${name}" has no parameter "${key}"; valid parameters: ${valid.length ? valid.join(', ') : '(none)'}`,
      );
    }
    const expected = typeof spec.defaults[key];
    const mixed = MIXED_TYPE_PARAMS.has(key) && expected === 'string' && typeof value === 'number';
    if (typeof value !== expected && !mixed) {
      throw new ModelInputError(`learner "${name}": parameter "${key}" must be a ${expected}, got ${JSON.stringify(value)}`);
    }
    checked[key] = value as LearnerParamValue;
  }
  return spec.create(checked, rng);
}

/** Parameters that take a keyword or a number (scikit-learn's max_features). */
const MIXED_TYPE_PARAMS = new Set(['maxFeatures']);

/** `createLearner` for a learner that must be a classifier (a survival learner name is an error). */
export function createClassificationLearner(name: string, params: Record<string, unknown> | undefined, rng: Rng): ClassificationLearner {
  const learner = createLearner(name, params, rng);
  if (learner.task !== 'classification') {
    throw new ModelInputError(`learner "${name}" is a ${learner.task} learner; classification learners: ${names('classification')}`);
  }
  return learner;
}

/** `createLearner` for a learner that must be a survival model. */
export function createSurvivalLearner(name: string, params: Record<string, unknown> | undefined, rng: Rng): SurvivalLearner {
  const learner = createLearner(name, params, rng);
  if (learner.task !== 'survival') {
    throw new ModelInputError(`learner "${name}" is a ${learner.task} learner; survival learners: ${names('survival')}`);
  }
  return learner;
}

function names(task: Task): string {
  return learnerSpecs(task)
    .map((s) => s.name)
    .join(', ');
}
