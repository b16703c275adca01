/**
 * Cross-class twins (`twins`, classification): k pairs of synthetic rows, one of each class, that
 * share every feature value for the whole run.
 *
 * Why: a depth-5 tree grown on 20 rows separates every row, so its leaves are pure, its scores are
 * 0 or 1 and its AUROC sits near its balanced accuracy (docs/RESULTS.md, "Session 38"). A tree
 * cannot split two rows with the same features, so a twin pair ends in a leaf that predicts 1/2:
 * the table keeps its m rows and its hard labels (any learner that reads a CSV trains on it), yet
 * the tree gets a third score for the region where the classes overlap — a fractional label of 1/2
 * without a second copy of the table (issue 11, deliverable 4).
 *
 * How: after the start, the k closest pairs of rows of different classes (greedy, Euclidean in
 * the encoded space) are each moved to their midpoint; every step's direction then gives the
 * second row of each pair the first row's entries, so both take the same perturbations and the same
 * update and stay equal (the box projection is row-wise and the same for equal rows). Everything
 * here reads the synthetic rows only — post-processing of the DP start and of the charged steps.
 */
import type { SyntheticParameters } from './syntheticSet.js';

/** The twin pairs: row indices a₀, b₀, a₁, b₁, … (a of the first class, b of the second). */
export type TwinPairs = Int32Array;

/**
 * Picks up to `count` twin pairs among the synthetic rows (classes from `labels`) and moves each
 * pair to its midpoint in `synthetic.values`. Greedy: the closest cross-class pair first, then the
 * closest among the rows left, so no row is in two pairs. Each first-class row keeps its nearest
 * unpaired second-class row; a pairing only removes rows, so a kept distance never overstates the
 * current one, and a stale entry is recomputed when it comes up: O(m) memory, and about m²·d/4
 * operations up front however many pairs are asked for.
 */
export function placeTwins(synthetic: SyntheticParameters, labels: Uint8Array, count: number): TwinPairs {
  const m = synthetic.rows;
  const d = synthetic.encoder.dim;
  const values = synthetic.values;
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < m; i++) (labels[i] === 0 ? first : second).push(i);
  const wanted = Math.max(0, Math.min(count, first.length, second.length));
  const paired = new Uint8Array(m);
  const nearest = new Int32Array(first.length);
  const distance = new Float64Array(first.length);
  const findNearest = (f: number) => {
    const a = first[f];
    let best = -1;
    let bestDistance = Infinity;
    for (const b of second) {
      if (paired[b]) continue;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = values[a * d + j] - values[b * d + j];
        s += diff * diff;
      }
      // Ties go to the lower row index (strict <, rows in order), so the choice is deterministic.
      if (s < bestDistance) {
        bestDistance = s;
        best = b;
      }
    }
    nearest[f] = best;
    distance[f] = bestDistance;
  };
  if (wanted > 0) for (let f = 0; f < first.length; f++) findNearest(f);
  const pairs: number[] = [];
  while (pairs.length < 2 * wanted) {
    let f = -1;
    for (let g = 0; g < first.length; g++) if (!paired[first[g]] && (f < 0 || distance[g] < distance[f])) f = g;
    if (paired[nearest[f]]) {
      findNearest(f);
      continue;
    }
    const [a, b] = [first[f], nearest[f]];
    paired[a] = paired[b] = 1;
    pairs.push(a, b);
    for (let j = 0; j < d; j++) {
      const mid = 0.5 * (values[a * d + j] + values[b * d + j]);
      values[a * d + j] = mid;
      values[b * d + j] = mid;
    }
  }
  synthetic.project(values);
  return Int32Array.from(pairs);
}

/**
 * Gives the second row of each pair the first row's entries in each of the K directions
 * (direction-major, K·p; the encoded rows are the first m·d coordinates of each direction).
 */
export function tieTwinDirections(directions: Float64Array, K: number, p: number, d: number, pairs: TwinPairs): void {
  for (let k = 0; k < K; k++) {
    const offset = k * p;
    for (let t = 0; t < pairs.length; t += 2) {
      const from = offset + pairs[t] * d;
      directions.copyWithin(offset + pairs[t + 1] * d, from, from + d);
    }
  }
}
