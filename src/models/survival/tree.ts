/**
 * Survival trees grown with log-rank splitting (Segal 1988; LeBlanc & Crowley 1993), the tree of
 * random survival forests as implemented by ranger (Wright & Ziegler 2017, `splitrule = "logrank"`).
 *
 * Split criterion: for a candidate left child L of a node, with d_k events and Y_k at risk at the
 * node's distinct event times t_k (weighted counts),
 *   U = Σ_k (d_Lk − Y_Lk·d_k/Y_k),
 *   V = Σ_k (Y_Lk/Y_k)(1 − Y_Lk/Y_k)·d_k·(Y_k − d_k)/(Y_k − 1)   (terms with Y_k ≤ 1 are 0),
 * and the split maximises |U| / √V. Thresholds are midpoints between consecutive distinct values
 * (x ≤ threshold goes left), as ranger.
 *
 * Speed (the tree is refitted thousands of times in the condensation loop and grown 200 times on
 * 7000 rows in the forest test): U is a sum over rows, U_L = Σ_{i∈L} w_i(δ_i − Λ(T_i)) with Λ the
 * node's Nelson–Aalen hazard, and V = Σ_{i∈L} w_i·A(T_i) − Σ_{i,j∈L} w_i w_j·B(min(T_i, T_j)) with
 * A(t) = Σ_{t_k ≤ t} c_k/Y_k, B(t) = Σ_{t_k ≤ t} c_k/Y_k², c_k = d_k(Y_k − d_k)/(Y_k − 1).
 * - Features with many distinct values: every node keeps its rows sorted by each such feature and
 *   by time in ranges of presorted index arrays, split by a stable partition (O(n) per feature per
 *   tree level, no sort after the root); sweeping the rows in feature order with the pair sum kept
 *   in two Fenwick trees over the node's time ranks evaluates every split in O(n log n), instead of
 *   ranger's O(n · #times).
 * - Features with at most LEVEL_LIMIT distinct values (binary, one-hot, small scores): per-level
 *   histograms over time ranks give every split in O(n + levels · #times), with no order to keep.
 *
 * Sizes are counted in rows (a bootstrap duplicate counts as many times as drawn), as ranger's
 * `min.node.size` for survival: every child has at least `minSamplesLeaf` rows, so a node needs
 * 2·minSamplesLeaf rows to be split. Case weights enter the counts d_k, Y_k (they act as frequency
 * weights; the learners scale them to mean 1 so that the (Y_k − 1) factor keeps its meaning).
 *
 * Leaves store the Nelson–Aalen cumulative hazard H(t) = Σ_{t_k ≤ t} d_k/Y_k of their own rows at
 * their own event times (one flat Float64Array with offsets for the whole tree); the survival
 * prediction is exp(−H(t)) (as ranger), and the risk score is ranger's "mortality": the sum of H
 * over the training event times.
 *
 * Missing values are rejected at fit time (survival designs do not impute); at prediction a NaN
 * follows the child that received more training weight.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import { argsortRange } from '../../core/argsort.js';
import { leafOf as leafNode } from '../tree/flatTree.js';
import { ModelInputError, type SurvivalTarget } from '../types.js';
import { countBefore } from '../../core/search.js';

/** A fitted survival tree as parallel flat arrays (node 0 is the root). */
export interface FlatSurvivalTree {
  readonly nodeCount: number;
  /** Split feature, or −1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when a missing value follows the left child (the heavier one in training). */
  readonly missingGoesLeft: Uint8Array;
  /** Leaf number of a node (−1 for internal nodes); leaves are numbered 0 .. leafCount − 1. */
  readonly leafOf: Int32Array;
  readonly leafCount: number;
  /** Leaf ℓ's curve is curveTimes/curveHazard[curveStart[ℓ] .. curveStart[ℓ + 1] − 1]. */
  readonly curveStart: Int32Array;
  /** The leaf's distinct event times, ascending. */
  readonly curveTimes: Float64Array;
  /** The leaf's Nelson–Aalen cumulative hazard at those times. */
  readonly curveHazard: Float64Array;
  /** Σ of the leaf's H over the training event times (ranger's mortality), per leaf. */
  readonly leafMortality: Float64Array;
}

