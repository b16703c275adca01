/**
 * The CART grower shared by `cart` and `rf` (Breiman et al. 1984; scikit-learn's BestSplitter):
 * exhaustive best split per node on gini or entropy impurity with sample weights, thresholds at the
 * midpoint of consecutive distinct values, and a learned default direction for missing values.
 *
 * Speed (thousands of fits per condensation run):
 * - every feature is argsorted once per fit (`ColumnPresorter`, warm-started from the previous
 *   fit's order), and a forest shares that order across its trees;
 * - each node owns the segment [start, end) of every feature's sorted row list and a split writes
 *   its children's segments, still sorted, into a second buffer (`NodeRowStrategy` "partition");
 *   forests of tiny trees instead filter the full lists by node ("filter"), which is cheaper when
 *   only ⌊√d⌋ features are examined per node;
 * - candidate splits are compared as fractions by cross-multiplication (no division per
 *   candidate) and the data-dependent routing of rows is branch-free;
 * - all buffers live in a reusable `ClassificationTreeGrower`.
 *
 * Missing values (NaN) sort last within each segment. At every candidate threshold the missing
 * rows are tried on the left and on the right and the better side is kept; "all observed values
 * left, missing right" is a candidate too (as scikit-learn ≥ 1.3). A node whose rows had no missing
 * value sends future missing values to the child with more training rows (also as scikit-learn).
 * As in scikit-learn, an impure node takes its best valid split even when that split does not
 * lower the impurity (XOR-like data needs it); only pure nodes and the size/depth limits stop growth.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import { argsortRange, resortFiniteFromHint, resortFromHint } from '../../core/argsort.js';
import { TreeBuilder, treeNodeCapacity } from '../tree/flatTree.js';

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

/** X in column-major order plus, per feature, the row indices in canonical order (`argsort.ts`). */
export interface SortedColumns {
  readonly n: number;
  readonly d: number;
  /** values[f * n + i] = X[i, f]. */
  readonly values: Float64Array;
  /** order[f * n + k] = k-th row of feature f in ascending order, missing rows last. */
  readonly order: Int32Array;
  /** Whether any value is missing (NaN). */
  readonly hasMissing: boolean;
}

/**
 * Builds `SortedColumns` for successive fits, reusing its buffers and, when the shape is unchanged,
 * re-sorting each feature from the previous fit's order (`resortFromHint`): in zero-order
 * optimisation consecutive fits see small perturbations of one synthetic set, so this costs
 * O(n·d + inversions) instead of O(n·d·log n) (about half the time of a fresh merge sort on the
 * benchmark's 50×30 perturbations). The result is canonical either way (identical to a fresh sort).
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
    let nanSeen = 0;
    for (let i = 0, rowBase = 0; i < n; i++, rowBase += d) {
      for (let f = 0, k = i; f < d; f++, k += n) {
        const v = src[rowBase + f];
        values[k] = v;
        nanSeen |= +(v !== v);
      }
    }
    // Budget for the adaptive pass: beyond ~2 n log2 n moves a fresh merge sort is cheaper.
    const maxMoves = 2 * n * Math.ceil(Math.log2(n + 1)) + n;
    for (let f = 0; f < d; f++) {
      const base = f * n;
      if (warm) {
        const resorted = nanSeen
          ? resortFromHint(values, base, order, base, n, maxMoves)
          : resortFiniteFromHint(values, base, order, base, n, maxMoves);
        if (resorted >= 0) continue;
      }
      for (let i = 0; i < n; i++) order[base + i] = i;
      argsortRange(values.subarray(base, base + n), order.subarray(base, base + n), 0, n, tmp);
    }
    return { n, d, values, order, hasMissing: nanSeen !== 0 };
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

/** Σ over the two children of W·entropy (nats) for class weights (ln, lp) and (rn, rp). */
function entropyProxy(ln: number, lp: number, rn: number, rp: number): number {
  return xlogx(ln + lp) - xlogx(ln) - xlogx(lp) + xlogx(rn + rp) - xlogx(rn) - xlogx(rp);
}

