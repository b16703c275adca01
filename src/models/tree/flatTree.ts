/**
 * A fitted binary decision tree as parallel flat typed arrays (scikit-learn's `Tree` layout): node k
 * splits on `feature[k]` at `threshold[k]`, rows with `x <= threshold` go to `left[k]`, rows with
 * `x > threshold` to `right[k]`, and a missing value (NaN) follows `missingGoesLeft[k]`. Leaves have
 * `feature[k] === LEAF` and carry `value[k]` (a probability for CART, a raw margin for boosting).
 * Node 0 is the root. Flat arrays make prediction a tight loop, and a tree trivially serialisable and
 * transferable to a worker.
 */
import type { Matrix } from '../../core/matrix.js';

export const LEAF = -1;

export interface FlatTree {
  readonly nodeCount: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when a missing value at this split is sent to the left child. */
  readonly missingGoesLeft: Uint8Array;
  readonly value: Float64Array;
}

/**
 * Preallocated storage for growing one tree: capacity is fixed up front (a tree on n rows has at most
 * 2n − 1 nodes, and at most 2^(depth+1) − 1), so growth never reallocates; `finish` copies the used
 * prefix into a compact `FlatTree`.
 */
export class TreeBuilder {
  nodeCount = 0;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missingGoesLeft: Uint8Array;
  readonly value: Float64Array;

  constructor(readonly capacity: number) {
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.missingGoesLeft = new Uint8Array(capacity);
    this.value = new Float64Array(capacity);
  }

  reset(): void {
    this.nodeCount = 0;
  }

  /** Append a leaf; returns its id. */
  addLeaf(value: number): number {
    const id = this.nodeCount++;
    this.feature[id] = LEAF;
    this.threshold[id] = NaN;
    this.left[id] = LEAF;
    this.right[id] = LEAF;
    this.missingGoesLeft[id] = 0;
    this.value[id] = value;
    return id;
  }

  /** Turn leaf `id` into a split whose children are two new leaves (ids `left`, `left + 1`). */
  split(id: number, feature: number, threshold: number, missingGoesLeft: boolean, leftValue: number, rightValue: number): number {
    const leftId = this.addLeaf(leftValue);
    const rightId = this.addLeaf(rightValue);
    this.feature[id] = feature;
    this.threshold[id] = threshold;
    this.left[id] = leftId;
    this.right[id] = rightId;
    this.missingGoesLeft[id] = missingGoesLeft ? 1 : 0;
    return leftId;
  }

  finish(): FlatTree {
    const n = this.nodeCount;
    return {
      nodeCount: n,
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      missingGoesLeft: this.missingGoesLeft.slice(0, n),
      value: this.value.slice(0, n),
    };
  }
}

/** Largest node count of a binary tree grown on `nRows` rows to depth `maxDepth` (0 = unlimited). */
export function treeNodeCapacity(nRows: number, maxDepth: number): number {
  const byRows = Math.max(1, 2 * nRows - 1);
  if (maxDepth <= 0 || maxDepth >= 30) return byRows;
  return Math.min(byRows, 2 ** (maxDepth + 1) - 1);
}

/** Leaf reached by row `row` of X. */
export function leafOf(tree: FlatTree, X: Matrix, row: number): number {
  const { feature, threshold, left, right, missingGoesLeft } = tree;
  const base = row * X.cols;
  const data = X.data;
  let node = 0;
  let f = feature[0];
  while (f !== LEAF) {
    const x = data[base + f];
    const t = threshold[node];
    if (x <= t) node = left[node];
    else if (x > t) node = right[node];
    else node = missingGoesLeft[node] === 1 ? left[node] : right[node];
    f = feature[node];
  }
  return node;
}

/**
 * `out[i] = scale · value(leaf of row i)` (when `accumulate` is false) or `out[i] += ...` (true).
 * Tree-major traversal: one tree's arrays stay in cache while all rows pass through it.
 */
export function predictTreeInto(tree: FlatTree, X: Matrix, out: Float64Array, scale: number, accumulate: boolean): void {
  const { feature, threshold, left, right, missingGoesLeft, value } = tree;
  const d = X.cols;
  const data = X.data;
  const n = X.rows;
  const rootFeature = feature[0];
  for (let i = 0, base = 0; i < n; i++, base += d) {
    let node = 0;
    let f = rootFeature;
    while (f !== LEAF) {
      const x = data[base + f];
      const t = threshold[node];
      if (x <= t) node = left[node];
      else if (x > t) node = right[node];
      else node = missingGoesLeft[node] === 1 ? left[node] : right[node];
      f = feature[node];
    }
    if (accumulate) out[i] += scale * value[node];
    else out[i] = scale * value[node];
  }
}

/** Depth of the tree (a single leaf has depth 0). */
export function treeDepth(tree: FlatTree): number {
  if (tree.nodeCount === 0) return 0;
  const depth = new Int32Array(tree.nodeCount);
  let max = 0;
  // Children always have larger ids than their parent (they are appended after it).
  for (let k = 0; k < tree.nodeCount; k++) {
    if (tree.feature[k] === LEAF) continue;
    const dChild = depth[k] + 1;
    depth[tree.left[k]] = dChild;
    depth[tree.right[k]] = dChild;
    if (dChild > max) max = dChild;
  }
  return max;
}

/** Number of leaves. */
export function leafCount(tree: FlatTree): number {
  let c = 0;
  for (let k = 0; k < tree.nodeCount; k++) if (tree.feature[k] === LEAF) c++;
  return c;
}
