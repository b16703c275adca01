/**
 * Binning of the training columns, once per fit: a feature with at most `maxBins` distinct values
 * gets one bin per value with thresholds at the midpoints (exact splits, so tiny synthetic sets
 * lose nothing to binning); otherwise the thresholds are the unique midpoint quantiles at
 * k/maxBins, as scikit-learn. Missing values have their own bin (`MISSING_BIN`).
 */
import { type SortedColumns, midpoint } from '../treeGrower.js';

export const MISSING_BIN = 255;

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

/**
 * Bins every feature (see the module comment): thresholds from the rows with positive weight, codes
 * for every row, computed in one walk over the canonical sorted order. Buffers are reused across
 * fits of the same shape; the returned `BinnedColumns` aliases them until the next `bin` call.
 */
export class Binner {
  private n = -1;
  private d = -1;
  private codes = new Uint8Array(0);
  private edges = new Float64Array(0);
  private edgeStart = new Int32Array(0);
  private slotStart = new Int32Array(0);
  private active = new Float64Array(0);

  bin(cols: SortedColumns, weights: Float64Array, maxBins: number): BinnedColumns {
    const { n, d, values, order } = cols;
    if (n !== this.n || d !== this.d) {
      this.n = n;
      this.d = d;
      this.codes = new Uint8Array(n * d);
      this.edges = new Float64Array(d * Math.max(1, Math.min(n, maxBins)));
      this.edgeStart = new Int32Array(d + 1);
      this.slotStart = new Int32Array(d + 1);
      this.active = new Float64Array(n);
    }
    if (this.edges.length < d * Math.min(n, maxBins)) this.edges = new Float64Array(d * Math.min(n, maxBins));
    const { codes, edges, edgeStart, slotStart, active } = this;
    for (let f = 0; f < d; f++) {
      const base = f * n;
      // Sorted observed values of the weighted rows.
      let observed = 0;
      for (let k = 0; k < n; k++) {
        const r = order[base + k];
        const v = values[base + r];
        if (v !== v) break; // missing values sort last
        if (weights[r] > 0) active[observed++] = v;
      }
      let nDistinct = 0;
      for (let k = 0; k < observed; k++) if (k === 0 || active[k] > active[k - 1]) nDistinct++;
      const e0 = edgeStart[f];
      let nEdges = 0;
      if (nDistinct <= maxBins) {
        for (let k = 1; k < observed; k++) {
          if (active[k] > active[k - 1]) edges[e0 + nEdges++] = midpoint(active[k - 1], active[k]);
        }
      } else {
        // Midpoint quantiles at k/maxBins (numpy's percentile with method="midpoint"), deduplicated.
        for (let k = 1; k < maxBins; k++) {
          const pos = (k / maxBins) * (observed - 1);
          const t = (active[Math.floor(pos)] + active[Math.ceil(pos)]) / 2;
          if (nEdges === 0 || t > edges[e0 + nEdges - 1]) edges[e0 + nEdges++] = t;
        }
      }
      edgeStart[f + 1] = e0 + nEdges;
      slotStart[f + 1] = slotStart[f] + nEdges + 2; // nEdges + 1 bins, plus the missing slot
      // Codes for every row (zero-weight rows too, so they can be routed): bin = #edges < x.
      let bin = 0;
      const eEnd = e0 + nEdges;
      for (let k = 0; k < n; k++) {
        const r = order[base + k];
        const x = values[base + r];
        if (x !== x) {
          codes[base + r] = MISSING_BIN;
          continue;
        }
        while (e0 + bin < eEnd && x > edges[e0 + bin]) bin++;
        codes[base + r] = bin;
      }
    }
    return { n, d, codes, edges, edgeStart, slotStart, totalSlots: slotStart[d] };
  }
}

/** One-off binning (no buffer reuse). */
export function binColumns(cols: SortedColumns, weights: Float64Array, maxBins: number): BinnedColumns {
  return new Binner().bin(cols, weights, maxBins);
}
