/**
 * `presenceCounts: 'pooled'` (docs/RESULTS.md, "Session 27: the stratum means divided by a pooled
 * record count"): each stratum's count is pooled, by inverse-variance weighting, with the presence
 * counts of the columns that look complete, and those columns' moments divide by it. `'count'`
 * (session 28) pools the stratum count alone and leaves every mean on its own presence count.
 * Post-processing of the one release: the ledger and the run's ε are unchanged, and without noise
 * nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { momentsLayout, poolPresenceCounts, StratumMomentsQuery } from '../../src/condense/privateStatistics.js';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
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

describe('decode: own, pooled, count', () => {
  it('count takes the pooled stratum count and the own means; pooled divides the complete columns by that count', async () => {
    const { train } = await dataset('wdbc');
    const bounds = train.features.map((c) => c.spec.bounds!) as [number, number][];
    const ctx = { isPrivate: true, ledger: new PrivacyLedger({ epsilon: 100, delta: 1e-5 }), noiseRng: new SeededRng(5), scope: new DataAccessScope() };
    const query = new StratumMomentsQuery(train, bounds, (t) => Int32Array.from(t.label!), 2, 'test');
    const { sums, noiseStd } = query.measure(ctx, 0.5);
    const [own, pooled, count] = (['own', 'pooled', 'count'] as const).map((kind) => query.decode(sums, noiseStd, kind));
    const width = query['builder'].blockWidth;
    for (const s of [0, 1]) {
      const byHand = poolPresenceCounts(sums, noiseStd, s * width, query['layout'])!;
      expect(own[s].count).toBe(Math.max(1, sums[s * width]));
      expect(pooled[s].count).toBe(byHand.count);
      expect(count[s].count).toBe(byHand.count);
      // wdbc has no missing values, so nearly every column passes the two-sd test and is pooled (about
      // 1 in 20 fails it by chance); the pooled means move…
      expect(byHand.present.filter((p) => p === byHand.count).length).toBeGreaterThan(train.features.length - 5);
      expect(pooled[s].features.some((f, i) => f.mean !== own[s].features[i].mean)).toBe(true);
      // …while count keeps each mean and spread exactly as own decodes them.
      expect(count[s].features).toEqual(own[s].features);
    }
    expect(own[0].count).not.toBe(count[0].count);
  });
});

describe('condense with pooled presence counts (pooled, count)', () => {
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

  it('count: the same mechanisms and σ for the moments; the steps are planned from the pooled count', async () => {
    const { train } = await dataset('wdbc');
    const run = { ...RUN, epsilon: 1, seed: 1 };
    const own = await condense({ train, ...run });
    const count = await condense({ train, ...run, presenceCounts: 'count' });
    expect(count.receipt.parameters.presenceCounts).toBe('count');
    expect(count.receipt.entries.map((e) => e.name)).toEqual(own.receipt.entries.map((e) => e.name));
    expect(count.receipt.entries[0].noise_multiplier).toBe(own.receipt.entries[0].noise_multiplier);
    expect(count.receipt.epsilon as number).toBeLessThanOrEqual(run.epsilon);
    // The steps' sampling rate is b / n̂: a different n̂, so a different q.
    const steps = (r: typeof own) => r.receipt.entries.find((e) => e.name === 'zero_order_steps')!;
    expect(steps(count).sampling_rate).not.toBe(steps(own).sampling_rate);
  });

  it('leaves a non-private run as it was', async () => {
    const { train } = await dataset('rotterdam');
    const run = { ...RUN, rows: 12, epsilon: Infinity };
    const own = await condense({ train, ...run });
    for (const presenceCounts of ['pooled', 'count'] as const) {
      const other = await condense({ train, ...run, presenceCounts });
      expect(formatTableCsv(other.synthetic)).toBe(formatTableCsv(own.synthetic));
      expect(other.trace).toEqual(own.trace);
    }
  });
});
