/**
 * The shared argsort helpers (src/core/argsort.ts): canonical order, and re-sorting from a hint.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argsortRange, resortFiniteFromHint, resortFromHint } from '../../src/core/argsort.js';
import { SeededRng } from '../../src/core/rng.js';

/** Keys, their canonical order (by `argsortRange`), and a random permutation to re-sort from. */
function canonicalOrderAndShuffledHint(values: number[], seed: number): { key: Float64Array; canonical: Int32Array; hint: Int32Array } {
  const n = values.length;
  const key = Float64Array.from(values);
  const canonical = Int32Array.from(values.map((_, i) => i));
  argsortRange(key, canonical, 0, n, new Int32Array(n));
  const hint = Int32Array.from(values.map((_, i) => i));
  const rng = new SeededRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [hint[i], hint[j]] = [hint[j], hint[i]];
  }
  return { key, canonical, hint };
}

describe('argsort helpers', () => {
  const keys = fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN)), { minLength: 1, maxLength: 70 });

  it('argsortRange gives the canonical order (ascending, NaN last, ties by index)', () => {
    fc.assert(
      fc.property(keys, (values) => {
        const key = Float64Array.from(values);
        const idx = Int32Array.from(values.map((_, i) => i));
        const observed = argsortRange(key, idx, 0, values.length, new Int32Array(values.length));
        const expected = values
          .map((v, i) => [v, i] as const)
          .sort((a, b) => (Number.isNaN(a[0]) ? 1 : 0) - (Number.isNaN(b[0]) ? 1 : 0) || (a[0] - b[0] || 0) || a[1] - b[1])
          .map(([, i]) => i);
        expect(Array.from(idx)).toEqual(expected);
        expect(observed).toBe(values.filter((v) => !Number.isNaN(v)).length);
      }),
    );
  });

  it('resortFromHint reaches the same canonical order from any starting permutation', () => {
    fc.assert(
      fc.property(keys, fc.integer(), (values, seed) => {
        const n = values.length;
        const { key, canonical, hint } = canonicalOrderAndShuffledHint(values, seed);
        const observed = resortFromHint(key, 0, hint, 0, n, n * n);
        expect(Array.from(hint)).toEqual(Array.from(canonical));
        expect(observed).toBe(values.filter((v) => !Number.isNaN(v)).length);
        // A tiny move budget gives up (−1) but leaves a permutation.
        const hint2 = Int32Array.from(canonical).reverse();
        if (resortFromHint(key, 0, hint2, 0, n, 0) === -1) expect([...hint2].sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
      }),
    );
  });

  it('resortFiniteFromHint (keys without NaN) reaches the canonical order from any permutation', () => {
    const finiteKeys = fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 1, maxLength: 70 });
    fc.assert(
      fc.property(finiteKeys, fc.integer(), (values, seed) => {
        const n = values.length;
        const { key, canonical, hint } = canonicalOrderAndShuffledHint(values, seed);
        // Offsets as the presorter uses them: the feature's keys and order start past index 0.
        const keyAt = new Float64Array(n + 3);
        keyAt.set(key, 3);
        const idxAt = new Int32Array(n + 5);
        idxAt.set(hint, 5);
        expect(resortFiniteFromHint(keyAt, 3, idxAt, 5, n, n * n)).toBe(n);
        expect(Array.from(idxAt.subarray(5))).toEqual(Array.from(canonical));
        const reversed = Int32Array.from(canonical).reverse();
        if (resortFiniteFromHint(key, 0, reversed, 0, n, 0) === -1) expect([...reversed].sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
      }),
    );
  });

});
