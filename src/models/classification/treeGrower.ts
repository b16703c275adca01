/**
 * The CART grower shared by `cart` and `rf` (Breiman et al. 1984; scikit-learn's BestSplitter):
 * exhaustive best split per node on gini or entropy impurity with sample weights, thresholds at the
 * midpoint of consecutive distinct values, and a learned default direction for missing values.
 *
 * Speed (thousands of fits per condensation run): every feature is argsorted once per fit
 * (`presortColumns`), and a forest shares that order across its trees. Each node owns the segment
 * [start, end) of every feature's sorted row list; a split partitions those segments stably, so
 * children stay sorted with no re-sorting. All buffers live in a reusable `ClassificationTreeGrower`.
 *
 * Missing values (NaN) sort last within each segment. At every candidate threshold the missing
 * rows are tried on the left and on the right and the better side is kept; "all observed values
 * left, missing right" is a candidate too (as scikit-learn ≥ 1.3). A node whose rows had no missing
 * value sends future missing values to the child with more training rows (also as scikit-learn).
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import { argsortRange, resortFromHint } from '../tree/argsort.js';
import { type FlatTree, TreeBuilder, treeNodeCapacity } from '../tree/flatTree.js';

export type SplitCriterion = 'gini' | 'entropy';

export interface TreeGrowthParams {
  criterion: SplitCriterion;
  /** Maximum depth; 0 = unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  /** Features examined per node (scikit-learn's max_features, already resolved to a count). */
  maxFeatures: number;
}

/** X in column-major order plus, per feature, the row indices sorted by value (NaN last). */
export interface SortedColumns {
  readonly n: number;
  readonly d: number;
  /** values[f * n + i] = X[i, f]. */
  readonly values: Float64Array;
  /** order[f * n + k] = k-th row of feature f in ascending order, missing rows last. */
  readonly order: Int32Array;
}

/**
 * Builds `SortedColumns` for successive fits, reusing its buffers and, when the shape is unchanged,
 * re-sorting each feature from the previous fit's order (`resortFromHint`): in zero-order
 * optimisation consecutive fits see small perturbations of one synthetic set, so this costs
 * O(n·d) instead of O(n·d·log n). The result is canonical either way (identical to a fresh sort).
 * The returned object aliases the buffers: it is valid until the next `sort`.
 */
export class ColumnPresorter {
  private n = -1;
  private d = -1;
  private values = new Float64Array(0);
  private order = new Int32Array(0);
  private tmp = new Int32Array(0);

  sort(X: Matrix): SortedColumns {
    const n = X.rows;
    const d = X.cols;
    const warm = n === this.n && d === this.d;
    if (!warm) {
      this.n = n;
      this.d = d;
      this.values = new Float64Array(n * d);
      this.order = new Int32Array(n * d);
      this.tmp = new Int32Array(n);
    }
    const { values, order, tmp } = this;
    const src = X.data;
    for (let i = 0, rowBase = 0; i < n; i++, rowBase += d) {
      for (let f = 0, k = i; f < d; f++, k += n) values[k] = src[rowBase + f];
    }
    // Budget for the adaptive pass: beyond ~2 n log2 n moves a fresh merge sort is cheaper.
    const maxMoves = 2 * n * Math.ceil(Math.log2(n + 1)) + n;
    for (let f = 0; f < d; f++) {
      const base = f * n;
      if (warm && resortFromHint(values, base, order, base, n, maxMoves) >= 0) continue;
      for (let i = 0; i < n; i++) order[base + i] = i;
      argsortRange(values.subarray(base, base + n), order.subarray(base, base + n), 0, n, tmp);
    }
    return { n, d, values, order };
  }
}

/** One-off presort (no buffer reuse). */
export function presortColumns(X: Matrix): SortedColumns {
  return new ColumnPresorter().sort(X);
}

const GINI = 0;
const ENTROPY = 1;

/** x·log(x) with 0·log 0 = 0. */
function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/**
 * Reusable workspace for growing classification trees on one `SortedColumns` shape. Not reentrant:
 * one grow at a time (JavaScript is single-threaded; workers each own their learners).
 */
export class ClassificationTreeGrower {
  private readonly segments: Int32Array;
  private readonly scratch: Int32Array;
  private readonly goesLeft: Uint8Array;
  private readonly negWeight: Float64Array;
  private readonly posWeight: Float64Array;
  private readonly featureOrder: Int32Array;
  private readonly builder: TreeBuilder;
  // Depth-first stack of pending nodes.
  private readonly stackNode: Int32Array;
  private readonly stackStart: Int32Array;
  private readonly stackEnd: Int32Array;
  private readonly stackDepth: Int32Array;
  private readonly stackNeg: Float64Array;
  private readonly stackPos: Float64Array;

