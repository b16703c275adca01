/**
 * The classification learners: their registry entries (each defined in its own module with its
 * defaults and parameter resolution; see `../registry.ts`) and their public types.
 */
import type { LearnerSpec } from '../types.js';
import { cartSpec } from './cart.js';
import { forestSpec } from './forest.js';
import { gbtSpec } from './gbt.js';
import { logisticSpec } from './logistic.js';

export { CartLearner, TreeClassifierModel, cartDefaults, resolveCartParams, type CartParams } from './cart.js';
export { ConstantClassifier } from './common.js';
export { ForestClassifierModel, RandomForestLearner, forestDefaults, resolveForestParams, type ForestParams } from './forest.js';
export { BoostedTreesLearner, BoostedTreesModel, gbtDefaults, resolveGbtParams, type GbtParams } from './gbt.js';
export { LogisticLearner, LogisticModel, fitLogisticNewton, logisticDefaults, resolveLogisticParams, type LogisticParams } from './logistic.js';

export const classificationLearnerSpecs: LearnerSpec[] = [logisticSpec, cartSpec, forestSpec, gbtSpec];
