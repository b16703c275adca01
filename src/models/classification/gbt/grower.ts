/**
 * Growing one boosted tree: best-first by gain, bounded by `maxDepth` and `maxLeaves`, with split
 * finding by bin histograms (with subtraction) or by a walk over rows kept in bin order (see
 * `SplitFinding`). Buffers are reused across trees and fits of one row count.
 */
import type { Rng } from '../../../core/rng.js';
import { LEAF, TreeBuilder, treeNodeCapacity } from '../../tree/flatTree.js';
import { type SortedColumns, stablePartition } from '../treeGrower.js';
import { type BinnedColumns, MISSING_BIN } from './binning.js';
import type { GbtParams, SplitFinding } from './params.js';


/** `auto`: sorted scanning when the rows number at most 4× the average bins per feature. */
export function chooseSplitFinding(sampleRows: number, binned: BinnedColumns): SplitFinding {
  const bins = binned.totalSlots / Math.max(1, binned.d);
  return sampleRows <= 4 * bins ? 'sorted' : 'histogram';
}

/**
 * Reusable buffers for growing boosted trees on one row count. Not reentrant.
 */
export class BoostingTreeGrower {
  readonly builder: TreeBuilder;
  private readonly capacity: number;
  private binned: BinnedColumns;
  private sortedColumns: SortedColumns;
  private mode: SplitFinding = 'histogram';
  /** Histogram mode: the sample's rows, each node owning a contiguous range. */
  private readonly rows: Int32Array;
  /** Sorted mode: per feature f, segments[f·n + k] = node-ordered rows sorted by value within each node. */
  private segments = new Int32Array(0);
  private readonly scratch: Int32Array;
  private readonly inSample: Uint8Array;
  private readonly goesLeft: Uint8Array;
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
  /** 1 for a histogram filled by subtraction (cleared in full on release). */
  private readonly histogramDense: number[] = [];

