/** A fitted boosted-trees model: base score plus the packed trees, predicted through the branch-free layout when shallow. */
import type { Matrix } from '../../../core/matrix.js';
import type { ClassifierModel, FitDiagnostics } from '../../types.js';
import { type CompleteForest, type FlatForest, completeForest, predictCompleteForestInto, predictForestInto } from '../../tree/flatTree.js';
import { sigmoid } from '../common.js';

/** Deeper trees would pad to too many nodes (2^depth per tree); they keep pointer traversal. */
const COMPLETE_LAYOUT_MAX_DEPTH = 6;

export class BoostedTreesModel implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    readonly baseScore: number,
    /** The trees, packed; leaf values already include the learning rate. */
    readonly forest: FlatForest,
    readonly diagnostics: FitDiagnostics,
  ) {
    this.complete = completeForest(forest, COMPLETE_LAYOUT_MAX_DEPTH);
  }

  /** Branch-free layout of the same trees when they are shallow (the usual boosting depths). */
  private readonly complete: CompleteForest | undefined;

  /** The margin F(x) (log-odds). */
  decisionFunction(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    if (this.complete) predictCompleteForestInto(this.complete, X, result, 1, this.baseScore);
    else predictForestInto(this.forest, X, result, 1, this.baseScore);
    return result;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = this.decisionFunction(X, out);
    for (let i = 0; i < X.rows; i++) result[i] = sigmoid(result[i]);
    return result;
  }
}