  constructor(
    readonly n: number,
    readonly d: number,
  ) {
    this.segments = new Int32Array(n * d);
    this.scratch = new Int32Array(n);
    this.goesLeft = new Uint8Array(n);
    this.negWeight = new Float64Array(n);
    this.posWeight = new Float64Array(n);
    this.featureOrder = new Int32Array(d);
    const capacity = treeNodeCapacity(n, 0);
    this.builder = new TreeBuilder(capacity);
    this.stackNode = new Int32Array(capacity);
    this.stackStart = new Int32Array(capacity);
    this.stackEnd = new Int32Array(capacity);
    this.stackDepth = new Int32Array(capacity);
    this.stackNeg = new Float64Array(capacity);
    this.stackPos = new Float64Array(capacity);
  }

  /**
   * Grow one tree on the rows with positive weight. `y` are 0/1 labels, `weights` per-row weights
   * (a forest passes sample weight × bootstrap count). Leaf value = weighted fraction of y = 1.
   */
  grow(cols: SortedColumns, y: Uint8Array, weights: Float64Array, params: TreeGrowthParams, rng: Rng): FlatTree {
    const { n, d } = this;
    const { values, order } = cols;
    const segments = this.segments;
    const neg = this.negWeight;
    const pos = this.posWeight;
    let totalNeg = 0;
    let totalPos = 0;
    for (let i = 0; i < n; i++) {
      const wi = weights[i];
      const p = y[i] === 1 ? wi : 0;
      pos[i] = p;
      neg[i] = wi - p;
      totalPos += p;
      totalNeg += wi - p;
    }
    // Active rows (w > 0) of each feature, in sorted order.
    let nActive = 0;
    for (let f = 0; f < d; f++) {
      const base = f * n;
      let w = base;
      for (let k = base, end = base + n; k < end; k++) {
        const r = order[k];
        if (weights[r] > 0) segments[w++] = r;
      }
      nActive = w - base;
    }
    const featureOrder = this.featureOrder;
    for (let f = 0; f < d; f++) featureOrder[f] = f;
    const maxFeatures = Math.min(params.maxFeatures, d);
    const sampleFeatures = maxFeatures < d;
    if (!sampleFeatures) {
      // All features are examined at every node; one random order per tree breaks ties between
      // equally good splits at random, as scikit-learn's per-node shuffle does.
      for (let i = d - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = featureOrder[i];
        featureOrder[i] = featureOrder[j];
        featureOrder[j] = t;
      }
    }
    const criterion = params.criterion === 'entropy' ? ENTROPY : GINI;
    const maxDepth = params.maxDepth > 0 ? params.maxDepth : Number.MAX_SAFE_INTEGER;
    const minLeaf = Math.max(1, params.minSamplesLeaf);
    const minSplit = Math.max(2, params.minSamplesSplit, 2 * minLeaf);

    const builder = this.builder;
    builder.reset();
    const totalW = totalNeg + totalPos;
    builder.addLeaf(totalW > 0 ? totalPos / totalW : 0);
    const { stackNode, stackStart, stackEnd, stackDepth, stackNeg, stackPos } = this;
    let top = 0;
    stackNode[0] = 0;
    stackStart[0] = 0;
    stackEnd[0] = nActive;
    stackDepth[0] = 0;
    stackNeg[0] = totalNeg;
    stackPos[0] = totalPos;
    top = 1;

    const goesLeft = this.goesLeft;
    const scratch = this.scratch;

    while (top > 0) {
      top--;
      const node = stackNode[top];
      const start = stackStart[top];
      const end = stackEnd[top];
      const depth = stackDepth[top];
      const nodeNeg = stackNeg[top];
      const nodePos = stackPos[top];
      const count = end - start;
      if (depth >= maxDepth || count < minSplit || nodeNeg <= 0 || nodePos <= 0) continue;

      let bestProxy = Infinity;
      let bestFeature = -1;
      let bestThreshold = 0;
      let bestMissingLeft = false;

      let visited = 0;
      let splittable = 0;
      for (let i = 0; i < d; i++) {
        if (visited >= maxFeatures && splittable > 0) break;
        if (sampleFeatures) {
          const j = i + rng.int(d - i);
          const t = featureOrder[i];
          featureOrder[i] = featureOrder[j];
          featureOrder[j] = t;
        }
        const f = featureOrder[i];
        visited++;
        const base = f * n;
        const segStart = base + start;
        const segEnd = base + end;
        // Missing rows sit at the end of the segment.
        let observedEnd = segEnd;
        while (observedEnd > segStart && values[base + segments[observedEnd - 1]] !== values[base + segments[observedEnd - 1]]) {
          observedEnd--;
        }
        if (observedEnd === segStart) continue; // all missing
        let missNeg = 0;
        let missPos = 0;
        for (let k = observedEnd; k < segEnd; k++) {
          const r = segments[k];
          missNeg += neg[r];
          missPos += pos[r];
        }
        const missCount = segEnd - observedEnd;
        const hasMissing = missCount > 0;
        const lastValue = values[base + segments[observedEnd - 1]];
        if (!hasMissing && values[base + segments[segStart]] === lastValue) continue; // constant
        splittable++;

        let leftNeg = 0;
        let leftPos = 0;
        let leftCount = 0;
        let next = values[base + segments[segStart]];
        for (let k = segStart; k < observedEnd - 1; k++) {
          const r = segments[k];
          leftNeg += neg[r];
          leftPos += pos[r];
          leftCount++;
          const x = next;
          next = values[base + segments[k + 1]];
          if (next <= x) continue; // same value: no threshold between them
          // Missing rows on the right.
          let rightCount = count - leftCount;
          if (leftCount >= minLeaf && rightCount >= minLeaf) {
            const rn = nodeNeg - leftNeg;
            const rp = nodePos - leftPos;
            const proxy =
              criterion === GINI
                ? (leftNeg * leftPos) / (leftNeg + leftPos) + (rn * rp) / (rn + rp)
                : xlogx(leftNeg + leftPos) - xlogx(leftNeg) - xlogx(leftPos) + xlogx(rn + rp) - xlogx(rn) - xlogx(rp);
            if (proxy < bestProxy) {
              bestProxy = proxy;
              bestFeature = f;
              bestThreshold = midpoint(x, next);
              bestMissingLeft = false;
            }
          }
          if (hasMissing) {
            // Missing rows on the left.
            const lc = leftCount + missCount;
            rightCount = count - lc;
            if (lc >= minLeaf && rightCount >= minLeaf) {
              const ln = leftNeg + missNeg;
              const lp = leftPos + missPos;
              const rn = nodeNeg - ln;
              const rp = nodePos - lp;
              const proxy =
                criterion === GINI
                  ? (ln * lp) / (ln + lp) + (rn * rp) / (rn + rp)
                  : xlogx(ln + lp) - xlogx(ln) - xlogx(lp) + xlogx(rn + rp) - xlogx(rn) - xlogx(rp);
              if (proxy < bestProxy) {
                bestProxy = proxy;
                bestFeature = f;
                bestThreshold = midpoint(x, next);
                bestMissingLeft = true;
              }
            }
          }
        }
        if (hasMissing) {
          // Observed values left, missing right.
          const lc = count - missCount;
          if (lc >= minLeaf && missCount >= minLeaf) {
            const ln = nodeNeg - missNeg;
            const lp = nodePos - missPos;
            const proxy =
              criterion === GINI
                ? (ln * lp) / (ln + lp) + (missNeg * missPos) / (missNeg + missPos)
                : xlogx(ln + lp) - xlogx(ln) - xlogx(lp) + xlogx(missNeg + missPos) - xlogx(missNeg) - xlogx(missPos);
            if (proxy < bestProxy) {
              bestProxy = proxy;
              bestFeature = f;
              bestThreshold = Infinity;
              bestMissingLeft = false;
            }
          }
        }
      }
      if (bestFeature < 0) continue;

      // Route the node's rows; child class sums are recomputed exactly (not by subtraction) so a
      // pure child is recognised as pure.
      const fb = bestFeature * n;
      const missingLeft = bestMissingLeft ? 1 : 0;
      let lNeg = 0;
      let lPos = 0;
      let rNeg = 0;
      let rPos = 0;
      let nLeft = 0;
      let anyMissing = false;
      for (let k = fb + start; k < fb + end; k++) {
        const r = segments[k];
        const x = values[fb + r];
        let g: number;
        if (x <= bestThreshold) g = 1;
        else if (x > bestThreshold) g = 0;
        else {
          g = missingLeft;
          anyMissing = true;
        }
        goesLeft[r] = g;
        if (g === 1) {
          lNeg += neg[r];
          lPos += pos[r];
          nLeft++;
        } else {
          rNeg += neg[r];
          rPos += pos[r];
        }
      }
      const defaultLeft = anyMissing ? bestMissingLeft : nLeft >= count - nLeft;
      const leftId = builder.split(node, bestFeature, bestThreshold, defaultLeft, lPos / (lNeg + lPos), rPos / (rNeg + rPos));

      // Stable partition of every feature's segment into [left rows | right rows].
      for (let f = 0; f < d; f++) {
        const base = f * n;
        let wl = base + start;
        let nr = 0;
        for (let k = base + start, e = base + end; k < e; k++) {
          const r = segments[k];
          if (goesLeft[r] === 1) segments[wl++] = r;
          else scratch[nr++] = r;
        }
        for (let k = 0; k < nr; k++) segments[wl + k] = scratch[k];
      }

      const mid = start + nLeft;
      stackNode[top] = leftId + 1;
      stackStart[top] = mid;
      stackEnd[top] = end;
      stackDepth[top] = depth + 1;
      stackNeg[top] = rNeg;
      stackPos[top] = rPos;
      top++;
      stackNode[top] = leftId;
      stackStart[top] = start;
      stackEnd[top] = mid;
      stackDepth[top] = depth + 1;
      stackNeg[top] = lNeg;
      stackPos[top] = lPos;
      top++;
    }
    return builder.finish();
  }
}

/**
 * Threshold between consecutive distinct sorted values a < b, as scikit-learn: the midpoint,
 * unless rounding makes it equal b (then a), so that `x <= threshold` still separates them.
 */
export function midpoint(a: number, b: number): number {
  const t = a / 2 + b / 2;
  return t === b || t === Infinity || t === -Infinity ? a : t;
}
