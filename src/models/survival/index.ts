/**
 * The survival learners: their registry entries (each defined in its own module with its defaults
 * and parameter resolution; `src/models/registry.ts` merges them with the classification ones) and
 * their public types.
 */
import type { LearnerSpec } from '../types.js';
import { coxSpec } from './cox.js';
import { rsfSpec, survtreeSpec } from './forest.js';

export { CoxLearner, CoxModel, coxDefaults, fitCox, resolveCoxParams, type CoxDiagnostics, type CoxOptions, type CoxTies } from './cox.js';
export {
  RandomSurvivalForestLearner,
  SurvivalTreeEnsemble,
  SurvivalTreeLearner,
  resolveRsfParams,
  resolveSurvtreeParams,
  rsfDefaults,
  survtreeDefaults,
  type RandomSurvivalForestOptions,
  type SurvivalTreeOptions,
} from './forest.js';

export const survivalLearnerSpecs: LearnerSpec[] = [coxSpec, survtreeSpec, rsfSpec];