export interface SurvivalTreeGrowth {
  /** Maximum depth (root = depth 0); Infinity for unlimited. */
  maxDepth: number;
  /** Minimum rows in each child (see the module comment). */
  minSamplesLeaf: number;
  /** Features tried per node (drawn without replacement); ≥ d means all. */
  maxFeatures: number;
}

/**
 * Features with at most this many distinct training values (binary, one-hot, small integer scores)
 * are split from per-level histograms over time ranks, O(m + levels · #times) per node, instead of
 * the Fenwick sweep; they also need no presorted order to maintain.
 */
const LEVEL_LIMIT = 16;

/**
 * The training set in the layout the builder needs, shared by all trees of a forest: features
 * column-major, level codes of low-cardinality features, sort orders of the other features and of
 * time, and the risk grid.
 */
export class SurvivalTrainingSet {
  readonly n: number;
  readonly d: number;
  /** Column-major copy of X: feature f of row i at columns[f * n + i]. */
  readonly columns: Float64Array;
  readonly time: Float64Array;
  readonly event: Uint8Array;
  /** Number of distinct values of feature f when ≤ LEVEL_LIMIT (a "level feature"), else 0. */
  readonly levelCount: Int32Array;
  /** Column-major level index (rank of the value among the feature's distinct values), level features only. */
  readonly levelOf: Uint8Array;
  /** Distinct values (ascending) of each level feature; empty for the others. */
  readonly levelValues: Float64Array[];
  /** sortedBy[f] (f < d): rows by feature f ascending (null for level features); sortedBy[d]: rows by time. */
  readonly sortedBy: (Int32Array | null)[];
  /** Distinct event times of the training set: the grid over which mortality sums H. */
  readonly riskGrid: Float64Array;

  constructor(X: Matrix, target: SurvivalTarget) {
    const n = X.rows, d = X.cols;
    this.n = n;
    this.d = d;
    this.columns = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) this.columns[f * n + i] = X.data[i * d + f];
    this.time = target.time;
    this.event = target.event;
    this.levelCount = new Int32Array(d);
    this.levelOf = new Uint8Array(n * d);
    this.levelValues = [];
    this.sortedBy = [];
    // One backing buffer for every order (few large allocations: this runs once per fit in the
    // condensation loop, where allocation and GC otherwise dominate on ~50 rows).
    const orderBuffer = new Int32Array((d + 1) * n);
    const scratch = new Int32Array(n);
    const sortInto = (key: Float64Array, slot: number): Int32Array => {
      const order = orderBuffer.subarray(slot * n, (slot + 1) * n);
      for (let i = 0; i < n; i++) order[i] = i;
      argsortRange(key, order, 0, n, scratch);
      return order;
    };
    const noLevels = new Float64Array(0);
    for (let f = 0; f < d; f++) {
      const column = this.columns.subarray(f * n, (f + 1) * n);
      const distinct = distinctUpTo(column, LEVEL_LIMIT);
      if (distinct) {
        this.levelCount[f] = distinct.length;
        this.levelValues.push(distinct);
        const codes = this.levelOf.subarray(f * n, (f + 1) * n);
        for (let i = 0; i < n; i++) codes[i] = indexOfSorted(distinct, column[i]);
        this.sortedBy.push(null);
      } else {
        this.levelValues.push(noLevels);
        this.sortedBy.push(sortInto(column, f));
      }
    }
    const byTime = sortInto(this.time, d);
    this.sortedBy.push(byTime);
    const grid: number[] = [];
    for (let r = 0; r < n; r++) {
      const i = byTime[r];
      if (target.event[i] === 1 && (grid.length === 0 || grid[grid.length - 1] !== target.time[i])) grid.push(target.time[i]);
    }
    this.riskGrid = Float64Array.from(grid);
  }
}

/** The sorted distinct values of `column` if there are at most `limit`, else null. */
function distinctUpTo(column: Float64Array, limit: number): Float64Array | null {
  const seen: number[] = [];
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (seen.includes(v)) continue;
    if (seen.length === limit) return null;
    seen.push(v);
  }
  return Float64Array.from(seen).sort();
}