/** Denominator of the last `splitScore` (a module-level slot: returning a pair would allocate per candidate). */
let scoreDen = 1;

/**
 * A candidate split's impurity proxy as the fraction splitScore(…)/scoreDen, for left class weights
 * (ln, lp) and right (rn, rp); smaller is better, and fractions are compared by cross-multiplication
 * (no division per candidate). Gini: Σ_children W·gini/2 = ln·lp/L + rn·rp/R = (ln·lp·R + rn·rp·L)/(L·R).
 * Entropy: `entropyProxy`, over 1. Used by the general walk of `grow` (missing values, entropy,
 * sampled rows), where the bench showed no loss; the gini fast path keeps its own copy (see there).
 */
function splitScore(criterion: number, ln: number, lp: number, rn: number, rp: number): number {
  if (criterion === GINI) {
    const L = ln + lp;
    const R = rn + rp;
    scoreDen = L * R;
    return ln * lp * R + rn * rp * L;
  }
  scoreDen = 1;
  return entropyProxy(ln, lp, rn, rp);
}

/**
 * How a node finds its rows in a feature's value order:
 * - `partition`: each node owns a contiguous segment of every feature's sorted row list; a split
 *   partitions all d segments stably (O(d · rows of the node)).
 * - `filter`: the lists are never partitioned; a node walks a sampled feature's whole list and
 *   keeps its own rows (`nodeOf`), O(rows of the tree) per examined feature. Cheaper when few
 *   features are examined per node and the tree is small (forests on condensation-size data).
 */
export type NodeRowStrategy = 'partition' | 'filter';

/** The cheaper strategy by the cost model in `NodeRowStrategy` (estimated splits and depth). */
export function chooseNodeRowStrategy(nActive: number, d: number, maxFeatures: number, params: TreeGrowthParams): NodeRowStrategy {
  if (maxFeatures >= d || nActive < 2) return 'partition';
  const byRows = nActive / (2 * Math.max(1, params.minSamplesLeaf));
  const depthCap = params.maxDepth > 0 ? params.maxDepth : Infinity;
  const splits = Math.min(byRows, depthCap < 30 ? 2 ** depthCap - 1 : Infinity);
  const depth = Math.min(depthCap, Math.log2(nActive) + 1);
  return maxFeatures * splits < d * depth ? 'filter' : 'partition';
}

/**
 * Reusable workspace for growing classification trees on one `SortedColumns` shape. Not reentrant:
 * one grow at a time (JavaScript is single-threaded; workers each own their learners).
 */
