/**
 * Argsort of numeric keys with missing values (NaN) last, on Int32Array buffers without a
 * comparator closure (TypedArray#sort with a callback is several times slower in V8).
 *
 * The order is canonical: ascending key, NaN last, ties (and NaNs) by ascending index. So the
 * result depends only on the keys, whichever algorithm produced it, which lets a learner re-sort
 * from the previous fit's order (`resortFromHint`): zero-order optimisation fits on S ± μu, small
 * perturbations of the same synthetic set, whose order is nearly unchanged, and insertion sort
 * finishes such input in O(n + inversions).
 */

const RUN = 16;

/**
 * Sort `idx[from..to)` (indices into `key`) into canonical order, assuming the indices in the
 * range are ascending on entry (e.g. a fresh 0..n−1 or a filtered subset of it), which makes the
 * stable sort below canonical. `tmp` must have length ≥ `to`. Returns the number of non-missing keys.
 */
export function argsortRange(key: Float64Array, idx: Int32Array, from: number, to: number, tmp: Int32Array): number {
  // Stable partition: finite keys first, NaN keys after them.
  let w = from;
  let nMissing = 0;
  for (let k = from; k < to; k++) {
    const i = idx[k];
    if (key[i] === key[i]) idx[w++] = i;
    else tmp[from + nMissing++] = i;
  }
  for (let k = 0; k < nMissing; k++) idx[w + k] = tmp[from + k];
  const end = w;

  // Insertion sort runs of RUN keys.
  for (let runStart = from; runStart < end; runStart += RUN) {
    const runEnd = Math.min(runStart + RUN, end);
    for (let k = runStart + 1; k < runEnd; k++) {
      const i = idx[k];
      const v = key[i];
      let j = k - 1;
      while (j >= runStart && key[idx[j]] > v) {
        idx[j + 1] = idx[j];
        j--;
      }
      idx[j + 1] = i;
    }
  }

  // Bottom-up merges, ping-ponging between idx and tmp.
  let src = idx;
  let dst = tmp;
  for (let width = RUN; from + width < end; width *= 2) {
    for (let lo = from; lo < end; lo += 2 * width) {
      const mid = Math.min(lo + width, end);
      const hi = Math.min(lo + 2 * width, end);
      let a = lo;
      let b = mid;
      let o = lo;
      while (a < mid && b < hi) {
        // Take from the right run only when strictly smaller: stable.
        if (key[src[b]] < key[src[a]]) dst[o++] = src[b++];
        else dst[o++] = src[a++];
      }
      while (a < mid) dst[o++] = src[a++];
      while (b < hi) dst[o++] = src[b++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== idx) for (let k = from; k < end; k++) idx[k] = src[k];
  return end - from;
}

/**
 * Re-sort `idx[idxBase .. idxBase + n)`, a permutation of 0..n−1 (typically the previous fit's
 * order), into canonical order of the keys `key[keyBase + i]`, by insertion sort. Gives up once
 * more than `maxMoves` elements have been moved (the hint was poor) and returns −1, leaving the
 * range a permutation; otherwise returns the number of non-missing keys.
 */
export function resortFromHint(key: Float64Array, keyBase: number, idx: Int32Array, idxBase: number, n: number, maxMoves: number): number {
  let moves = 0;
  const end = idxBase + n;
  for (let k = idxBase + 1; k < end; k++) {
    const i = idx[k];
    const v = key[keyBase + i];
    // Fast path: already strictly in order (false when either key is NaN).
    if (key[keyBase + idx[k - 1]] < v) continue;
    let j = k - 1;
    if (v === v) {
      // Shift left past larger keys, NaN keys, and equal keys of larger index.
      while (j >= idxBase) {
        const r = idx[j];
        const u = key[keyBase + r];
        if (u > v || u !== u || (u === v && r > i)) {
          idx[j + 1] = r;
          j--;
        } else break;
      }
    } else {
      // A missing key only moves past missing keys of larger index.
      while (j >= idxBase) {
        const r = idx[j];
        const u = key[keyBase + r];
        if (u !== u && r > i) {
          idx[j + 1] = r;
          j--;
        } else break;
      }
    }
    if (j === k - 1) continue;
    idx[j + 1] = i;
    moves += k - 1 - j;
    if (moves > maxMoves) return -1;
  }
  let observed = n;
  while (observed > 0) {
    const v = key[keyBase + idx[idxBase + observed - 1]];
    if (v === v) break;
    observed--;
  }
  return observed;
}

/**
 * `resortFromHint` for keys known to hold no NaN: the same result and the same give-up rule, about
 * a third faster on the benchmark's perturbations (the previous key stays in a register and the
 * missing-value cases are gone from the inner loop).
 */
export function resortFiniteFromHint(key: Float64Array, keyBase: number, idx: Int32Array, idxBase: number, n: number, maxMoves: number): number {
  let moves = 0;
  const end = idxBase + n;
  // Largest key of the sorted prefix: an insertion never changes it.
  let largest = key[keyBase + idx[idxBase]];
  for (let k = idxBase + 1; k < end; k++) {
    const i = idx[k];
    const v = key[keyBase + i];
    if (largest < v) {
      largest = v;
      continue;
    }
    // Shift left past larger keys and equal keys of larger index.
    let j = k - 1;
    let r = idx[j];
    let u = largest;
    while (u > v || (u === v && r > i)) {
      idx[j + 1] = r;
      if (--j < idxBase) break;
      r = idx[j];
      u = key[keyBase + r];
    }
    if (j === k - 1) continue;
    idx[j + 1] = i;
    moves += k - 1 - j;
    if (moves > maxMoves) return -1;
  }
  return n;
}
