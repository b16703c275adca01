/**
 * Learner hyperparameters: the checks every learner's parameter resolution uses (errors name the
 * learner and the key, as `ModelInputError`), and `defineLearner`, which turns a learner's typed
 * defaults and factory into its registry entry.
 *
 * The registry (`registry.ts`) checks once that every given name is a parameter of the learner and
 * that its value has the default's type; a learner's own `resolve…Params` then checks ranges and
 * fills in its defaults. Defaults are plain numbers, strings and booleans, so they can be shown in
 * help, parsed from the CLI and written to receipts.
 */
import type { Rng } from '../core/rng.js';
import { ModelInputError, type Learner, type LearnerParamValue, type LearnerSpec, type Task } from './types.js';

export type ParamValue = LearnerParamValue;

/**
 * A registry entry from a learner's typed defaults and factory. The registry hands `create` only
 * parameters it has checked against `defaults` (known names, the default's value type), so the
 * factory receives them as its own typed options.
 */
export function defineLearner<P extends object>(entry: {
  name: string;
  task: Task;
  description: string;
  defaults: Readonly<P>;
  create(params: Partial<P>, rng: Rng): Learner;
}): LearnerSpec {
  return {
    name: entry.name,
    task: entry.task,
    description: entry.description,
    defaults: entry.defaults as Readonly<Record<string, ParamValue>>,
    create: (params, rng) => entry.create(params as Partial<P>, rng),
  };
}


function paramError(learner: string, key: string, value: unknown, expected: string): ModelInputError {
  return new ModelInputError(`${learner}: parameter "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

export function intParam(learner: string, key: string, value: ParamValue, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw paramError(learner, key, value, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`);
  }
  return value;
}

export function numberParam(
  learner: string,
  key: string,
  value: ParamValue,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean },
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? '' : `${minExclusive ? '>' : '>='} ${min}`;
    const hi = max === Infinity ? '' : `${maxExclusive ? '<' : '<='} ${max}`;
    throw paramError(learner, key, value, `a finite number ${[lo, hi].filter(Boolean).join(' and ')}`.trim());
  }
  return value;
}

export function choiceParam<T extends string>(learner: string, key: string, value: ParamValue, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw paramError(learner, key, value, `one of ${choices.map((c) => `"${c}"`).join(', ')}`);
  }
  return value as T;
}

export function booleanParam(learner: string, key: string, value: ParamValue): boolean {
  if (typeof value !== 'boolean') throw paramError(learner, key, value, 'true or false');
  return value;
}

/**
 * `maxFeatures` as scikit-learn spells it: "all", "sqrt" (⌊√d⌋), "log2" (⌊log2 d⌋), an integer
 * count ≥ 1, or a fraction in (0, 1) of d; always at least 1 and at most d.
 */
export function resolveMaxFeatures(learner: string, value: ParamValue, d: number): number {
  let k: number;
  if (value === 'all') k = d;
  else if (value === 'sqrt') k = Math.floor(Math.sqrt(d));
  else if (value === 'log2') k = Math.floor(Math.log2(Math.max(d, 1)));
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 1) k = value;
  else if (typeof value === 'number' && value > 0 && value < 1) k = Math.floor(value * d);
  else throw paramError(learner, 'maxFeatures', value, '"all", "sqrt", "log2", an integer >= 1 or a fraction in (0, 1)');
  return Math.max(1, Math.min(d, k));
}

/** Validate a `maxFeatures` value without knowing d (at learner construction). */
export function checkMaxFeatures(learner: string, value: ParamValue): ParamValue {
  resolveMaxFeatures(learner, value, 1);
  return value;
}
