/**
 * Gradient-boosted trees for binary classification (`gbt`): second-order boosting of the logistic
 * loss with histogram split finding (Chen & Guestrin 2016, XGBoost; Ke et al. 2017, LightGBM;
 * scikit-learn's HistGradientBoostingClassifier).
 *
 * Conventions
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
 *   with more rows (scikit-learn's rule).
 * - Growth is best-first by gain (LightGBM's leaf-wise order, scikit-learn's) bounded by
 *   `maxDepth` and `maxLeaves` (0 = unbounded); with only a depth bound the result equals
 *   depth-wise growth. `subsample` < 1 grows each tree on a random fraction of the rows drawn
 *   without replacement (stochastic gradient boosting, Friedman 2002).
 * - Histogram subtraction (a child's histogram = parent − sibling) is used when it is cheaper than
 *   building from the rows, i.e. on large nodes; on condensation-size data direct building wins.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { ClassificationLearner, ClassificationTarget, ClassifierModel, FitDiagnostics } from '../types.js';
import { argsortRange } from '../tree/argsort.js';
import { type FlatTree, LEAF, TreeBuilder, predictTreeInto, treeNodeCapacity } from '../tree/flatTree.js';
import { type ParamValue, intParam, numberParam, sigmoid, singleClassModel, validateClassificationFit } from './common.js';

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
} as const satisfies Record<string, ParamValue>;

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
}

export function resolveGbtParams(learner: string, p: Partial<Record<string, ParamValue>>): GbtParams {
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
  };
}

const MISSING_BIN = 255;

/** Binned training data: codes[f * n + i] ∈ [0, nBins_f) or MISSING_BIN. */
export interface BinnedColumns {
  readonly n: number;
  readonly d: number;
  readonly codes: Uint8Array;
  /** Thresholds of feature f: edges[edgeStart[f] .. edgeStart[f + 1]); bin b ⇔ x ≤ edges[b] (and > edges[b − 1]). */
  readonly edges: Float64Array;
  readonly edgeStart: Int32Array;
  /** Histogram slot of bin 0 of feature f; the feature's missing slot is slotStart[f + 1] − 1. */
  readonly slotStart: Int32Array;
  readonly totalSlots: number;
}

/** Bin every feature of X over the rows with positive weight (see the module comment). */
export function binColumns(X: Matrix, weights: Float64Array, maxBins: number): BinnedColumns {
  const n = X.rows;
  const d = X.cols;
  const data = X.data;
  const codes = new Uint8Array(n * d);
  const key = new Float64Array(n);
  const idx = new Int32Array(n);
  const tmp = new Int32Array(n);
  const edgeLists: Float64Array[] = [];
  const edgeStart = new Int32Array(d + 1);
  const slotStart = new Int32Array(d + 1);
  const distinct = new Float64Array(n);
  for (let f = 0; f < d; f++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (weights[i] > 0) idx[m++] = i;
      key[i] = data[i * d + f];
    }
    const observed = argsortRange(key, idx, 0, m, tmp);
    let nDistinct = 0;
    for (let k = 0; k < observed; k++) {
      const v = key[idx[k]];
      if (nDistinct === 0 || v > distinct[nDistinct - 1]) distinct[nDistinct++] = v;
    }
    let edges: Float64Array;
    if (nDistinct <= maxBins) {
      edges = new Float64Array(Math.max(0, nDistinct - 1));
      for (let b = 0; b + 1 < nDistinct; b++) {
        const t = distinct[b] / 2 + distinct[b + 1] / 2;
        edges[b] = t === distinct[b + 1] ? distinct[b] : t;
      }
    } else {
      // Midpoint quantiles at k/maxBins (numpy's percentile with method="midpoint"), deduplicated.
      const q: number[] = [];
      for (let k = 1; k < maxBins; k++) {
        const pos = (k / maxBins) * (observed - 1);
        const lo = Math.floor(pos);
        const hi = Math.ceil(pos);
        const t = (key[idx[lo]] + key[idx[hi]]) / 2;
        if (q.length === 0 || t > q[q.length - 1]) q.push(t);
      }
      edges = Float64Array.from(q);
    }
    edgeLists.push(edges);
    edgeStart[f + 1] = edgeStart[f] + edges.length;
    slotStart[f + 1] = slotStart[f] + edges.length + 2; // bins = edges + 1, plus the missing slot
    // Codes for every row (also zero-weight ones, so they can be routed): bin = #edges < x.
    const base = f * n;
    for (let i = 0; i < n; i++) {
      const x = data[i * d + f];
      if (x !== x) {
        codes[base + i] = MISSING_BIN;
        continue;
      }
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (x <= edges[mid]) hi = mid;
        else lo = mid + 1;
      }
      codes[base + i] = lo;
    }
  }
  const edges = new Float64Array(edgeStart[d]);
  for (let f = 0; f < d; f++) edges.set(edgeLists[f], edgeStart[f]);
  return { n, d, codes, edges, edgeStart, slotStart, totalSlots: slotStart[d] };
}