  constructor(
    binned: BinnedColumns,
    sortedColumns: SortedColumns,
    private readonly params: GbtParams,
  ) {
    this.binned = binned;
    this.sortedColumns = sortedColumns;
    const n = binned.n;
    let capacity = treeNodeCapacity(n, params.maxDepth);
    if (params.maxLeaves > 0) capacity = Math.min(capacity, 2 * params.maxLeaves - 1);
    this.capacity = capacity;
    this.builder = new TreeBuilder(capacity);
    this.rows = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.inSample = new Uint8Array(n);
    this.goesLeft = new Uint8Array(n);
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

  /** Whether this grower's buffers fit data with `n` rows. */
  fits(n: number): boolean {
    return n === this.binned.n;
  }

  /** Switch to new data of the same row count; pooled histograms are kept while their size fits. */
  useData(binned: BinnedColumns, sortedColumns: SortedColumns): void {
    if (binned.totalSlots !== this.binned.totalSlots) {
      this.histograms.length = 0;
      this.freeHistograms.length = 0;
      this.histogramDense.length = 0;
    }
    this.binned = binned;
    this.sortedColumns = sortedColumns;
  }

  setMode(mode: SplitFinding): void {
    this.mode = mode;
    const size = this.binned.n * this.binned.d;
    if (mode === 'sorted' && this.segments.length < size) this.segments = new Int32Array(size);
  }

  // ---- histogram mode -------------------------------------------------------------------------

  /** A histogram from the pool; pooled histograms are all zero. */
  private takeHistogram(): number {
    const free = this.freeHistograms.pop();
    if (free !== undefined) return free;
    this.histograms.push(new Float64Array(3 * this.binned.totalSlots));
    this.histogramDense.push(0);
    return this.histograms.length - 1;
  }

  /**
   * Return a node's histogram to the pool, zeroed. One built from the node's rows is cleared slot by
   * slot through those rows (O(rows·d), far less than the whole histogram on small nodes); one made
   * by subtraction may hold rounding residue anywhere and is cleared in full.
   */
  private releaseHistogram(node: number): void {
    const h = this.nodeHist[node];
    if (h < 0) return;
    const hist = this.histograms[h];
    if (this.histogramDense[h] === 1) {
      hist.fill(0);
      this.histogramDense[h] = 0;
    } else {
      const { n, d, codes, slotStart } = this.binned;
      const rows = this.rows;
      const start = this.nodeStart[node];
      const end = this.nodeEnd[node];
      for (let f = 0; f < d; f++) {
        const base = f * n;
        const slot0 = slotStart[f];
        const missingSlot = slotStart[f + 1] - 1;
        for (let k = start; k < end; k++) {
          const code = codes[base + rows[k]];
          const s = 3 * (code === MISSING_BIN ? missingSlot : slot0 + code);
          hist[s] = 0;
          hist[s + 1] = 0;
          hist[s + 2] = 0;
        }
      }
    }
    this.freeHistograms.push(h);
    this.nodeHist[node] = -1;
  }

  /** Histogram of (Σg, Σh, count) per bin slot over the node's rows. */
  private buildHistogram(node: number, grad: Float64Array, hess: Float64Array): void {
    const hIndex = this.takeHistogram();
    this.nodeHist[node] = hIndex;
    const hist = this.histograms[hIndex];
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
    this.histogramDense[hIndex] = 1;
    const a = this.histograms[this.nodeHist[parent]];
    const b = this.histograms[this.nodeHist[sibling]];
    for (let k = 0; k < out.length; k++) out[k] = a[k] - b[k];
  }

  /** Best split of `node` from its histogram. */
  private findSplitFromHistogram(node: number): void {
    const { d, slotStart } = this.binned;
    const hist = this.histograms[this.nodeHist[node]];
    const C = this.nodeEnd[node] - this.nodeStart[node];
    this.beginSplitSearch(node);
    for (let f = 0; f < d; f++) {
      const s0 = slotStart[f];
      const missingSlot = slotStart[f + 1] - 1;
      const lastBin = missingSlot - 1 - s0; // index of the last observed bin
      const mG = hist[3 * missingSlot];
      const mH = hist[3 * missingSlot + 1];
      const mC = hist[3 * missingSlot + 2];
      const observedC = C - mC;
      if (observedC === 0) continue;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < lastBin; b++) {
        const s = 3 * (s0 + b);
        const cb = hist[s + 2];
        if (cb === 0) continue;
        gl += hist[s];
        hl += hist[s + 1];
        cl += cb;
        if (cl >= observedC) break; // nothing observed to the right
        this.consider(f, b, gl, hl, cl, mG, mH, mC);
      }
      if (mC > 0) this.considerMissingOnly(f, lastBin, mG, mH, mC, observedC);
    }
    this.endSplitSearch(node);
  }

  // ---- sorted mode ----------------------------------------------------------------------------

  /** Segments of the sample's rows per feature, in canonical value order. */
  private initSegments(sampleRows: Int32Array, sampleCount: number): void {
    const { n, d, order } = this.sortedColumns;
    const segments = this.segments;
    if (sampleCount === n) {
      segments.set(order.subarray(0, n * d));
      return;
    }
    const inSample = this.inSample;
    inSample.fill(0);
    for (let k = 0; k < sampleCount; k++) inSample[sampleRows[k]] = 1;
    for (let f = 0; f < d; f++) {
      const base = f * n;
      let w = base;
      for (let k = base, e = base + n; k < e; k++) {
        const r = order[k];
        if (inSample[r] === 1) segments[w++] = r;
      }
    }
  }

