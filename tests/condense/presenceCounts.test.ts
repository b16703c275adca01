/**
 * `presenceCounts: 'pooled'` (docs/RESULTS.md, "Session 27: the stratum means divided by a pooled
 * record count"): each stratum's count is pooled, by inverse-variance weighting, with the presence
 * counts of the columns that look complete, and those columns' moments divide by it. Post-processing
 * of the one release: the ledger and the run's ε are unchanged, and without noise nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { momentsLayout, poolPresenceCounts } from '../../src/condense/privateStatistics.js';
import { decodeColumnMoments } from '../../src/privacy/statistics.js';
import { formatTableCsv } from '../../src/data/format.js';
import type { FeatureSpec } from '../../src/data/card.js';
import { dataset } from './helpers.js';

// Two numeric columns, a binary and a categorical one (the categorical part has no presence count).
const SPECS: FeatureSpec[] = [
  { name: 'a', type: 'numeric', bounds: [0, 10] },
  { name: 'b', type: 'numeric', bounds: [0, 10] },
  { name: 'c', type: 'binary' },
  { name: 'd', type: 'categorical', categories: ['x', 'y', 'z'] },
];

/** One stratum's block: count, then a: (Σu, ½Σu², ½·present), b: (…), c: (Σx, ½·present), d: level counts. */
function block(count: number, presentA: number, presentB: number, presentC: number): Float64Array {
  return Float64Array.from([count, -20, 10, 0.5 * presentA, 5, 8, 0.5 * presentB, 30, 0.5 * presentC, 40, 30, 30]);
}

describe('poolPresenceCounts', () => {
  const { layout, builder } = momentsLayout(SPECS, 1);

  it('pools the count with the presence counts within two noise sds of it, by inverse-variance weights (by hand)', () => {
    expect(builder.blockWidth).toBe(12);
    // Noise std 5 on every coordinate: the count's variance 25, a presence count's (5 / ½)² = 100.
    // a (98) and c (101) are within 2·√125 ≈ 22.4 of 104; b (60) is not: a column with missing values.
    const pooled = poolPresenceCounts(block(104, 98, 60, 101), 5, 0, layout)!;
    const byHand = (104 / 25 + 98 / 100 + 101 / 100) / (1 / 25 + 2 / 100);
    expect(pooled.count).toBeCloseTo(byHand, 12);
    expect(pooled.present[0]).toBeCloseTo(byHand, 12);
    expect(pooled.present[1]).toBeUndefined();
    expect(pooled.present[2]).toBeCloseTo(byHand, 12);
    expect(pooled.present[3]).toBeUndefined();
  });

  it('reads each coordinate’s own noise std, and does nothing without noise', () => {
    // With b's presence count measured far more precisely (std 0.5 → 1 record), it is tested against
    // the count's noise alone: 80 is 24 records from 104, beyond 2·√(25 + 1) ≈ 10.2.
    const std = new Float64Array(12).fill(5);
    std[6] = 0.5;
    const pooled = poolPresenceCounts(block(104, 98, 80, 101), std, 0, layout)!;
    expect(pooled.present[1]).toBeUndefined();
    // 100 is within it, and its weight (1/1) dominates the pool.
    const close = poolPresenceCounts(block(104, 98, 100, 101), std, 0, layout)!;
    expect(close.present[1]).toBeCloseTo((104 / 25 + 98 / 100 + 100 / 1 + 101 / 100) / (1 / 25 + 2 / 100 + 1), 12);
    expect(poolPresenceCounts(block(104, 98, 60, 101), 0, 0, layout)).toBeUndefined();
  });

  it('a mean divides its sum by the count it is given', () => {
    const sums = block(104, 98, 60, 101);
    const own = decodeColumnMoments(sums, 1, 'numeric', [0, 10]);
    const given = decodeColumnMoments(sums, 1, 'numeric', [0, 10], 0, 102);
    // Σu = −20: mean = mid + half·Σu / present.
    expect(own.mean).toBeCloseTo(5 + (5 * -20) / 98, 12);
    expect(given.mean).toBeCloseTo(5 + (5 * -20) / 102, 12);
    expect(given.present).toBe(102);
  });
});

describe('condense with pooled presence counts', () => {
  const RUN = { rows: 20, epsilon: 3, steps: 4, directions: 2, batchSize: 64, seed: 4 } as const;

  it('charges nothing more, lists the choice in the receipt, and changes the start', async () => {
    const { train } = await dataset('pima');
    const own = await condense({ train, ...RUN });
    const pooled = await condense({ train, ...RUN, presenceCounts: 'pooled' });
    expect(own.receipt.parameters.presenceCounts).toBe('own');
    expect(pooled.receipt.parameters.presenceCounts).toBe('pooled');
    // The same mechanisms, the moments at the same σ; the steps' σ follows the DP record count they are
    // planned from (q = b / n̂), which the pooling estimates better, and still spends the same budget.
    expect(pooled.receipt.entries.map((e) => e.name)).toEqual(own.receipt.entries.map((e) => e.name));
    expect(pooled.receipt.entries[0].noise_multiplier).toBe(own.receipt.entries[0].noise_multiplier);
    for (const r of [own, pooled]) {
      expect(r.receipt.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
      expect(r.receipt.epsilon as number).toBeGreaterThan(0.999 * RUN.epsilon);
    }
    expect(formatTableCsv(pooled.synthetic)).not.toBe(formatTableCsv(own.synthetic));
  });

  it('leaves a non-private run as it was', async () => {
    const { train } = await dataset('rotterdam');
    const run = { ...RUN, rows: 12, epsilon: Infinity };
    const own = await condense({ train, ...run });
    const pooled = await condense({ train, ...run, presenceCounts: 'pooled' });
    expect(formatTableCsv(pooled.synthetic)).toBe(formatTableCsv(own.synthetic));
    expect(pooled.trace).toEqual(own.trace);
  });
});
