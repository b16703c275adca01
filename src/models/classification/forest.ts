/**
 * Random forest classifier (`rf`; Breiman 2001, as scikit-learn's RandomForestClassifier): each
 * tree is a CART tree grown on a bootstrap sample with `maxFeatures` features drawn per node, and
 * P(y = 1) is the average of the trees' leaf probabilities.
 *
 * Bootstrap with sample weights follows scikit-learn: n rows are drawn uniformly with replacement
 * and a row's weight in the tree is its sample weight × the number of times it was drawn. The
 * features are argsorted once per fit and shared by all trees (a tree filters out the rows its
 * bootstrap did not draw), so a tree costs no sorting.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { ClassificationLearner, ClassificationTarget, ClassifierModel, FitDiagnostics } from '../types.js';
import { type FlatForest, ForestBuilder, predictForestInto } from '../tree/flatTree.js';
import { type CartParams, resolveCartParams } from './cart.js';
import { booleanParam, defineLearner, intParam, resolveMaxFeatures } from '../params.js';
import { singleClassModel, validateClassificationFit } from './common.js';
import { ClassificationTreeGrower, ColumnPresorter } from './treeGrower.js';

export const forestDefaults = {
  nTrees: 100,
  criterion: 'gini',
  maxDepth: 0,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  maxFeatures: 'sqrt',
  bootstrap: true,
} as const satisfies ForestParams;

export interface ForestParams extends CartParams {
  nTrees: number;
  bootstrap: boolean;
}

/** Check the given parameters' ranges and fill in the defaults (the tree parameters as CART's). */
export function resolveForestParams(learner: string, params: Partial<ForestParams>): ForestParams {
  return {
    ...resolveCartParams(learner, params, forestDefaults),
    nTrees: intParam(learner, 'nTrees', params.nTrees ?? forestDefaults.nTrees, 1),
    bootstrap: booleanParam(learner, 'bootstrap', params.bootstrap ?? forestDefaults.bootstrap),
  };
}

export class ForestClassifierModel implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    /** The trees, packed (see `forestTree` to inspect one). */
    readonly forest: FlatForest,
    readonly diagnostics: FitDiagnostics,
  ) {}

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    predictForestInto(this.forest, X, result, 1 / this.forest.treeCount, 0);
    return result;
  }
}

export class RandomForestLearner implements ClassificationLearner {
  readonly name = 'rf';
  readonly task = 'classification' as const;
  readonly params: Readonly<ForestParams>;
  private grower: ClassificationTreeGrower | undefined;
  private readonly forestBuilder = new ForestBuilder();
  private readonly presorter = new ColumnPresorter();

  constructor(
    params: Partial<ForestParams>,
    private readonly rng: Rng,
  ) {
    this.params = Object.freeze(resolveForestParams(this.name, params));
  }

  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel {
    const v = validateClassificationFit(this.name, X, target, weights);
    const constant = singleClassModel(this.name, v);
    if (constant) return constant;
    const p = this.params;
    const { n, d } = v;
    const cols = this.presorter.sort(X);
    if (!this.grower || this.grower.n !== n || this.grower.d !== d) this.grower = new ClassificationTreeGrower(n, d);
    const growth = {
      criterion: p.criterion,
      maxDepth: p.maxDepth,
      minSamplesLeaf: p.minSamplesLeaf,
      minSamplesSplit: p.minSamplesSplit,
      maxFeatures: resolveMaxFeatures(this.name, p.maxFeatures, d),
    };
    const rng = this.rng;
    const treeWeights = new Float64Array(n);
    const forest = this.forestBuilder;
    forest.reset();
    let emptyBootstraps = 0;
    for (let t = 0; t < p.nTrees; t++) {
      let w = v.weights;
      if (p.bootstrap) {
        treeWeights.fill(0);
        for (let k = 0; k < n; k++) treeWeights[rng.int(n)] += 1;
        let total = 0;
        for (let i = 0; i < n; i++) {
          treeWeights[i] *= v.weights[i];
          total += treeWeights[i];
        }
        // With many zero sample weights a bootstrap can miss every weighted row; such a tree
        // falls back to the full sample instead of predicting 0/0.
        if (total > 0) w = treeWeights;
        else emptyBootstraps++;
      }
      forest.append(this.grower.grow(cols, target.y, w, growth, rng));
    }
    const warnings = emptyBootstraps
      ? [`rf: ${emptyBootstraps} bootstrap sample(s) drew only zero-weight rows; those trees used the full sample`]
      : [];
    return new ForestClassifierModel(forest.finish(), { warnings });
  }
}

export const forestSpec = defineLearner<ForestParams>({
  name: 'rf',
  task: 'classification',
  description: 'Random forest of CART trees (bootstrap, maxFeatures per node; maxDepth 0 = unlimited)',
  defaults: forestDefaults,
  create: (params, rng) => new RandomForestLearner(params, rng),
});