  /** Best split of `node` by walking each feature's sorted rows. */
  private findSplitFromSortedRows(node: number, grad: Float64Array, hess: Float64Array): void {
    const { n, d, codes } = this.binned;
    const segments = this.segments;
    const start = this.nodeStart[node];
    const end = this.nodeEnd[node];
    this.beginSplitSearch(node);
    for (let f = 0; f < d; f++) {
      const base = f * n;
      const segStart = base + start;
      let observedEnd = base + end;
      let mG = 0;
      let mH = 0;
      while (observedEnd > segStart && codes[base + segments[observedEnd - 1]] === MISSING_BIN) {
        const r = segments[--observedEnd];
        mG += grad[r];
        mH += hess[r];
      }
      const mC = base + end - observedEnd;
      const observedC = observedEnd - segStart;
      if (observedC === 0) continue;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      let code = codes[base + segments[segStart]];
      if (mC === 0) {
        // Fast path without missing values: reject infeasible candidates and compare the
        // children's score with the best by cross-multiplication inline; `offer` re-checks and
        // records the rare improvement.
        const { minSamplesLeaf, minChildWeight, lambda } = this.params;
        const G = this.searchG;
        const H = this.searchH;
        const C = this.searchC;
        let target = this.target;
        for (let k = segStart; k < observedEnd - 1; k++) {
          const r = segments[k];
          gl += grad[r];
          hl += hess[r];
          cl++;
          const nextCode = codes[base + segments[k + 1]];
          if (nextCode === code) continue;
          const hr = H - hl;
          if (cl >= minSamplesLeaf && C - cl >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
            const gr = G - gl;
            const dl = hl + lambda;
            const dr = hr + lambda;
            if (gl * gl * dr + gr * gr * dl > target * (dl * dr)) {
              this.offer(f, code, false, gl, hl, cl);
              target = this.target;
            }
          }
          code = nextCode;
        }
        continue;
      }
      for (let k = segStart; k < observedEnd - 1; k++) {
        const r = segments[k];
        gl += grad[r];
        hl += hess[r];
        cl++;
        const nextCode = codes[base + segments[k + 1]];
        if (nextCode === code) continue;
        this.consider(f, code, gl, hl, cl, mG, mH, mC);
        code = nextCode;
      }
      if (mC > 0) this.considerMissingOnly(f, this.binned.edgeStart[f + 1] - this.binned.edgeStart[f], mG, mH, mC, observedC);
    }
    this.endSplitSearch(node);
  }

  // ---- split search state shared by both modes ------------------------------------------------

  private searchG = 0;
  private searchH = 0;
  private searchC = 0;
  private parentScore = 0;
  /** bestGain + parentScore: a candidate with children score A/B beats the best iff A > target·B. */
  private target = 0;
  private bestGain = 0;
  private bestFeature = -1;
  private bestBin = 0;
  private bestMissingLeft = false;

  private beginSplitSearch(node: number): void {
    this.searchG = this.nodeGrad[node];
    this.searchH = this.nodeHess[node];
    this.searchC = this.nodeEnd[node] - this.nodeStart[node];
    this.parentScore = (this.searchG * this.searchG) / (this.searchH + this.params.lambda);
    this.target = this.parentScore;
    this.bestGain = 0;
    this.bestFeature = -1;
    this.bestBin = 0;
    this.bestMissingLeft = false;
  }

  /**
   * Offer the split with left sums (gl, hl, cl); right = node − left. The children's score
   * gl²/(hl+λ) + gr²/(hr+λ) is compared as a fraction A/B by cross-multiplication, so a candidate
   * costs no division unless it becomes the best (divisions dominated the scan otherwise).
   */
  private offer(f: number, b: number, missingLeft: boolean, gl: number, hl: number, cl: number): void {
    const { minSamplesLeaf, minChildWeight, lambda } = this.params;
    const hr = this.searchH - hl;
    if (cl < minSamplesLeaf || this.searchC - cl < minSamplesLeaf || hl < minChildWeight || hr < minChildWeight) return;
    const gr = this.searchG - gl;
    const dl = hl + lambda;
    const dr = hr + lambda;
    if (!(dl > 0 && dr > 0)) return;
    const numerator = gl * gl * dr + gr * gr * dl;
    const denominator = dl * dr;
    if (numerator > this.target * denominator) {
      const gain = numerator / denominator - this.parentScore;
      if (gain > this.bestGain) {
        this.bestGain = gain;
        this.target = gain + this.parentScore;
        this.bestFeature = f;
        this.bestBin = b;
        this.bestMissingLeft = missingLeft;
      }
    }
  }