export class BoostedTreesModel implements ClassifierModel {
  readonly task = 'classification' as const;
  constructor(
    readonly baseScore: number,
    /** Leaf values already include the learning rate. */
    readonly trees: readonly FlatTree[],
    readonly diagnostics: FitDiagnostics,
  ) {}

  /** The margin F(x) (log-odds). */
  decisionFunction(X: Matrix, out?: Float64Array): Float64Array {
    const result = out ?? new Float64Array(X.rows);
    result.fill(this.baseScore, 0, X.rows);
    for (const tree of this.trees) predictTreeInto(tree, X, result, 1, true);
    return result;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const result = this.decisionFunction(X, out);
    for (let i = 0; i < X.rows; i++) result[i] = sigmoid(result[i]);
    return result;
  }
}

/**
 * Reusable buffers for growing boosted trees on one (n, d, bins) shape. Not reentrant.
 */
class HistogramTreeGrower {
  readonly builder: TreeBuilder;
  private readonly capacity: number;
  private readonly rows: Int32Array;
  // Per node (ids shared with the builder).
  private readonly nodeStart: Int32Array;
  private readonly nodeEnd: Int32Array;
  private readonly nodeDepth: Int32Array;
  private readonly nodeGrad: Float64Array;
  private readonly nodeHess: Float64Array;
  private readonly nodeHist: Int32Array; // histogram buffer index, −1 if none
  private readonly splitGain: Float64Array;
  private readonly splitFeature: Int32Array;
  readonly splitBin: Int32Array;
  private readonly splitMissingLeft: Uint8Array;
  private readonly pending: Int32Array;
  private readonly histograms: Float64Array[] = [];
  private readonly freeHistograms: number[] = [];

  constructor(
    readonly binned: BinnedColumns,
    private readonly params: GbtParams,
  ) {
    const n = binned.n;
    let capacity = treeNodeCapacity(n, params.maxDepth);
    if (params.maxLeaves > 0) capacity = Math.min(capacity, 2 * params.maxLeaves - 1);
    this.capacity = capacity;
    this.builder = new TreeBuilder(capacity);
    this.rows = new Int32Array(n);
    this.nodeStart = new Int32Array(capacity);
    this.nodeEnd = new Int32Array(capacity);
    this.nodeDepth = new Int32Array(capacity);
    this.nodeGrad = new Float64Array(capacity);
    this.nodeHess = new Float64Array(capacity);
    this.nodeHist = new Int32Array(capacity);
    this.splitGain = new Float64Array(capacity);
    this.splitFeature = new Int32Array(capacity);
    this.splitBin = new Int32Array(capacity);
    this.splitMissingLeft = new Uint8Array(capacity);
    this.pending = new Int32Array(capacity);
  }

  private takeHistogram(): number {
    const free = this.freeHistograms.pop();
    if (free !== undefined) return free;
    this.histograms.push(new Float64Array(3 * this.binned.totalSlots));
    return this.histograms.length - 1;
  }

  private releaseHistogram(node: number): void {
    const h = this.nodeHist[node];
    if (h >= 0) this.freeHistograms.push(h);
    this.nodeHist[node] = -1;
  }

