/**
 * The classification learners, as registry entries (see `../registry.ts`), and their public types.
 */
import type { Rng } from '../../core/rng.js';
import type { LearnerSpec } from '../types.js';
import { CartLearner, cartDefaults } from './cart.js';
import { RandomForestLearner, forestDefaults } from './forest.js';
import { BoostedTreesLearner, gbtDefaults } from './gbt.js';
import { LogisticLearner, logisticDefaults } from './logistic.js';

export { CartLearner, TreeClassifierModel, cartDefaults } from './cart.js';
export { ConstantClassifier } from './common.js';
export { ForestClassifierModel, RandomForestLearner, forestDefaults } from './forest.js';
export { BoostedTreesLearner, BoostedTreesModel, gbtDefaults } from './gbt.js';
export { LogisticLearner, LogisticModel, fitLogisticNewton, logisticDefaults } from './logistic.js';

export const classificationLearnerSpecs: LearnerSpec[] = [
  {
    name: 'logistic',
    task: 'classification',
    description: 'L2-penalised logistic regression (Newton–Cholesky; C = inverse penalty, intercept unpenalised)',
    defaults: logisticDefaults,
    create: (params, rng: Rng) => new LogisticLearner(params, rng),
  },
  {
    name: 'cart',
    task: 'classification',
    description: 'CART decision tree (gini/entropy, learned missing-value direction; maxDepth 0 = unlimited)',
    defaults: cartDefaults,
    create: (params, rng: Rng) => new CartLearner(params, rng),
  },
  {
    name: 'rf',
    task: 'classification',
    description: 'Random forest of CART trees (bootstrap, maxFeatures per node; maxDepth 0 = unlimited)',
    defaults: forestDefaults,
    create: (params, rng: Rng) => new RandomForestLearner(params, rng),
  },
  {
    name: 'gbt',
    task: 'classification',
    description: 'Gradient-boosted trees (second-order logistic loss, histogram splits; maxDepth/maxLeaves 0 = unlimited)',
    defaults: gbtDefaults,
    create: (params, rng: Rng) => new BoostedTreesLearner(params, rng),
  },
];