  /**
   * Candidates "bins ≤ b left" with the missing rows (sums mG, mH, count mC) on the right, then on
   * the left; (gl, hl, cl) are the sums of the observed rows in bins ≤ b.
   */
  private consider(f: number, b: number, gl: number, hl: number, cl: number, mG: number, mH: number, mC: number): void {
    this.offer(f, b, false, gl, hl, cl);
    if (mC > 0) this.offer(f, b, true, gl + mG, hl + mH, cl + mC);
  }

  /** Candidate "every observed value left, missing right" (`lastBin` = the last observed bin). */
  private considerMissingOnly(f: number, lastBin: number, mG: number, mH: number, mC: number, observedC: number): void {
    this.offer(f, lastBin, false, this.searchG - mG, this.searchH - mH, observedC);
  }

  private endSplitSearch(node: number): void {
    this.splitGain[node] = this.bestFeature >= 0 ? 0.5 * this.bestGain : -Infinity;
    this.splitFeature[node] = this.bestFeature;
    this.splitBin[node] = this.bestBin;
    this.splitMissingLeft[node] = this.bestMissingLeft ? 1 : 0;
  }

  // ---- growth ---------------------------------------------------------------------------------

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
   * Grow one tree on `sampleRows[0..sampleCount)` (rows with positive weight) with gradients `grad`
   * and hessians `hess`. Returns the grower's builder holding the tree (thresholds in feature units),
   * valid until the next `grow`; `splitBin` keeps the bin form of the splits for `addToMargin`.
   */
  grow(sampleRows: Int32Array, sampleCount: number, grad: Float64Array, hess: Float64Array): TreeBuilder {
    const sorted = this.mode === 'sorted';
    const builder = this.builder;
    builder.reset();
    let G = 0;
    let H = 0;
    for (let k = 0; k < sampleCount; k++) {
      const r = sampleRows[k];
      G += grad[r];
      H += hess[r];
    }
    if (sorted) this.initSegments(sampleRows, sampleCount);
    else this.rows.set(sampleRows.subarray(0, sampleCount));
    const root = builder.addLeaf(this.leafValue(G, H));
    this.nodeStart[root] = 0;
    this.nodeEnd[root] = sampleCount;
    this.nodeDepth[root] = 0;
    this.nodeGrad[root] = G;
    this.nodeHess[root] = H;
    this.nodeHist[root] = -1;
    let nPending = 0;
    if (this.canSplit(root)) {
      if (sorted) this.findSplitFromSortedRows(root, grad, hess);
      else {
        this.buildHistogram(root, grad, hess);
        this.findSplitFromHistogram(root);
      }
      if (this.splitGain[root] > 0) this.pending[nPending++] = root;
      else this.releaseHistogram(root);
    }
    let leaves = 1;
    const maxLeaves = this.params.maxLeaves > 0 ? this.params.maxLeaves : Number.MAX_SAFE_INTEGER;
    const { edges, edgeStart } = this.binned;
    const d = this.binned.d;
    const subtractCost = 3 * this.binned.totalSlots;

    while (nPending > 0 && leaves < maxLeaves && builder.nodeCount + 2 <= this.capacity) {
      // Best-first: the pending leaf with the largest gain (any order when leaves are unbounded).
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
      if (sorted) this.routeSegments(start, end, f, bin, missingLeft, grad, hess);
      else this.partitionRows(start, end, f, bin, missingLeft, grad, hess);
      const gl = this.routedGrad;
      const hl = this.routedHess;
      const mid = start + this.routedLeft;
      const sawMissing = this.routedMissing;
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
      if (sorted) {
        // Children that will never be split (depth or size limits) need no sorted segments.
        if (splitLeft || splitRight) this.partitionSegments(start, end, mid);
        if (splitLeft) {
          this.findSplitFromSortedRows(leftId, grad, hess);
          if (this.splitGain[leftId] > 0) this.pending[nPending++] = leftId;
        }
        if (splitRight) {
          this.findSplitFromSortedRows(rightId, grad, hess);
          if (this.splitGain[rightId] > 0) this.pending[nPending++] = rightId;
        }
        continue;
      }
      if (splitLeft || splitRight) {
        const small = nLeft <= nRight ? leftId : rightId;
        const large = small === leftId ? rightId : leftId;
        const largeSplittable = large === leftId ? splitLeft : splitRight;
        const smallSplittable = small === leftId ? splitLeft : splitRight;
        const nLarge = large === leftId ? nLeft : nRight;
        const subtract = largeSplittable && nLarge * d > subtractCost;
        if (smallSplittable || subtract) this.buildHistogram(small, grad, hess);
        if (largeSplittable) {
          if (subtract) this.subtractHistogram(large, node, small);
          else this.buildHistogram(large, grad, hess);
        }
        if (!smallSplittable) this.releaseHistogram(small);
        for (let child = leftId; child <= rightId; child++) {
          if (this.nodeHist[child] < 0) continue;
          this.findSplitFromHistogram(child);
          if (this.splitGain[child] > 0) this.pending[nPending++] = child;
          else this.releaseHistogram(child);
        }
      }
      this.releaseHistogram(node);
    }
    for (let k = 0; k < nPending; k++) this.releaseHistogram(this.pending[k]);
    return builder;
  }

