import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { clearOrCoarsen, momentsClipNorm, occupiedBinThreshold, poolMoments, privateDataRanges, privateFeatureBounds, SPURIOUS_BINS_PER_QUERY, StratumMomentsQuery, type NoisyQueryContext } from '../../src/condense/privateStatistics.js';
import { clearNoiseFloor, clippedNumericMomentsBound, numericClipScales } from '../../src/privacy/statistics.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { erfc } from '../../src/privacy/analysis/special.js';
import { dataset } from './helpers.js';
import { recordColumns, subsetTable, type Table } from '../../src/data/table.js';

/** One charged measurement of pima's per-class moments, decoded (as `condense` does). */
function classMoments(train: Table, bounds: [number, number][], ctx: NoisyQueryContext, noiseMultiplier: number) {
  const query = new StratumMomentsQuery(train, bounds, (t) => Int32Array.from(t.label!), 2, 'test');
  return query.decode(query.measure(ctx, noiseMultiplier).sums);
}

describe('occupiedBinThreshold', () => {
  const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  it('is 3 noise sd for small queries and rises with the number of bins so that about 0.05 empty bins pass per query', () => {
    expect(occupiedBinThreshold(1)).toBe(3);
    expect(occupiedBinThreshold(30)).toBe(3);
    for (const bins of [112, 1000, 116 * 112, 1e6]) {
      const z = occupiedBinThreshold(bins);
      expect(bins * tail(z)).toBeCloseTo(SPURIOUS_BINS_PER_QUERY, 4);
      expect(z).toBeGreaterThan(3);
    }
    expect(occupiedBinThreshold(116 * 112)).toBeGreaterThan(occupiedBinThreshold(112));
  });

  it('keeps noise in the empty bins of a wide bounds query from stretching the bounds (physionet2012: 116 features)', async () => {
    const { train } = await dataset('physionet2012');
    const names = train.features.filter((c) => c.spec.type === 'numeric').map((c) => c.spec.name);
    // The largest bounds width over the features, in units of the feature's data range; the slog
    // grid's coarse bins (a factor 1.33 each, widened by one on each side) give a few ranges at most.
    const widest = (bounds: Record<string, [number, number]>) =>
      Math.max(
        ...names.map((name) => {
          const column = train.features.find((c) => c.spec.name === name)!;
          const present = Array.from(column.values).filter((_, i) => !column.missing[i]);
          const [low, high] = [Math.min(...present), Math.max(...present)];
          return (bounds[name][1] - bounds[name][0]) / Math.max(high - low, 1e-9);
        }),
      );
    const run = (threshold?: number) => {
      const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
      const ctx = { isPrivate: true, ledger, noiseRng: new SeededRng(11), scope: new DataAccessScope() };
      return privateFeatureBounds(train, names, ctx, 2.5, threshold);
    };
    // With a fixed 3 sd, ~0.13 % of the 13,000 empty bins pass and some feature's bounds reach far out.
    expect(widest(run(3))).toBeGreaterThan(50);
    expect(widest(run())).toBeLessThan(50);
  });
});

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