  /** Histogram of (Σg, Σh, count) per bin slot over the node's rows. */
  private buildHistogram(node: number, grad: Float64Array, hess: Float64Array): void {
    const hIndex = this.takeHistogram();
    this.nodeHist[node] = hIndex;
    const hist = this.histograms[hIndex];
    hist.fill(0);
    const { n, d, codes, slotStart } = this.binned;
    const rows = this.rows;
    const start = this.nodeStart[node];
    const end = this.nodeEnd[node];
    for (let f = 0; f < d; f++) {
      const base = f * n;
      const slot0 = slotStart[f];
      const missingSlot = slotStart[f + 1] - 1;
      for (let k = start; k < end; k++) {
        const r = rows[k];
        const code = codes[base + r];
        const s = 3 * (code === MISSING_BIN ? missingSlot : slot0 + code);
        hist[s] += grad[r];
        hist[s + 1] += hess[r];
        hist[s + 2] += 1;
      }
    }
  }

  /** Child histogram = parent − sibling. */
  private subtractHistogram(node: number, parent: number, sibling: number): void {
    const hIndex = this.takeHistogram();
    this.nodeHist[node] = hIndex;
    const out = this.histograms[hIndex];
    const a = this.histograms[this.nodeHist[parent]];
    const b = this.histograms[this.nodeHist[sibling]];
    for (let k = 0; k < out.length; k++) out[k] = a[k] - b[k];
  }

