/**
 * The survival learners as registry entries (`src/models/registry.ts` merges them with the
 * classification ones). Hyperparameter defaults are the ones condensation uses; every value is a
 * plain number/string/boolean so that it can be shown, parsed from the CLI and written to receipts.
 */
import type { Rng } from '../../core/rng.js';
import type { LearnerSpec } from '../types.js';
import { ModelInputError } from '../types.js';
import { CoxLearner, type CoxTies } from './cox.js';
import { RandomSurvivalForestLearner, SurvivalTreeLearner } from './forest.js';

export { CoxLearner, CoxModel, fitCox, type CoxDiagnostics, type CoxOptions, type CoxTies } from './cox.js';
export {
  RandomSurvivalForestLearner,
  SurvivalTreeEnsemble,
  SurvivalTreeLearner,
  type RandomSurvivalForestOptions,
  type SurvivalTreeOptions,
} from './forest.js';

type Params = Partial<Record<string, number | string | boolean>>;

/** Rejects parameter names a learner does not know (a typo must not silently fall back to a default). */
function checkKnown(learner: string, params: Params, defaults: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(params)) {
    if (!(key in defaults)) throw new ModelInputError(`${learner}: unknown parameter "${key}" (known: ${Object.keys(defaults).join(', ')})`);
  }
}

const coxDefaults = { ties: 'efron', ridge: 0, maxIterations: 20, eps: 1e-9 } as const;
const survtreeDefaults = { maxDepth: 4, minSamplesLeaf: 3, maxFeatures: 'all' } as const;
const rsfDefaults = { nTrees: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3, maxDepth: 0, bootstrap: true } as const;

function num(params: Params, key: string): number | undefined {
  const v = params[key];
  return v === undefined ? undefined : (v as number);
}

export const survivalLearnerSpecs: LearnerSpec[] = [
  {
    name: 'cox',
    task: 'survival',
    description: 'Cox proportional hazards (Newton–Raphson as R coxph; Efron or Breslow ties; optional ridge 0.5·λ·‖β‖²)',
    defaults: coxDefaults,
    create(params: Params, _rng: Rng) {
      checkKnown('cox', params, coxDefaults);
      const p = { ...coxDefaults, ...params };
      if (p.ties !== 'efron' && p.ties !== 'breslow') throw new ModelInputError(`cox: ties must be "efron" or "breslow", got "${String(p.ties)}"`);
      for (const key of ['ridge', 'maxIterations', 'eps'] as const) {
        if (typeof p[key] !== 'number') throw new ModelInputError(`cox: parameter ${key} = ${String(p[key])} must be a number`);
      }
      return new CoxLearner({ ties: p.ties as CoxTies, ridge: p.ridge as number, maxIterations: p.maxIterations as number, eps: p.eps as number });
    },
  },
  {
    name: 'survtree',
    task: 'survival',
    description: 'Survival tree with log-rank splits and Nelson–Aalen leaves (maxDepth 0 = unlimited)',
    defaults: survtreeDefaults,
    create(params: Params, rng: Rng) {
      checkKnown('survtree', params, survtreeDefaults);
      return new SurvivalTreeLearner(
        { maxDepth: num(params, 'maxDepth'), minSamplesLeaf: num(params, 'minSamplesLeaf'), maxFeatures: params.maxFeatures as number | string | undefined },
        rng,
      );
    },
  },
  {
    name: 'rsf',
    task: 'survival',
    description: 'Random survival forest (ranger defaults: bootstrap, mtry ⌊√d⌋, min node size 3, log-rank; maxDepth 0 = unlimited)',
    defaults: rsfDefaults,
    create(params: Params, rng: Rng) {
      checkKnown('rsf', params, rsfDefaults);
      return new RandomSurvivalForestLearner(
        {
          nTrees: num(params, 'nTrees'),
          maxFeatures: params.maxFeatures as number | string | undefined,
          minSamplesLeaf: num(params, 'minSamplesLeaf'),
          maxDepth: num(params, 'maxDepth'),
          bootstrap: params.bootstrap as boolean | undefined,
        },
        rng,
      );
    },
  },
];