export class ClassificationTreeGrower {
  /** Node segments of nodes at even depth (and every node in filter mode)... */
  private readonly segments: Int32Array;
  /** ...and at odd depth: a split writes its children's segments into the other buffer. */
  private readonly segmentsOdd: Int32Array;
  private readonly goesLeft: Uint8Array;
  private readonly nodeOf: Int32Array;
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
    this.segmentsOdd = new Int32Array(n * d);
    this.goesLeft = new Uint8Array(n);
    this.nodeOf = new Int32Array(n);
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
   * `strategy` only changes the cost, never the tree (default: `chooseNodeRowStrategy`).
   * Returns the grower's own builder: valid until the next `grow` (`finish()` it to keep the tree).
   */
  grow(cols: SortedColumns, y: Uint8Array, weights: Float64Array, params: TreeGrowthParams, rng: Rng, strategy?: NodeRowStrategy): TreeBuilder {
    const { n, d } = this;
    const { values, order } = cols;
    const segmentsEven = this.segments;
    const segmentsOdd = this.segmentsOdd;
    const neg = this.negWeight;
    const pos = this.posWeight;
    const nodeOf = this.nodeOf;
    let totalNeg = 0;
    let totalPos = 0;
    let nActive = 0;
    for (let i = 0; i < n; i++) {
      const wi = weights[i];
      const p = y[i] === 1 ? wi : 0;
      pos[i] = p;
      neg[i] = wi - p;
      totalPos += p;
      totalNeg += wi - p;
      const active = wi > 0;
      nodeOf[i] = active ? 0 : -1;
      if (active) nActive++;
    }
    // Active rows (w > 0) of each feature, in sorted order.
    if (nActive === n) segmentsEven.set(order.subarray(0, n * d));
    else {
      for (let f = 0; f < d; f++) {
        const base = f * n;
        let w = base;
        for (let k = base, end = base + n; k < end; k++) {
          const r = order[k];
          if (weights[r] > 0) segmentsEven[w++] = r;
        }
      }
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
    const filter = (strategy ?? chooseNodeRowStrategy(nActive, d, maxFeatures, params)) === 'filter';
    const criterion = params.criterion === 'entropy' ? ENTROPY : GINI;
    const maxDepth = params.maxDepth > 0 ? params.maxDepth : Number.MAX_SAFE_INTEGER;
    const minLeaf = Math.max(1, params.minSamplesLeaf);
    const minSplit = Math.max(2, params.minSamplesSplit, 2 * minLeaf);

    const builder = this.builder;
    builder.reset();
    const totalW = totalNeg + totalPos;
    builder.addLeaf(totalW > 0 ? totalPos / totalW : 0);
    const { stackNode, stackStart, stackEnd, stackDepth, stackNeg, stackPos } = this;
    // In filter mode a node's [start, end) is [0, nActive) (its rows are found through nodeOf)
    // and its row count is kept in stackEnd − stackStart all the same via `nodeCount`.
    let top = 0;
    stackNode[0] = 0;
    stackStart[0] = 0;
    stackEnd[0] = nActive;
    stackDepth[0] = 0;
    stackNeg[0] = totalNeg;
    stackPos[0] = totalPos;
    top = 1;

    const goesLeft = this.goesLeft;

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
      // The node's sorted segments: partition mode alternates buffers by depth (a split writes
      // its children into the other buffer in one pass, without a scratch copy-back).
      const segments = filter || (depth & 1) === 0 ? segmentsEven : segmentsOdd;
      // Range of each feature's list to walk: the node's segment, or (filter) the whole list.
      const listStart = filter ? 0 : start;
      const listEnd = filter ? nActive : end;

      // Best impurity proxy (Σ over children of weight × impurity, up to a constant) as a fraction.
      let bestNum = Infinity;
      let bestDen = 1;
      let bestFeature = -1;
      let bestThreshold = 0;
      let bestMissingLeft = false;

      let visited = 0;
      let splittable = 0;
      for (let i = 0; i < d; i++) {
        if (visited >= maxFeatures && splittable > 0) break;
        // A split into two pure children (proxy 0) cannot be beaten strictly, so the remaining
        // features cannot change the choice. (With sampled features the loop also draws from the
        // rng, so it runs its course there to keep the random stream unchanged.)
        if (bestNum === 0 && !sampleFeatures) break;
        if (sampleFeatures) {
          const j = i + rng.int(d - i);
          const t = featureOrder[i];
          featureOrder[i] = featureOrder[j];
          featureOrder[j] = t;
        }
        const f = featureOrder[i];
        visited++;
        const base = f * n;
        const segStart = base + listStart;
        const segEnd = base + listEnd;
        // Missing rows sit at the end of the list.
        let observedEnd = segEnd;
        let missNeg = 0;
        let missPos = 0;
        let missCount = 0;
        while (observedEnd > segStart) {
          const r = segments[observedEnd - 1];
          const v = values[base + r];
          if (v === v) break;
          observedEnd--;
          if (filter && nodeOf[r] !== node) continue;
          missNeg += neg[r];
          missPos += pos[r];
          missCount++;
        }
        const hasMissing = missCount > 0;
        if (missCount === count) continue; // all missing

        if (!filter && !hasMissing && criterion === GINI) {
          // Fast path for the common case (gini, no missing value, the node's rows contiguous):
          // the same candidates as the general walk below, with less bookkeeping per row.
          // Sorted and without missing values: constant here iff the first value equals the last.
          let previous = values[base + segments[segStart]];
          if (previous < values[base + segments[segEnd - 1]]) splittable++;
          // Only cuts leaving minLeaf rows on each side are candidates: rows before the first
          // such cut are summed without a test, and the scan stops at the last one.
          const lastFeasible = segEnd - minLeaf;
          let leftNeg = 0;
          let leftPos = 0;
          let r = segments[segStart];
          let k = segStart + 1;
          for (const firstFeasible = segStart + minLeaf; k < firstFeasible; k++) {
            leftNeg += neg[r];
            leftPos += pos[r];
            r = segments[k];
            previous = values[base + r];
          }
          for (; k <= lastFeasible; k++) {
            leftNeg += neg[r];
            leftPos += pos[r];
            r = segments[k];
            const x = values[base + r];
            if (x > previous) {
              // Written out rather than through splitScore: this is the hottest loop of CART and
              // the forests, and the bench (cart, rf20 and cart-entropy, before/after builds
              // alternated, median of 9 per-round ratios, loaded machine) put the call here at 1.25x
              // slower for cart; with this loop written out, 0.90x (cart), 0.98x (rf20), 1.02x (entropy).
              const rn = nodeNeg - leftNeg;
              const rp = nodePos - leftPos;
              const L = leftNeg + leftPos;
              const R = rn + rp;
              const num = leftNeg * leftPos * R + rn * rp * L;
              const den = L * R;
              if (num * bestDen < bestNum * den) {
                bestNum = num;
                bestDen = den;
                bestFeature = f;
                bestThreshold = midpoint(previous, x);
                bestMissingLeft = false;
              }
            }
            previous = x;
          }
          continue;
        }

        // Walk the observed rows in value order; a candidate threshold lies between each pair of
        // consecutive distinct values (the left side holds everything before the current row).
        let leftNeg = 0;
        let leftPos = 0;
        let leftCount = 0;
        let previous = NaN;
        let sawTwoValues = false;
        for (let k = segStart; k < observedEnd; k++) {
          const r = segments[k];
          if (filter && nodeOf[r] !== node) continue;
          const x = values[base + r];
          if (leftCount > 0 && x > previous) {
            sawTwoValues = true;
            // Missing rows on the right.
            if (leftCount >= minLeaf && count - leftCount >= minLeaf) {
              const num = splitScore(criterion, leftNeg, leftPos, nodeNeg - leftNeg, nodePos - leftPos);
              const den = scoreDen;
              if (num * bestDen < bestNum * den) {
                bestNum = num;
                bestDen = den;
                bestFeature = f;
                bestThreshold = midpoint(previous, x);
                bestMissingLeft = false;
              }
            }
            // Missing rows on the left.
            const lc = leftCount + missCount;
            if (hasMissing && lc >= minLeaf && count - lc >= minLeaf) {
              const ln = leftNeg + missNeg;
              const lp = leftPos + missPos;
              const num = splitScore(criterion, ln, lp, nodeNeg - ln, nodePos - lp);
              const den = scoreDen;
              if (num * bestDen < bestNum * den) {
                bestNum = num;
                bestDen = den;
                bestFeature = f;
                bestThreshold = midpoint(previous, x);
                bestMissingLeft = true;
              }
            }
          }
          leftNeg += neg[r];
          leftPos += pos[r];
          leftCount++;
          previous = x;
        }
        if (!sawTwoValues && !hasMissing) continue; // constant at this node
        splittable++;
        if (hasMissing) {
          // Observed values left, missing right.
          const lc = count - missCount;
          if (lc >= minLeaf && missCount >= minLeaf) {
            const ln = nodeNeg - missNeg;
            const lp = nodePos - missPos;
            const num = splitScore(criterion, ln, lp, missNeg, missPos);
            const den = scoreDen;
            if (num * bestDen < bestNum * den) {
              bestNum = num;
              bestDen = den;
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
      // Branch-free: the side of a row is data-dependent and would mispredict half the time.
      for (let k = fb + listStart; k < fb + listEnd; k++) {
        const r = segments[k];
        if (filter && nodeOf[r] !== node) continue;
        const x = values[fb + r];
        const missing = x !== x ? 1 : 0;
        const g = missing === 1 ? missingLeft : x <= bestThreshold ? 1 : 0;
        anyMissing = anyMissing || missing === 1;
        goesLeft[r] = g;
        const nr = neg[r];
        const pr = pos[r];
        lNeg += g * nr;
        lPos += g * pr;
        rNeg += (1 - g) * nr;
        rPos += (1 - g) * pr;
        nLeft += g;
      }
      const defaultLeft = anyMissing ? bestMissingLeft : nLeft >= count - nLeft;
      const leftId = builder.split(node, bestFeature, bestThreshold, defaultLeft, lPos / (lNeg + lPos), rPos / (rNeg + rPos));

      const nRight = count - nLeft;
      const childrenFinal =
        depth + 1 >= maxDepth || ((nLeft < minSplit || lNeg <= 0 || lPos <= 0) && (nRight < minSplit || rNeg <= 0 || rPos <= 0));
      if (childrenFinal) continue;
      let mid: number;
      if (filter) {
        // Children's rows are found through nodeOf; their "segments" only carry the counts.
        for (let k = fb; k < fb + nActive; k++) {
          const r = segments[k];
          if (nodeOf[r] === node) nodeOf[r] = goesLeft[r] === 1 ? leftId : leftId + 1;
        }
        mid = start + nLeft;
      } else {
        // Stable partition of every feature's segment into [left rows | right rows] of the
        // other buffer: left rows from `start`, right rows from `start + nLeft`.
        const children = segments === segmentsEven ? segmentsOdd : segmentsEven;
        for (let f = 0; f < d; f++) {
          const base = f * n;
          stablePartition(segments, base + start, base + end, children, base + start, base + start + nLeft, goesLeft);
        }
        mid = start + nLeft;
      }

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
    return builder;
  }
}

/**
 * Stable partition of `from[start, end)` (row indices) into `to`: rows with goesLeft[row] = 1 from
 * `to[leftStart]`, the others from `to[rightStart]` (`to` must not be `from`). Branch-free, since
 * the side is data-dependent and a branch would mispredict half the time: the destination is
 * picked with bit masks (−1 and 0 for g = 1, 0 and −1 for g = 0), and the loop takes two rows per
 * iteration; together 40% faster than `wr + g · (wl − wr)` one row at a time.
 */
export function stablePartition(
  from: Int32Array,
  start: number,
  end: number,
  to: Int32Array,
  leftStart: number,
  rightStart: number,
  goesLeft: Uint8Array,
): void {
  let wl = leftStart;
  let wr = rightStart;
  let k = start;
  for (; k + 1 < end; k += 2) {
    const r0 = from[k];
    const r1 = from[k + 1];
    const g0 = goesLeft[r0];
    const g1 = goesLeft[r1];
    to[(wl & -g0) | (wr & (g0 - 1))] = r0;
    wl += g0;
    wr += 1 - g0;
    to[(wl & -g1) | (wr & (g1 - 1))] = r1;
    wl += g1;
    wr += 1 - g1;
  }
  if (k < end) {
    const r = from[k];
    const g = goesLeft[r];
    to[(wl & -g) | (wr & (g - 1))] = r;
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
