/** The `gbt` hyperparameters: defaults, types and their resolution (ranges checked, defaults filled in). */
import { choiceParam, intParam, numberParam } from '../../params.js';

export const gbtDefaults = {
  nRounds: 50,
  learningRate: 0.1,
  maxDepth: 3,
  maxLeaves: 0,
  minChildWeight: 1,
  minSamplesLeaf: 1,
  lambda: 1,
  subsample: 1,
  maxBins: 255,
  splitFinding: 'auto',
} as const satisfies GbtParams;

export interface GbtParams {
  nRounds: number;
  learningRate: number;
  /** 0 = unlimited. */
  maxDepth: number;
  /** Maximum leaves per tree; 0 = unlimited. */
  maxLeaves: number;
  /** Minimum hessian sum in a child (XGBoost's min_child_weight). */
  minChildWeight: number;
  minSamplesLeaf: number;
  /** L2 penalty on leaf values (XGBoost's lambda, scikit-learn's l2_regularization). */
  lambda: number;
  /** Fraction of rows used per tree. */
  subsample: number;
  /** Maximum bins for observed values per feature (≤ 255; missing values get one more). */
  maxBins: number;
  /** Split finder: "histogram", "sorted" (same trees, different cost) or "auto" (see `chooseSplitFinding`). */
  splitFinding: SplitFinding | 'auto';
}

export function resolveGbtParams(learner: string, p: Partial<GbtParams>): GbtParams {
  return {
    nRounds: intParam(learner, 'nRounds', p.nRounds ?? gbtDefaults.nRounds, 1),
    learningRate: numberParam(learner, 'learningRate', p.learningRate ?? gbtDefaults.learningRate, { min: 0, minExclusive: true }),
    maxDepth: intParam(learner, 'maxDepth', p.maxDepth ?? gbtDefaults.maxDepth, 0),
    maxLeaves: intParam(learner, 'maxLeaves', p.maxLeaves ?? gbtDefaults.maxLeaves, 0),
    minChildWeight: numberParam(learner, 'minChildWeight', p.minChildWeight ?? gbtDefaults.minChildWeight, { min: 0 }),
    minSamplesLeaf: intParam(learner, 'minSamplesLeaf', p.minSamplesLeaf ?? gbtDefaults.minSamplesLeaf, 1),
    lambda: numberParam(learner, 'lambda', p.lambda ?? gbtDefaults.lambda, { min: 0 }),
    subsample: numberParam(learner, 'subsample', p.subsample ?? gbtDefaults.subsample, { min: 0, max: 1, minExclusive: true }),
    maxBins: intParam(learner, 'maxBins', p.maxBins ?? gbtDefaults.maxBins, 2, 255),
    splitFinding: choiceParam(learner, 'splitFinding', p.splitFinding ?? gbtDefaults.splitFinding, ['auto', 'histogram', 'sorted'] as const),
  };
}

/**
 * How a node's best split is found. Both see exactly the same candidates (the boundaries between
 * non-empty bins, in ascending bin order) and so grow the same trees:
 * - `histogram`: per node, sums of g, h and counts per bin, then a scan over every bin; a child's
 *   histogram may be its parent's minus its sibling's. Cost per node O(rows·d + bins·d).
 * - `sorted`: every feature keeps the node's rows in value (hence bin) order, partitioned stably
 *   at each split as in CART, and the scan walks the rows. Cost per node O(rows·d), independent
 *   of the number of bins, so it wins when rows are few relative to bins (condensation's tiny sets).
 */
export type SplitFinding = 'histogram' | 'sorted';
