/**
 * CART classification tree (`cart`): one tree grown by `ClassificationTreeGrower` on all rows,
 * leaves predicting the weighted fraction of positives. Defaults suit condensation (a few dozen
 * synthetic rows): depth 5, leaves of one row.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { ClassificationLearner, ClassificationTarget, ClassifierModel, FitDiagnostics } from '../types.js';
import { type FlatTree, predictTreeInto } from '../tree/flatTree.js';
import { type ParamValue, checkMaxFeatures, choiceParam, defineLearner, intParam, resolveMaxFeatures } from '../params.js';
import { singleClassModel, validateClassificationFit } from './common.js';
import { ClassificationTreeGrower, ColumnPresorter, type SplitCriterion } from './treeGrower.js';

export const cartDefaults = {
  criterion: 'gini',
  maxDepth: 5,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  maxFeatures: 'all',
} as const satisfies CartParams;

export interface CartParams {
  criterion: SplitCriterion;
  /** 0 = unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  /** "all" | "sqrt" | "log2" | count | fraction, see `resolveMaxFeatures`. */
  maxFeatures: ParamValue;
}

/** Check the given parameters' ranges and fill in `defaults` (the forest shares this with its own defaults). */
export function resolveCartParams(learner: string, p: Partial<CartParams>, defaults: CartParams = cartDefaults): CartParams {
  return {
    criterion: choiceParam(learner, 'criterion', p.criterion ?? defaults.criterion, ['gini', 'entropy'] as const),
    maxDepth: intParam(learner, 'maxDepth', p.maxDepth ?? defaults.maxDepth, 0),
    minSamplesLeaf: intParam(learner, 'minSamplesLeaf', p.minSamplesLeaf ?? defaults.minSamplesLeaf, 1),
    minSamplesSplit: intParam(learner, 'minSamplesSplit', p.minSamplesSplit ?? defaults.minSamplesSplit, 2),
    maxFeatures: checkMaxFeatures(learner, p.maxFeatures ?? defaults.maxFeatures),
  };
}

/** A fitted single tree: P(y = 1) = value of the leaf a row reaches. */
export class TreeClassifierModel implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    readonly tree: FlatTree,
    readonly diagnostics: FitDiagnostics,
  ) {}

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    predictTreeInto(this.tree, X, result, 1, false);
    return result;
  }
}

export class CartLearner implements ClassificationLearner {
  readonly name = 'cart';
  readonly task = 'classification' as const;
  readonly params: Readonly<CartParams>;
  private grower: ClassificationTreeGrower | undefined;
  private readonly presorter = new ColumnPresorter();

  constructor(
    params: Partial<CartParams>,
    private readonly rng: Rng,
  ) {
    this.params = Object.freeze(resolveCartParams(this.name, params));
  }

  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel {
    const v = validateClassificationFit(this.name, X, target, weights);
    const constant = singleClassModel(this.name, v);
    if (constant) return constant;
    const p = this.params;
    const cols = this.presorter.sort(X);
    if (!this.grower || this.grower.n !== v.n || this.grower.d !== v.d) this.grower = new ClassificationTreeGrower(v.n, v.d);
    const tree = this.grower.grow(
      cols,
      target.y,
      v.weights,
      {
        criterion: p.criterion,
        maxDepth: p.maxDepth,
        minSamplesLeaf: p.minSamplesLeaf,
        minSamplesSplit: p.minSamplesSplit,
        maxFeatures: resolveMaxFeatures(this.name, p.maxFeatures, v.d),
      },
      this.rng,
    ).finish();
    return new TreeClassifierModel(tree, { warnings: [] });
  }
}

export const cartSpec = defineLearner<CartParams>({
  name: 'cart',
  task: 'classification',
  description: 'CART decision tree (gini/entropy, learned missing-value direction; maxDepth 0 = unlimited)',
  defaults: cartDefaults,
  create: (params, rng) => new CartLearner(params, rng),
});
