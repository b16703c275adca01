/**
 * Gradient-boosted trees for binary classification (`gbt`): second-order boosting of the logistic
 * loss with histogram split finding (Chen & Guestrin 2016, XGBoost; Ke et al. 2017, LightGBM;
 * scikit-learn's HistGradientBoostingClassifier).
 *
 * Conventions (the parts live in gbt/: params.ts, binning.ts, grower.ts, model.ts)
 * - Margin F(x) = base + Σ_t f_t(x), P(y = 1) = σ(F); base = weighted log-odds of the labels.
 * - Round t: g_i = w_i (p_i − y_i), h_i = w_i p_i (1 − p_i); a split's gain is
 *   ½ [G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] and is taken only if > 0; a leaf holds
 *   −η · G/(H+λ) (η = learningRate). Children need ≥ minSamplesLeaf rows and ≥ minChildWeight hessian.
 * - Bins (once per fit, on the rows with positive weight): a feature with at most `maxBins`
 *   distinct values gets one bin per value with thresholds at the midpoints (exact splits, so tiny
 *   synthetic sets lose nothing to binning); otherwise the thresholds are the unique midpoint
 *   quantiles at k/maxBins, as scikit-learn. Missing values have their own bin; every split tries
 *   them on both sides and keeps the better ("learned default direction"), and "observed left,
 *   missing right" is a candidate too. A node that saw no missing value sends them to the child
 *   with more rows (scikit-learn's rule for features without missing training values).
 * - Growth is best-first by gain (LightGBM's leaf-wise order, scikit-learn's) bounded by
 *   `maxDepth` and `maxLeaves` (0 = unbounded); with only a depth bound the result equals
 *   depth-wise growth. `subsample` < 1 grows each tree on a random fraction of the rows drawn
 *   without replacement (stochastic gradient boosting, Friedman 2002).
 * - Split finding (`SplitFinding`): bin histograms, with subtraction (a child's histogram = parent −
 *   sibling) where that is cheaper than building from the rows; or, when rows are few relative to
 *   bins (condensation-size data), a walk over each feature's rows kept in bin order, which sees
 *   the same candidates at a cost independent of the number of bins.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { ClassificationLearner, ClassificationTarget, ClassifierModel } from '../types.js';
import { ForestBuilder } from '../tree/flatTree.js';
import { defineLearner } from '../params.js';
import { sigmoid, singleClassModel, validateClassificationFit } from './common.js';
import { ColumnPresorter } from './treeGrower.js';
import { Binner } from './gbt/binning.js';
import { BoostingTreeGrower, chooseSplitFinding } from './gbt/grower.js';
import { BoostedTreesModel } from './gbt/model.js';
import { type GbtParams, gbtDefaults, resolveGbtParams } from './gbt/params.js';

export { Binner, binColumns, type BinnedColumns } from './gbt/binning.js';
export { chooseSplitFinding } from './gbt/grower.js';
export { BoostedTreesModel } from './gbt/model.js';
export { gbtDefaults, resolveGbtParams, type GbtParams, type SplitFinding } from './gbt/params.js';

export class BoostedTreesLearner implements ClassificationLearner {
  readonly name = 'gbt';
  readonly task = 'classification' as const;
  readonly params: Readonly<GbtParams>;

  constructor(
    params: Partial<GbtParams>,
    private readonly rng: Rng,
  ) {
    this.params = Object.freeze(resolveGbtParams(this.name, params));
  }

  private readonly presorter = new ColumnPresorter();
  private readonly binner = new Binner();
  private readonly forestBuilder = new ForestBuilder();
  private grower: BoostingTreeGrower | undefined;

  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel {
    const v = validateClassificationFit(this.name, X, target, weights);
    const constant = singleClassModel(this.name, v);
    if (constant) return constant;
    const p = this.params;
    const { n } = v;
    const w = v.weights;
    const y = target.y;
    const sortedColumns = this.presorter.sort(X);
    const binned = this.binner.bin(sortedColumns, w, p.maxBins);
    if (this.grower && this.grower.fits(n)) this.grower.useData(binned, sortedColumns);
    else this.grower = new BoostingTreeGrower(binned, sortedColumns, p);
    const grower = this.grower;
    const baseScore = Math.log(v.positiveWeight / (v.totalWeight - v.positiveWeight));
    const margin = new Float64Array(n).fill(baseScore);
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const active = new Int32Array(n);
    let nActive = 0;
    for (let i = 0; i < n; i++) if (w[i] > 0) active[nActive++] = i;
    const sampleSize = p.subsample < 1 ? Math.max(1, Math.round(p.subsample * nActive)) : nActive;
    grower.setMode(p.splitFinding === 'auto' ? chooseSplitFinding(sampleSize, binned) : p.splitFinding);
    const forest = this.forestBuilder;
    forest.reset();
    let stumps = 0;
    for (let t = 0; t < p.nRounds; t++) {
      for (let i = 0; i < n; i++) {
        const pi = sigmoid(margin[i]);
        grad[i] = w[i] * (pi - y[i]);
        hess[i] = w[i] * pi * (1 - pi);
      }
      if (sampleSize < nActive) {
        // Partial Fisher–Yates: the first sampleSize entries become a uniform sample without replacement.
        for (let k = 0; k < sampleSize; k++) {
          const j = k + this.rng.int(nActive - k);
          const tmp = active[k];
          active[k] = active[j];
          active[j] = tmp;
        }
      }
      const tree = grower.grow(active, sampleSize, grad, hess);
      if (tree.nodeCount === 1) stumps++;
      grower.addToMargin(margin);
      forest.append(tree);
    }
    const warnings = stumps === p.nRounds ? ['gbt: no split had positive gain in any round; the model is constant'] : [];
    return new BoostedTreesModel(baseScore, forest.finish(), { iterations: p.nRounds, converged: true, warnings });
  }
}

export const gbtSpec = defineLearner<GbtParams>({
  name: 'gbt',
  task: 'classification',
  description: 'Gradient-boosted trees (second-order logistic loss, histogram splits; maxDepth/maxLeaves 0 = unlimited)',
  defaults: gbtDefaults,
  create: (params, rng) => new BoostedTreesLearner(params, rng),
});