  /** Best split of `node` from its histogram; sets splitGain (−Infinity when none). */
  private findSplit(node: number): void {
    const p = this.params;
    const { d, slotStart } = this.binned;
    const hist = this.histograms[this.nodeHist[node]];
    const G = this.nodeGrad[node];
    const H = this.nodeHess[node];
    const C = this.nodeEnd[node] - this.nodeStart[node];
    const lambda = p.lambda;
    const minLeaf = p.minSamplesLeaf;
    const minHess = p.minChildWeight;
    const parentScore = (G * G) / (H + lambda);
    let bestGain = 0;
    let bestFeature = -1;
    let bestBin = 0;
    let bestMissingLeft = false;
    for (let f = 0; f < d; f++) {
      const s0 = slotStart[f];
      const missingSlot = slotStart[f + 1] - 1;
      const lastBin = missingSlot - 1 - s0; // index of the last observed bin
      const mG = hist[3 * missingSlot];
      const mH = hist[3 * missingSlot + 1];
      const mC = hist[3 * missingSlot + 2];
      const hasMissing = mC > 0;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      const observedC = C - mC;
      for (let b = 0; b < lastBin; b++) {
        const s = 3 * (s0 + b);
        const cb = hist[s + 2];
        if (cb === 0) continue;
        gl += hist[s];
        hl += hist[s + 1];
        cl += cb;
        if (cl >= observedC) break; // nothing observed to the right
        // Missing rows right.
        let cr = C - cl;
        let hr = H - hl;
        if (cl >= minLeaf && cr >= minLeaf && hl >= minHess && hr >= minHess) {
          const gr = G - gl;
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
            bestMissingLeft = false;
          }
        }
        if (hasMissing) {
          const gl2 = gl + mG;
          const hl2 = hl + mH;
          const cl2 = cl + mC;
          cr = C - cl2;
          hr = H - hl2;
          if (cl2 >= minLeaf && cr >= minLeaf && hl2 >= minHess && hr >= minHess) {
            const gr = G - gl2;
            const gain = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parentScore;
            if (gain > bestGain) {
              bestGain = gain;
              bestFeature = f;
              bestBin = b;
              bestMissingLeft = true;
            }
          }
        }
      }
      if (hasMissing && observedC > 0) {
        // Every observed value left, missing right.
        const hl2 = H - mH;
        if (observedC >= minLeaf && mC >= minLeaf && hl2 >= minHess && mH >= minHess) {
          const gl2 = G - mG;
          const gain = (gl2 * gl2) / (hl2 + lambda) + (mG * mG) / (mH + lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = lastBin;
            bestMissingLeft = false;
          }
        }
      }
    }
    this.splitGain[node] = bestFeature >= 0 ? 0.5 * bestGain : -Infinity;
    this.splitFeature[node] = bestFeature;
    this.splitBin[node] = bestBin;
    this.splitMissingLeft[node] = bestMissingLeft ? 1 : 0;
  }

  private canSplit(node: number): boolean {
    const p = this.params;
    const count = this.nodeEnd[node] - this.nodeStart[node];
    if (p.maxDepth > 0 && this.nodeDepth[node] >= p.maxDepth) return false;
    if (count < 2 * p.minSamplesLeaf || count < 2) return false;
    if (this.nodeHess[node] < 2 * p.minChildWeight) return false;
    return true;
  }

  private leafValue(g: number, h: number): number {
    const denom = h + this.params.lambda;
    return denom > 0 ? (-this.params.learningRate * g) / denom : 0;
  }

  /**
   * Grow one tree on `sampleRows[0..sampleCount)` with gradients `grad` and hessians `hess`.
   * Returns the tree (thresholds in feature units); `splitBin` keeps the bin form for routing.
   */
  grow(sampleRows: Int32Array, sampleCount: number, grad: Float64Array, hess: Float64Array): FlatTree {
    const builder = this.builder;
    builder.reset();
    const rows = this.rows;
    let G = 0;
    let H = 0;
    for (let k = 0; k < sampleCount; k++) {
      const r = sampleRows[k];
      rows[k] = r;
      G += grad[r];
      H += hess[r];
    }
    const root = builder.addLeaf(this.leafValue(G, H));
    this.nodeStart[root] = 0;
    this.nodeEnd[root] = sampleCount;
    this.nodeDepth[root] = 0;
    this.nodeGrad[root] = G;
    this.nodeHess[root] = H;
    this.nodeHist[root] = -1;
    let nPending = 0;
    if (this.canSplit(root)) {
      this.buildHistogram(root, grad, hess);
      this.findSplit(root);
      if (this.splitGain[root] > 0) this.pending[nPending++] = root;
    }
    let leaves = 1;
    const maxLeaves = this.params.maxLeaves > 0 ? this.params.maxLeaves : Number.MAX_SAFE_INTEGER;
    const { n, codes, edges, edgeStart } = this.binned;
    const d = this.binned.d;
    const directCostPerRow = d;
    const subtractCost = 3 * this.binned.totalSlots;

    while (nPending > 0 && leaves < maxLeaves && builder.nodeCount + 2 <= this.capacity) {
      // Best-first: the pending leaf with the largest gain.
      let pick = nPending - 1;
      if (this.params.maxLeaves > 0) {
        for (let k = 0; k < nPending - 1; k++) if (this.splitGain[this.pending[k]] > this.splitGain[this.pending[pick]]) pick = k;
      }
      const node = this.pending[pick];
      this.pending[pick] = this.pending[--nPending];

      const f = this.splitFeature[node];
      const bin = this.splitBin[node];
      const missingLeft = this.splitMissingLeft[node] === 1;
      const start = this.nodeStart[node];
      const end = this.nodeEnd[node];
      // Partition rows in place: left rows first.
      const base = f * n;
      let i = start;
      let j = end - 1;
      let gl = 0;
      let hl = 0;
      let sawMissing = false;
      while (i <= j) {
        const r = rows[i];
        const code = codes[base + r];
        let left: boolean;
        if (code === MISSING_BIN) {
          left = missingLeft;
          sawMissing = true;
        } else left = code <= bin;
        if (left) {
          gl += grad[r];
          hl += hess[r];
          i++;
        } else {
          rows[i] = rows[j];
          rows[j] = r;
          j--;
        }
      }
      const mid = i;
      const nLeft = mid - start;
      const nRight = end - mid;
      const gr = this.nodeGrad[node] - gl;
      const hr = this.nodeHess[node] - hl;
      const nEdges = edgeStart[f + 1] - edgeStart[f];
      const threshold = bin < nEdges ? edges[edgeStart[f] + bin] : Infinity;
      const defaultLeft = sawMissing ? missingLeft : nLeft >= nRight;
      const leftId = builder.split(node, f, threshold, defaultLeft, this.leafValue(gl, hl), this.leafValue(gr, hr));
      const rightId = leftId + 1;
      leaves++;
      const depth = this.nodeDepth[node] + 1;
      this.nodeStart[leftId] = start;
      this.nodeEnd[leftId] = mid;
      this.nodeStart[rightId] = mid;
      this.nodeEnd[rightId] = end;
      this.nodeDepth[leftId] = depth;
      this.nodeDepth[rightId] = depth;
      this.nodeGrad[leftId] = gl;
      this.nodeHess[leftId] = hl;
      this.nodeGrad[rightId] = gr;
      this.nodeHess[rightId] = hr;
      this.nodeHist[leftId] = -1;
      this.nodeHist[rightId] = -1;

      const splitLeft = this.canSplit(leftId);
      const splitRight = this.canSplit(rightId);
      if (splitLeft || splitRight) {
        const small = nLeft <= nRight ? leftId : rightId;
        const large = small === leftId ? rightId : leftId;
        const largeSplittable = large === leftId ? splitLeft : splitRight;
        const smallSplittable = small === leftId ? splitLeft : splitRight;
        const nLarge = large === leftId ? nLeft : nRight;
        const subtract = largeSplittable && nLarge * directCostPerRow > subtractCost;
        if (smallSplittable || subtract) this.buildHistogram(small, grad, hess);
        if (largeSplittable) {
          if (subtract) this.subtractHistogram(large, node, small);
          else this.buildHistogram(large, grad, hess);
        }
        if (!smallSplittable) this.releaseHistogram(small);
        for (const child of [leftId, rightId]) {
          if (this.nodeHist[child] < 0) continue;
          this.findSplit(child);
          if (this.splitGain[child] > 0) this.pending[nPending++] = child;
          else this.releaseHistogram(child);
        }
      }
      this.releaseHistogram(node);
    }
    for (let k = 0; k < nPending; k++) this.releaseHistogram(this.pending[k]);
    return builder.finish();
  }

  /** Add the just-grown tree's leaf values to `margin` for every training row, routing by bins. */
  addToMargin(margin: Float64Array): void {
    const b = this.builder;
    const { n, codes } = this.binned;
    const { feature, left, right, missingGoesLeft, value } = b;
    const splitBin = this.splitBin;
    for (let i = 0; i < n; i++) {
      let node = 0;
      let f = feature[0];
      while (f !== LEAF) {
        const code = codes[f * n + i];
        if (code === MISSING_BIN) node = missingGoesLeft[node] === 1 ? left[node] : right[node];
        else node = code <= splitBin[node] ? left[node] : right[node];
        f = feature[node];
      }
      margin[i] += value[node];
    }
  }
}

