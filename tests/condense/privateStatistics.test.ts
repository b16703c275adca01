import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { clearOrCoarsen, poolMoments, privateDataRanges, StratumMomentsQuery, type NoisyQueryContext } from '../../src/condense/privateStatistics.js';
import { clearNoiseFloor } from '../../src/privacy/statistics.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { dataset } from './helpers.js';
import type { Table } from '../../src/data/table.js';

/** One charged measurement of pima's per-class moments, decoded (as `condense` does). */
function classMoments(train: Table, bounds: [number, number][], ctx: NoisyQueryContext, noiseMultiplier: number) {
  const query = new StratumMomentsQuery(train, bounds, (t) => Int32Array.from(t.label!), 2, 'test');
  return query.decode(query.measure(ctx, noiseMultiplier).sums);
}

describe('privateDataRanges', () => {
  it('narrows wide public bounds to where the data lie, inside the bounds, and charges one query', async () => {
    const { train } = await dataset('wdbc');
    const column = train.features.find((c) => c.spec.name === 'mean_smoothness')!;
    const values = Array.from(column.values);
    const [min, max] = [Math.min(...values), Math.max(...values)];
    const bounds: Record<string, [number, number]> = { mean_smoothness: [0, 1] };

    const exactLedger = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
    const exact = privateDataRanges(train, bounds, { isPrivate: false, ledger: exactLedger, noiseRng: new SeededRng(1), scope: new DataAccessScope() }, 0).mean_smoothness;
    // Without noise every occupied bin survives: the range covers all the data and is far narrower than [0, 1].
    expect(exact[0]).toBeLessThanOrEqual(min);
    expect(exact[1]).toBeGreaterThanOrEqual(max);
    expect(exact[1] - exact[0]).toBeLessThan(0.5);

    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    const noisy = privateDataRanges(train, bounds, { isPrivate: true, ledger, noiseRng: new SeededRng(2), scope: new DataAccessScope() }, 1).mean_smoothness;
    expect(noisy[0]).toBeGreaterThanOrEqual(0);
    expect(noisy[1]).toBeLessThanOrEqual(1);
    expect(noisy[1] - noisy[0]).toBeLessThan(1);
    expect(ledger.spent().epsilon).toBeGreaterThan(0);
  });
});

describe('StratumMomentsQuery', () => {
  it('gives the exact per-stratum counts, means, spreads and shares without noise, and pools them by the law of total variance', async () => {
    const { train } = await dataset('pima');
    const bounds = train.features.map((c) => c.spec.bounds ?? [0, 1000]) as [number, number][];
    const ctx = { isPrivate: false, ledger: new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 }), noiseRng: new SeededRng(1), scope: new DataAccessScope() };
    const strata = classMoments(train, bounds, ctx, 0);
    for (const s of [0, 1]) {
      const rows = Array.from({ length: train.nRows }, (_, i) => i).filter((i) => train.label![i] === s);
      expect(strata[s].count).toBe(rows.length);
      train.features.forEach((column, f) => {
        if (column.spec.type === 'categorical' || column.spec.type === 'binary') return;
        const present = rows.filter((i) => !column.missing[i]).map((i) => Math.min(bounds[f][1], Math.max(bounds[f][0], column.values[i])));
        const mean = present.reduce((a, b) => a + b, 0) / present.length;
        const sd = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length);
        expect(strata[s].features[f].mean).toBeCloseTo(mean, 8);
        expect(strata[s].features[f].sd).toBeCloseTo(Math.max(sd, 0.01 * (bounds[f][1] - bounds[f][0])), 8);
      });
    }
    const pooled = poolMoments(strata);
    expect(pooled.count).toBe(train.nRows);
    const glucose = train.features.findIndex((c) => c.spec.type !== 'categorical' && c.spec.type !== 'binary' && !c.missing.some(Boolean));
    const all = Array.from(train.features[glucose].values.subarray(0, train.nRows)).map((v) => Math.min(bounds[glucose][1], Math.max(bounds[glucose][0], v)));
    expect(pooled.features[glucose].mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 8);
    expect(ctx.ledger.entries()).toHaveLength(1);
  });

  it('charges one Gaussian query whose noise scale is the sensitivity of the count plus every feature part', async () => {
    const { train } = await dataset('pima');
    const bounds = train.features.map((c) => c.spec.bounds ?? [0, 1000]) as [number, number][];
    const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
    const ctx = { isPrivate: true, ledger, noiseRng: new SeededRng(3), scope: new DataAccessScope() };
    classMoments(train, bounds, ctx, 2);
    expect(ledger.entries()).toHaveLength(1);
    expect(ledger.entries()[0]).toMatchObject({ kind: 'gaussian', name: 'stratum_moments', noiseMultiplier: 2 });
  });
});

describe('clearOrCoarsen (the survival time histogram of a small cohort)', () => {
  it('returns the cleared fine histogram whenever one bin survives its noise floor', () => {
    const noisy = Float64Array.from({ length: 16 }, (_, b) => (b === 5 ? 9 : b % 3) - 0.5);
    expect(Array.from(clearOrCoarsen(noisy, 2))).toEqual(Array.from(clearNoiseFloor(noisy.slice(), 2)));
    expect(clearOrCoarsen(noisy, 2)[5]).toBe(8.5);
  });

  it('merges adjacent bins until a group clears 2·sd·√group, and spreads its count over its bins', () => {
    // Every fine bin holds 1 (below the floor 2); pairs hold 2 (≤ 2√2) and fours 4 (≤ 4); eights 8 > 4√2.
    const out = clearOrCoarsen(new Float64Array(160).fill(1), 1);
    expect(Array.from(out)).toEqual(new Array(160).fill(1));
    // One dense region among noise: only its group survives, at its mean count.
    const noisy = new Float64Array(32);
    noisy.fill(-0.2);
    for (let b = 8; b < 12; b++) noisy[b] = 1.9;
    const merged = clearOrCoarsen(noisy, 1);
    expect(Array.from(merged.subarray(8, 12))).toEqual([1.9, 1.9, 1.9, 1.9]);
    expect(merged.reduce((a, c) => a + c, 0)).toBeCloseTo(7.6, 12);
  });

  it('stays empty when no group of any size clears its floor', () => {
    expect(clearOrCoarsen(new Float64Array(8).fill(-1), 1).every((c) => c === 0)).toBe(true);
    expect(clearOrCoarsen(new Float64Array(8), 0).every((c) => c === 0)).toBe(true);
  });
});
