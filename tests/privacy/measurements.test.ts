import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyParameterError } from '../../src/privacy/errors.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import { GaussianSumQuery, SubsampledGaussianSum, SumQueryBuilder, calibrateJointGaussianQueries } from '../../src/privacy/measurements.js';

describe('SumQueryBuilder', () => {
  it('derives the L2 sensitivity from the parts, and disjoint blocks widen the vector but not the sensitivity', () => {
    const b = new SumQueryBuilder();
    expect(b.part(1, 1)).toBe(0);
    expect(b.part(3, 1.5)).toBe(1);
    expect(b.part(4, 1)).toBe(4);
    b.disjointBlocks(3);
    expect(b.blockWidth).toBe(8);
    expect(b.totalWidth).toBe(24);
    expect(b.l2Sensitivity).toBeCloseTo(Math.sqrt(3.5), 15);
    const q = b.build({ name: 'q', purpose: 'test' }, 2);
    expect(q.noiseStd).toBeCloseTo(2 * Math.sqrt(3.5), 14);
    expect(() => new SumQueryBuilder().part(2, Infinity)).toThrow(PrivacyParameterError);
  });
});

describe('GaussianSumQuery', () => {
  it('charges before releasing and adds noise of std σ·Δ; a non-private release is exact and costs ε = ∞', () => {
    const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
    const q = new GaussianSumQuery('sums', 'test', 1, 2);
    const n = 20000;
    const sums = new Float64Array(n);
    const entry = q.release(sums, ledger, new SeededRng(1), true);
    expect(entry).toMatchObject({ kind: 'gaussian', name: 'sums', noiseMultiplier: 1, purpose: 'test' });
    let s2 = 0;
    for (const v of sums) s2 += v * v;
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(1.9);
    expect(Math.sqrt(s2 / n)).toBeLessThan(2.1);
    expect(ledger.entries().map((e) => e.name)).toEqual(['sums']);

    const open = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
    const exact = Float64Array.of(3, 4);
    expect(q.release(exact, open, new SeededRng(1), false)).toMatchObject({ noiseMultiplier: 0 });
    expect(Array.from(exact)).toEqual([3, 4]);
    expect(open.spent().epsilon).toBe(Infinity);
  });
});

describe('SubsampledGaussianSum', () => {
  const layout = { clipped: 2, bounded: 1, boundedShare: 0.6 };

  it('clips the leading coordinates to C·√(1 − share²) and the bounded ones to share·C', () => {
    const m = new SubsampledGaussianSum('steps', 'test', 0, 5, 0.5, 10);
    // Record 0: (3, 4) has norm 5 > 5·0.8 = 4, scaled by 0.8; record 1: (0.3, 0.4) untouched;
    // the bounded coordinate: 2 and 1 are within 0.6·5 = 3, record 2's 7 is clipped to 3.
    const vectors = Float64Array.of(3, 4, 2, 0.3, 0.4, 1, 0, 0, -7);
    const sum = m.release(vectors, 3, layout, new SeededRng(1), new Float64Array(3));
    expect(sum[0]).toBeCloseTo(2.4 + 0.3, 12);
    expect(sum[1]).toBeCloseTo(3.2 + 0.4, 12);
    expect(sum[2]).toBe(3 - 3);
  });

  it('a record with a NaN or infinite entry (or an overflowing norm) adds nothing', () => {
    const m = new SubsampledGaussianSum('steps', 'test', 0, 5, 0.5, 10);
    const vectors = Float64Array.of(NaN, 1, 1, 1, 1, Infinity, 1e300, 1e300, 0, 0.5, 0.5, 0.5);
    const sum = m.release(vectors, 4, layout, new SeededRng(1), new Float64Array(3));
    expect(Array.from(sum)).toEqual([0.5, 0.5, 0.5]);
  });

  it('adds N(0, σ²C²) to every coordinate and charges one subsampled-Gaussian entry for all steps', () => {
    const m = new SubsampledGaussianSum('steps', 'purpose', 2, 3, 0.1, 50);
    const ledger = new PrivacyLedger({ epsilon: 50, delta: 1e-5 });
    const entry = m.charge(ledger);
    expect(entry).toMatchObject({ kind: 'subsampled_gaussian', name: 'steps', noiseMultiplier: 2, samplingRate: 0.1, steps: 50 });
    const rng = new SeededRng(2);
    let s2 = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const sum = m.release(new Float64Array(3), 0, layout, rng, new Float64Array(3));
      s2 += sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2];
    }
    expect(Math.sqrt(s2 / (3 * trials))).toBeGreaterThan(5.8);
    expect(Math.sqrt(s2 / (3 * trials))).toBeLessThan(6.2);
  });

  it('samples Poisson batches at rate q (all records at q = 1) and rejects noise without a finite clip norm', () => {
    const rng = new SeededRng(3);
    expect(Array.from(new SubsampledGaussianSum('s', 'p', 1, 1, 1, 1).batchSampler(10).sample(rng))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const batch = new SubsampledGaussianSum('s', 'p', 1, 1, 0.2, 1).batchSampler(10000).sample(rng);
    expect(batch.length).toBeGreaterThan(1800);
    expect(batch.length).toBeLessThan(2200);
    expect(() => new SubsampledGaussianSum('s', 'p', 1, Infinity, 0.2, 1)).toThrow(PrivacyParameterError);
  });
});

describe('calibrateJointGaussianQueries', () => {
  it.each(['rdp', 'pld'] as const)('k queries at the calibrated σ cost at most the target under %s, and not much less', (accountant) => {
    for (const queries of [1, 3]) {
      const sigma = calibrateJointGaussianQueries({ epsilon: 0.9, delta: 1e-5, queries, accountant });
      const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5, accountant });
      for (let q = 0; q < queries; q++) ledger.charge({ kind: 'gaussian', name: `q${q}`, noiseMultiplier: sigma });
      const spent = ledger.spent().epsilon;
      expect(spent).toBeLessThanOrEqual(0.9);
      expect(spent).toBeGreaterThan(0.9 * 0.99);
    }
  });

  it('PLD calibration needs less noise than RDP for the same guarantee', () => {
    const request = { epsilon: 0.9, delta: 1e-5, queries: 3 };
    expect(calibrateJointGaussianQueries({ ...request, accountant: 'pld' })).toBeLessThan(calibrateJointGaussianQueries({ ...request, accountant: 'rdp' }));
  });
});