export class BoostedTreesLearner implements ClassificationLearner {
  readonly name = 'gbt';
  readonly task = 'classification' as const;
  readonly params: Readonly<GbtParams>;

  constructor(
    params: Partial<Record<string, ParamValue>>,
    private readonly rng: Rng,
  ) {
    this.params = Object.freeze(resolveGbtParams(this.name, params));
  }

  fit(X: Matrix, target: ClassificationTarget, weights?: Float64Array): ClassifierModel {
    const v = validateClassificationFit(this.name, X, target, weights);
    const constant = singleClassModel(this.name, v);
    if (constant) return constant;
    const p = this.params;
    const { n } = v;
    const w = v.weights;
    const y = target.y;
    const binned = binColumns(X, w, p.maxBins);
    const grower = new HistogramTreeGrower(binned, p);
    const baseScore = Math.log(v.positiveWeight / (v.totalWeight - v.positiveWeight));
    const margin = new Float64Array(n).fill(baseScore);
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const active = new Int32Array(n);
    let nActive = 0;
    for (let i = 0; i < n; i++) if (w[i] > 0) active[nActive++] = i;
    const sampleSize = p.subsample < 1 ? Math.max(1, Math.round(p.subsample * nActive)) : nActive;
    const trees: FlatTree[] = [];
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
      trees.push(tree);
    }
    const warnings = stumps === p.nRounds ? ['gbt: no split had positive gain in any round; the model is constant'] : [];
    return new BoostedTreesModel(baseScore, trees, { iterations: p.nRounds, converged: true, warnings });
  }
}