describe('the joint clip of the numeric moments (momentsClip)', () => {
  it('bounds the numeric parts by C² + w₂²·min(C², d) + w_p²·d (by hand) and scales each record to norm C', () => {
    // C = 0.7·√8: C² = 3.92 → 3.92 + 0.25·3.92 + 0.25·8 = 6.9. C = 2 with d = 3: Σu² ≤ 3 < C² anyway,
    // so 3 + 0.25·3 + 0.25·3 = 4.5 = the unclipped d·(1 + w₂² + w_p²).
    expect(momentsClipNorm(8, 0.7) ** 2).toBeCloseTo(3.92, 12);
    expect(clippedNumericMomentsBound(8, momentsClipNorm(8, 0.7))).toBeCloseTo(6.9, 12);
    expect(clippedNumericMomentsBound(3, 2)).toBeCloseTo(4.5, 12);
    expect(() => clippedNumericMomentsBound(3, 0)).toThrow(/clip norm/);
    // Bounds [−1, 1]: u = x. Record 0 has ‖u‖ = √(1 + 1 + 0.25) = 1.5 → scaled by 1/1.5; record 1 (‖u‖ = 0.5) kept;
    // record 2 has a missing value (NaN: contributes 0) and ‖u‖ = 1 (clamped from 5) → kept at clip 1.
    const columns = [{ values: [1, 0.5, 5] }, { values: [-1, 0, NaN] }, { values: [0.5, 0, 0] }];
    const scales = numericClipScales(columns, [[-1, 1], [-1, 1], [-1, 1]], 1, 3);
    expect(Array.from(scales)).toEqual([1 / 1.5, 1, 1]);
  });

  it('keeps every neighbour within the sensitivity it declares, which is below the unclipped one (pima, all records at the bounds)', async () => {
    const { train } = await dataset('pima');
    // Bounds a hair wide around each feature's first value: nearly every record sits at u = ±1 in every
    // feature, the worst case for the box bound (‖u‖² = d). The clip must bring each one to norm C.
    const firstPresent = (c: Table['features'][number]) => c.values[c.missing.findIndex((m) => !m)];
    const bounds = train.features.map((c) => [firstPresent(c) - 1e-6, firstPresent(c) + 1e-6] as [number, number]);
    const stratify = (t: Table) => Int32Array.from(t.label!);
    const exact = (table: Table, clip?: number) => {
      const query = new StratumMomentsQuery(table, bounds, stratify, 2, 'test', clip);
      const ledger = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
      return { query, sums: query.measure({ isPrivate: false, ledger, noiseRng: new SeededRng(1), scope: new DataAccessScope() }, 0).sums };
    };
    const full = exact(train, 0.7);
    const unclipped = exact(train);
    const d = 8;
    expect(full.query.l2Sensitivity).toBeCloseTo(Math.sqrt(1 + 6.9), 12);
    expect(unclipped.query.l2Sensitivity).toBeCloseTo(Math.sqrt(1 + d * 1.5), 12);
    let largest = 0;
    for (const removed of [0, 1, 2, 100, 300, train.nRows - 1]) {
      const keep = Int32Array.from({ length: train.nRows - 1 }, (_, i) => (i < removed ? i : i + 1));
      const neighbour = exact(subsetTable(train, keep), 0.7).sums;
      let squared = 0;
      for (let k = 0; k < neighbour.length; k++) squared += (full.sums[k] - neighbour[k]) ** 2;
      largest = Math.max(largest, Math.sqrt(squared));
      expect(Math.sqrt(squared)).toBeLessThanOrEqual(full.query.l2Sensitivity + 1e-9);
    }
    // The clip binds: records come close to the clipped bound (missing values keep some below it),
    // while without the clip each would move the sums by up to √(1 + 1.5·d) = √13.
    expect(largest).toBeGreaterThan(0.9 * Math.sqrt(1 + 6.9));
  });

  it('gives the same clipped sums, to the bit, on a table stored as row-major records (support: read in 4 blocks)', async () => {
    const { train } = await dataset('support');
    expect(train.nRows).toBeGreaterThan(3 * 2048);
    const width = train.features.length;
    const values = new Float64Array(width * train.nRows);
    train.features.forEach((c, f) => c.values.forEach((v, i) => (values[i * width + f] = v)));
    const rowMajor: Table = { ...train, features: recordColumns(train.features.map((c) => c.spec), { values, width }, train.features.map((c) => c.missing)) };
    const bounds = train.features.map((c) => c.spec.bounds ?? [0, 1]) as [number, number][];
    const sums = (table: Table) => {
      const query = new StratumMomentsQuery(table, bounds, (t) => Int32Array.from(t.event!), 2, 'test', 0.3);
      return query.measure({ isPrivate: false, ledger: new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 }), noiseRng: new SeededRng(1), scope: new DataAccessScope() }, 0).sums;
    };
    expect(Array.from(sums(rowMajor))).toEqual(Array.from(sums(train)));
  });

  it('charges the stratum moments with the clipped sensitivity: noise std = σ·√(1 + C² + w₂²·min(C², d) + w_p²·d)', async () => {
    const { train } = await dataset('pima');
    const bounds = train.features.map((c) => c.spec.bounds!) as [number, number][];
    const query = new StratumMomentsQuery(train, bounds, (t) => Int32Array.from(t.label!), 2, 'test', 0.7);
    const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
    const measured = query.measure({ isPrivate: true, ledger, noiseRng: new SeededRng(3), scope: new DataAccessScope() }, 2);
    expect(measured.noiseStd).toBeCloseTo(2 * Math.sqrt(7.9), 12);
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
