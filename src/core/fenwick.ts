/**
 * Fenwick (binary indexed) trees of doubles over 0-based positions: O(log n) point updates and
 * prefix sums. The survival kernels use them to count weighted pairs in O(n log n) (Harrell's and
 * Uno's C over risk ranks, the log-rank split sweep over time ranks) instead of O(n²).
 *
 * The tree lives in a caller-owned Float64Array of length ≥ size + 1 (slot 0 unused), so a hot loop
 * can reuse one buffer and clear only the `size + 1` slots it touched.
 */

/** Add `value` at 0-based `position`. */
export function fenwickAdd(tree: Float64Array, size: number, position: number, value: number): void {
  for (let i = position + 1; i <= size; i += i & -i) tree[i] += value;
}

/** Sum of the values at 0-based positions `0 .. position - 1` (i.e. strictly below `position`). */
export function fenwickSumBelow(tree: Float64Array, position: number): number {
  let sum = 0;
  for (let i = position; i > 0; i -= i & -i) sum += tree[i];
  return sum;
}