function indexOfSorted(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The best split found so far in a node. */
interface SplitChoice {
  statistic: number;
  feature: number;
  threshold: number;
}

/**
 * Grows trees on a SurvivalTrainingSet. Holds every work buffer (sized for n rows), so a forest
 * reuses one builder for all its trees.
 */
export class SurvivalTreeBuilder {
  private readonly n: number;
  private readonly d: number;
  /**
   * Per maintained order (non-level features and, at index d, time): the in-bag rows of the current
   * tree, each node's rows contiguous and sorted within the node.
   */
  private readonly orders: (Int32Array | null)[];
  private readonly partitionBuffer: Int32Array;
  private readonly goesLeft: Uint8Array;
  private readonly rowWeight: Float64Array;
  private readonly rowCount: Int32Array;
  // Per-row statistics of the node being split (indexed by row): time rank in the node, Λ, A, B.
  private readonly rowRank: Int32Array;
  private readonly rowLambda: Float64Array;
  private readonly rowA: Float64Array;
  private readonly rowB: Float64Array;
  /** Two interleaved Fenwick trees over time ranks: slot p holds Σw at [2p] and Σw·B at [2p + 1]. */
  private readonly fenwick: Float64Array;
  private readonly featurePool: Int32Array;
  // Per-time-rank scratch of the node.
  private readonly timeDeaths: Float64Array;
  private readonly timeLeaving: Float64Array;
  private readonly timeValue: Float64Array;
  /** β_k = c_k / Y_k² per time rank (the increment of B). */
  private readonly timeBeta: Float64Array;
  private readonly yLeft: Float64Array;
  private readonly levelHistogram: Float64Array;
  private readonly bucketStart: Int32Array;
  private readonly bucketCursor: Int32Array;
  private readonly bucketRows: Int32Array;
  private nodeTimes = 0;
  private nodeWeight = 0;
  // Node arrays of the tree being grown (capacity 2n + 1 nodes), copied out when it is done.
  private readonly nodeFeature: Int32Array;
  private readonly nodeThreshold: Float64Array;
  private readonly nodeLeft: Int32Array;
  private readonly nodeRight: Int32Array;
  private readonly nodeMissingGoesLeft: Uint8Array;
  private readonly nodeLeafOf: Int32Array;

  constructor(private readonly data: SurvivalTrainingSet) {
    const n = data.n, d = data.d;
    this.n = n;
    this.d = d;
    // Views into three backing buffers (see SurvivalTrainingSet on why allocations are pooled).
    const ints = new Int32Array((d + 1) * n + 4 * n + 4 * (2 * n + 1) + d + 2 * LEVEL_LIMIT + 1);
    let intOffset = 0;
    const intView = (length: number) => ints.subarray(intOffset, (intOffset += length));
    const floats = new Float64Array(2 * (n + 1) + 10 * n + (2 * n + 1));
    let floatOffset = 0;
    const floatView = (length: number) => floats.subarray(floatOffset, (floatOffset += length));
    this.orders = data.sortedBy.map((o) => (o ? intView(n) : null));
    this.partitionBuffer = intView(n);
    this.rowCount = intView(n);
    this.rowRank = intView(n);
    this.bucketRows = intView(n);
    this.featurePool = intView(d);
    this.bucketStart = intView(LEVEL_LIMIT + 1);
    this.bucketCursor = intView(LEVEL_LIMIT);
    this.nodeFeature = intView(2 * n + 1);
    this.nodeLeft = intView(2 * n + 1);
    this.nodeRight = intView(2 * n + 1);
    this.nodeLeafOf = intView(2 * n + 1);
    const bytes = new Uint8Array(3 * n + 1);
    this.goesLeft = bytes.subarray(0, n);
    this.nodeMissingGoesLeft = bytes.subarray(n);
    this.rowWeight = floatView(n);
    this.rowLambda = floatView(n);
    this.rowA = floatView(n);
    this.rowB = floatView(n);
    this.fenwick = floatView(2 * (n + 1));
    this.timeDeaths = floatView(n);
    this.timeLeaving = floatView(n);
    this.timeValue = floatView(n);
    this.timeBeta = floatView(n);
    this.yLeft = floatView(n);
    this.levelHistogram = floatView(n);
    this.nodeThreshold = floatView(2 * n + 1);
  }

  /**
   * Grows one tree. `count[i]` = how many times row i is in the sample (0 = out of bag),
   * `weight[i]` = its total weight (count × case weight). `rng` draws the features per node.
   */
  grow(count: Int32Array, weight: Float64Array, growth: SurvivalTreeGrowth, rng: Rng): FlatSurvivalTree {
    const { n, d, data } = this;
    let inBag = 0, inBagRows = 0;
    for (let i = 0; i < n; i++) {
      const c = weight[i] > 0 ? count[i] : 0;
      this.rowCount[i] = c;
      this.rowWeight[i] = c > 0 ? weight[i] : 0;
      if (c > 0) {
        inBag++;
        inBagRows += c;
      }
    }
    if (inBag === 0) throw new ModelInputError('survival tree: no rows with positive weight in the sample');
    for (let f = 0; f <= d; f++) {
      const src = data.sortedBy[f], dst = this.orders[f];
      if (!src || !dst) continue;
      let m = 0;
      for (let r = 0; r < n; r++) {
        const i = src[r];
        if (this.rowCount[i] > 0) dst[m++] = i;
      }
    }

    const capacity = 2 * inBag + 1;
    const feature = this.nodeFeature.fill(-1, 0, capacity);
    const threshold = this.nodeThreshold.fill(0, 0, capacity);
    const left = this.nodeLeft.fill(-1, 0, capacity);
    const right = this.nodeRight.fill(-1, 0, capacity);
    const missingGoesLeft = this.nodeMissingGoesLeft.fill(0, 0, capacity);
    const leafOf = this.nodeLeafOf.fill(-1, 0, capacity);
    const curveStart: number[] = [];
    const curveTimes: number[] = [];
    const curveHazard: number[] = [];
    const leafMortality: number[] = [];

    // Depth-first growth with an explicit stack of (node, start, end, depth, rows).
    const stack: number[] = [0, 0, inBag, 0, inBagRows];
    let nodeCount = 1;
    const minLeaf = Math.max(1, growth.minSamplesLeaf);
    const choice: SplitChoice = { statistic: -1, feature: -1, threshold: 0 };
    const childRows = { nLeft: 0, rowsLeft: 0, weightLeft: 0 };
    while (stack.length > 0) {
      const rows = stack.pop()!, depth = stack.pop()!, end = stack.pop()!, start = stack.pop()!, node = stack.pop()!;
      const hasEvents = this.prepareNode(start, end);
      choice.statistic = -1;
      choice.feature = -1;
      if (hasEvents && depth < growth.maxDepth && rows >= 2 * minLeaf) {
        this.findSplit(start, end, rows, minLeaf, growth.maxFeatures, rng, choice);
      }
      if (choice.feature < 0) {
        leafOf[node] = leafMortality.length;
        curveStart.push(curveTimes.length);
        leafMortality.push(this.appendLeafCurve(start, end, curveTimes, curveHazard));
        continue;
      }
      feature[node] = choice.feature;
      threshold[node] = choice.threshold;
      this.partition(start, end, choice.feature, choice.threshold, childRows);
      missingGoesLeft[node] = childRows.weightLeft >= this.nodeWeight - childRows.weightLeft ? 1 : 0;
      const leftNode = nodeCount++, rightNode = nodeCount++;
      left[node] = leftNode;
      right[node] = rightNode;
      const mid = start + childRows.nLeft;
      stack.push(rightNode, mid, end, depth + 1, rows - childRows.rowsLeft, leftNode, start, mid, depth + 1, childRows.rowsLeft);
    }
    curveStart.push(curveTimes.length);
    return {
      nodeCount,
      feature: feature.slice(0, nodeCount),
      threshold: threshold.slice(0, nodeCount),
      left: left.slice(0, nodeCount),
      right: right.slice(0, nodeCount),
      missingGoesLeft: missingGoesLeft.slice(0, nodeCount),
      leafOf: leafOf.slice(0, nodeCount),
      leafCount: leafMortality.length,
      curveStart: Int32Array.from(curveStart),
      curveTimes: Float64Array.from(curveTimes),
      curveHazard: Float64Array.from(curveHazard),
      leafMortality: Float64Array.from(leafMortality),
    };
  }

  /**
   * Node statistics from the node's time-sorted rows: local time ranks, β_k per rank, and per row
   * Λ(T_i), A(T_i), B(T_i) (see the module comment). Returns whether the node has an event.
   */
  private prepareNode(start: number, end: number): boolean {
    const rows = this.orders[this.d]!;
    const { time, event } = this.data;
    const w = this.rowWeight;
    const deaths = this.timeDeaths, leaving = this.timeLeaving, values = this.timeValue, beta = this.timeBeta;
    let nTimes = 0, total = 0, eventWeight = 0;
    for (let r = start; r < end; r++) {
      const i = rows[r];
      if (r === start || time[i] !== values[nTimes - 1]) {
        values[nTimes] = time[i];
        deaths[nTimes] = 0;
        leaving[nTimes] = 0;
        nTimes++;
      }
      this.rowRank[i] = nTimes - 1;
      leaving[nTimes - 1] += w[i];
      total += w[i];
      if (event[i] === 1) {
        deaths[nTimes - 1] += w[i];
        eventWeight += w[i];
      }
    }
    // Cumulative Λ, A, B at each distinct time, stored in place (deaths ← Λ, leaving ← A, values ← B).
    let atRisk = total, lambda = 0, a = 0, b = 0;
    for (let k = 0; k < nTimes; k++) {
      const dk = deaths[k];
      beta[k] = 0;
      if (dk > 0) {
        lambda += dk / atRisk;
        if (atRisk > 1) {
          const c = (dk * (atRisk - dk)) / (atRisk - 1);
          a += c / atRisk;
          beta[k] = c / (atRisk * atRisk);
          b += beta[k];
        }
      }
      atRisk -= leaving[k];
      deaths[k] = lambda;
      leaving[k] = a;
      values[k] = b;
    }
    for (let r = start; r < end; r++) {
      const i = rows[r];
      const k = this.rowRank[i];
      this.rowLambda[i] = deaths[k];
      this.rowA[i] = leaving[k];
      this.rowB[i] = values[k];
    }
    this.nodeTimes = nTimes;
    this.nodeWeight = total;
    return eventWeight > 0;
  }

  /** Best log-rank split over `maxFeatures` random features, written into `best` (feature −1: none). */
  private findSplit(start: number, end: number, rows: number, minLeaf: number, maxFeatures: number, rng: Rng, best: SplitChoice): void {
    const d = this.d;
    const pool = this.featurePool;
    for (let f = 0; f < d; f++) pool[f] = f;
    const tries = Math.min(d, maxFeatures);
    for (let t = 0; t < tries; t++) {
      // Partial Fisher–Yates: the t-th feature drawn without replacement.
      const pick = t + (tries < d ? rng.int(d - t) : 0);
      const f = pool[pick];
      pool[pick] = pool[t];
      pool[t] = f;
      if (this.data.levelCount[f] > 0) this.sweepLevels(f, start, end, rows, minLeaf, best);
      else this.sweepSorted(f, start, end, rows, minLeaf, best);
    }
  }

  /** Every split of a high-cardinality feature, rows added in feature order (Fenwick pair sums). */
  private sweepSorted(f: number, start: number, end: number, rows: number, minLeaf: number, best: SplitChoice): void {
    const n = this.n;
    const order = this.orders[f]!;
    const x = this.data.columns.subarray(f * n, (f + 1) * n);
    if (x[order[start]] === x[order[end - 1]]) return; // constant in this node
    const event = this.data.event;
    const w = this.rowWeight, count = this.rowCount;
    const rank = this.rowRank, lambda = this.rowLambda, rowA = this.rowA, rowB = this.rowB;
    const bit = this.fenwick;
    const nTimes = this.nodeTimes;
    bit.fill(0, 0, 2 * (nTimes + 1));
    let weightLeft = 0, rowsLeft = 0, u = 0, linear = 0, quadratic = 0;
    for (let r = start; r < end - 1; r++) {
      const i = order[r];
      const wi = w[i], ki = rank[i], bi = rowB[i];
      // Σ over left rows with an earlier time of w and w·B (ranks < ki).
      let belowW = 0, belowWB = 0;
      for (let p = ki; p > 0; p -= p & -p) {
        belowW += bit[2 * p];
        belowWB += bit[2 * p + 1];
      }
      quadratic += 2 * wi * (belowWB + bi * (weightLeft - belowW)) + wi * wi * bi;
      const wb = wi * bi;
      for (let p = ki + 1; p <= nTimes; p += p & -p) {
        bit[2 * p] += wi;
        bit[2 * p + 1] += wb;
      }
      weightLeft += wi;
      rowsLeft += count[i];
      u += wi * (event[i] - lambda[i]);
      linear += wi * rowA[i];
      const xi = x[i], xNext = x[order[r + 1]];
      if (xi === xNext || rowsLeft < minLeaf || rows - rowsLeft < minLeaf) continue;
      this.consider(u, linear, quadratic, f, xi, xNext, best);
    }
  }

  /**
   * Every split of a low-cardinality feature: rows bucketed by level (time order kept inside each
   * bucket), then levels added to the left child in increasing order. Adding a level with
   * at-risk suffix sums G_k raises Σ_k β_k Y_Lk² by Σ_k β_k (2·Y_Lk·G_k + G_k²).
   */
  private sweepLevels(f: number, start: number, end: number, rows: number, minLeaf: number, best: SplitChoice): void {
    const n = this.n;
    const nLevels = this.data.levelCount[f];
    const levels = this.data.levelOf.subarray(f * n, (f + 1) * n);
    const values = this.data.levelValues[f];
    const timeOrder = this.orders[this.d]!;
    const bucketStart = this.bucketStart, cursor = this.bucketCursor, bucketRows = this.bucketRows;
    bucketStart.fill(0, 0, nLevels + 1);
    for (let r = start; r < end; r++) bucketStart[levels[timeOrder[r]] + 1]++;
    let nonEmpty = 0, lastLevel = -1;
    for (let l = 0; l < nLevels; l++) {
      if (bucketStart[l + 1] > 0) {
        nonEmpty++;
        lastLevel = l;
      }
      bucketStart[l + 1] += bucketStart[l];
      cursor[l] = bucketStart[l];
    }
    if (nonEmpty < 2) return;
    for (let r = start; r < end; r++) {
      const i = timeOrder[r];
      bucketRows[cursor[levels[i]]++] = i;
    }
    const event = this.data.event;
    const w = this.rowWeight, count = this.rowCount;
    const rank = this.rowRank, lambda = this.rowLambda, rowA = this.rowA;
    const beta = this.timeBeta, yLeft = this.yLeft, histogram = this.levelHistogram;
    yLeft.fill(0, 0, this.nodeTimes);
    let rowsLeft = 0, u = 0, linear = 0, quadratic = 0;
    for (let l = 0; l < lastLevel; l++) {
      const bs = bucketStart[l], be = bucketStart[l + 1];
      if (bs === be) continue;
      const maxRank = rank[bucketRows[be - 1]];
      histogram.fill(0, 0, maxRank + 1);
      for (let q = bs; q < be; q++) {
        const i = bucketRows[q];
        const wi = w[i];
        histogram[rank[i]] += wi;
        rowsLeft += count[i];
        u += wi * (event[i] - lambda[i]);
        linear += wi * rowA[i];
      }
      let suffix = 0, cross = 0, own = 0;
      for (let k = maxRank; k >= 0; k--) {
        suffix += histogram[k];
        const bk = beta[k];
        if (bk !== 0) {
          cross += bk * yLeft[k] * suffix;
          own += bk * suffix * suffix;
        }
        yLeft[k] += suffix;
      }
      quadratic += 2 * cross + own;
      if (rowsLeft < minLeaf || rows - rowsLeft < minLeaf) continue;
      let next = l + 1;
      while (bucketStart[next + 1] === bucketStart[next]) next++;
      this.consider(u, linear, quadratic, f, values[l], values[next], best);
    }
  }

  /** Standardised log-rank statistic |U|/√V of a candidate split between x values `low` < `high`. */
  private consider(u: number, linear: number, quadratic: number, f: number, low: number, high: number, best: SplitChoice): void {
    const variance = linear - quadratic;
    if (!(variance > 1e-12 * linear)) return;
    const statistic = Math.abs(u) / Math.sqrt(variance);
    if (statistic > best.statistic) {
      best.statistic = statistic;
      best.feature = f;
      const cut = (low + high) / 2;
      best.threshold = cut === high ? low : cut; // midpoint rounded up to the larger value
    }
  }

  /** Stable partition of every maintained order's range by x_f ≤ threshold. */
  private partition(start: number, end: number, f: number, threshold: number, out: { nLeft: number; rowsLeft: number; weightLeft: number }): void {
    const { n, d, data } = this;
    const x = data.columns.subarray(f * n, (f + 1) * n);
    const goesLeft = this.goesLeft, buffer = this.partitionBuffer;
    const timeOrder = this.orders[d]!;
    let nLeft = 0, rowsLeft = 0, weightLeft = 0;
    for (let r = start; r < end; r++) {
      const i = timeOrder[r];
      const isLeft = x[i] <= threshold ? 1 : 0;
      goesLeft[i] = isLeft;
      if (isLeft) {
        nLeft++;
        rowsLeft += this.rowCount[i];
        weightLeft += this.rowWeight[i];
      }
    }
    out.nLeft = nLeft;
    out.rowsLeft = rowsLeft;
    out.weightLeft = weightLeft;
    for (let o = 0; o <= d; o++) {
      const order = this.orders[o];
      if (!order || o === f) continue; // the split feature's own order already has its left rows first
      let l = start, rCount = 0;
      for (let r = start; r < end; r++) {
        const i = order[r];
        if (goesLeft[i]) order[l++] = i;
        else buffer[rCount++] = i;
      }
      for (let k = 0; k < rCount; k++) order[l + k] = buffer[k];
    }
  }

  /** Appends the node's Nelson–Aalen curve; returns its mortality over the risk grid. */
  private appendLeafCurve(start: number, end: number, times: number[], hazard: number[]): number {
    const rows = this.orders[this.d]!;
    const { time, event, riskGrid } = this.data;
    const w = this.rowWeight;
    let atRisk = this.nodeWeight;
    let cumulative = 0, mortality = 0;
    let r = start;
    while (r < end) {
      const t = time[rows[r]];
      let deaths = 0, leaving = 0;
      while (r < end && time[rows[r]] === t) {
        const i = rows[r];
        leaving += w[i];
        if (event[i] === 1) deaths += w[i];
        r++;
      }
      if (deaths > 0) {
        const increment = deaths / atRisk;
        cumulative += increment;
        times.push(t);
        hazard.push(cumulative);
        // The increment at t counts once for every grid time ≥ t.
        mortality += increment * (riskGrid.length - countBefore(riskGrid, t));
      }
      atRisk -= leaving;
    }
    return mortality;
  }
}

/** Leaf number reached by row `row` of X (routed as any flat tree: `leafOf` in tree/flatTree.ts). */
export function findLeaf(tree: FlatSurvivalTree, X: Matrix, row: number): number {
  return tree.leafOf[leafNode(tree, X, row)];
}

/**
 * Every leaf's cumulative hazard at `times` (ascending), leaf-major: out[ℓ * K + k]. One merge pass
 * per leaf: O(Σ leaf curve lengths + leaves · K).
 */
export function leafHazardsAt(tree: FlatSurvivalTree, times: Float64Array, out: Float64Array = new Float64Array(tree.leafCount * times.length)): Float64Array {
  const nTimes = times.length;
  const { curveStart, curveTimes, curveHazard } = tree;
  for (let leaf = 0; leaf < tree.leafCount; leaf++) {
    let c = curveStart[leaf];
    const cEnd = curveStart[leaf + 1];
    let h = 0;
    const dst = leaf * nTimes;
    for (let k = 0; k < nTimes; k++) {
      const t = times[k];
      while (c < cEnd && curveTimes[c] <= t) h = curveHazard[c++];
      out[dst + k] = h;
    }
  }
  return out;
}

/** Case weights scaled to mean 1 (frequency-weight meaning for the (Y − 1) variance factor). */
export function normalisedWeights(n: number, weights?: Float64Array): Float64Array {
  const out: Float64Array = new Float64Array(n);
  if (!weights) return out.fill(1);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i];
  const scale = n / sum;
  for (let i = 0; i < n; i++) out[i] = weights[i] * scale;
  return out;
}

export function checkFeatureCount(learner: string, X: Matrix, d: number): void {
  if (X.cols !== d) throw new ModelInputError(`${learner}: X has ${X.cols} columns, the model was fitted on ${d}`);
}