  // Result of routing a split's rows: left sums, left count, whether a missing value was met.
  private routedGrad = 0;
  private routedHess = 0;
  private routedLeft = 0;
  private routedMissing = false;

  /** Histogram mode: in-place (unstable) partition of the node's rows, left rows first. */
  private partitionRows(start: number, end: number, f: number, bin: number, missingLeft: boolean, grad: Float64Array, hess: Float64Array): void {
    const { n, codes } = this.binned;
    const rows = this.rows;
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
    this.routedGrad = gl;
    this.routedHess = hl;
    this.routedLeft = i - start;
    this.routedMissing = sawMissing;
  }

  /** Sorted mode: mark the side of each of the node's rows (`goesLeft`) and sum the left side. */
  private routeSegments(start: number, end: number, f: number, bin: number, missingLeft: boolean, grad: Float64Array, hess: Float64Array): void {
    const { n, codes } = this.binned;
    const segments = this.segments;
    const goesLeft = this.goesLeft;
    const base = f * n;
    let gl = 0;
    let hl = 0;
    let nLeft = 0;
    let sawMissing = false;
    const ml = missingLeft ? 1 : 0;
    for (let k = base + start; k < base + end; k++) {
      const r = segments[k];
      const code = codes[base + r];
      const missing = code === MISSING_BIN;
      const g = missing ? ml : code <= bin ? 1 : 0;
      sawMissing = sawMissing || missing;
      goesLeft[r] = g;
      gl += g * grad[r];
      hl += g * hess[r];
      nLeft += g;
    }
    this.routedGrad = gl;
    this.routedHess = hl;
    this.routedLeft = nLeft;
    this.routedMissing = sawMissing;
  }

  /** Sorted mode: stable partition of every feature's segment by `goesLeft`, left rows first. */
  private partitionSegments(start: number, end: number, mid: number): void {
    const { n, d } = this.binned;
    const segments = this.segments;
    const scratch = this.scratch;
    const count = end - start;
    for (let h = 0; h < d; h++) {
      const hb = h * n;
      // Partition in place through a copy (`stablePartition` reads and writes different arrays).
      for (let k = 0; k < count; k++) scratch[k] = segments[hb + start + k];
      stablePartition(scratch, 0, count, segments, hb + start, hb + mid, this.goesLeft);
    }
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
