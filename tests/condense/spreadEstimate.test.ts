/**
 * `spreadEstimate: 'scale-prior'` (docs/RESULTS.md, "Session 33: the stratum spreads read under a
 * scale prior"; the default since rule K): each numeric stratum spread is the posterior median of its
 * variance under a prior uniform in log variance, given the variance's known noise sd. Post-processing
 * of the same noisy sums: the same ledger, the same means; only the spreads (and what is built from
 * them) change. 'plug-in' is the spread before session 33.
 */
import { describe, expect, it } from 'vitest';
import { formatTableCsv } from '../../src/data/format.js';
import { condense } from '../../src/condense/condense.js';
import { decodeColumnMoments, scalePriorVariance } from '../../src/privacy/statistics.js';
import { dataset } from './helpers.js';

const RUN = { rows: 20, epsilon: 3, steps: 8, directions: 3, batchSize: 64, seed: 4 };
// The grid's resolution: 512 points over log(high / low).
const gridStep = (low: number, high: number) => Math.log(high / low) / 511;

describe('scalePriorVariance', () => {
  const [low, high] = [0.02 ** 2, 1];

  it('with noise far larger than [low, high] the posterior is the prior, whose median is the geometric midpoint √(low·high)', () => {
    // Exactly, not to the grid: the median is interpolated inside its grid cell, so it is continuous in
    // the weights. (Here half the mass falls on a cell edge, where the first grid point past half would
    // be off by half a cell and would flip with the last bit of Math.exp, which JavaScript engines differ in.)
    for (const estimate of [0.3, 0.7, -0.1]) expect(Math.abs(Math.log(scalePriorVariance(estimate, 1e9, low, high) / Math.sqrt(low * high)))).toBeLessThan(1e-6);
  });

  it('with noise far smaller than the estimate it returns the estimate (to the grid), and clamps to [low, high]', () => {
    for (const v of [0.001, 0.04, 0.5]) expect(Math.abs(Math.log(scalePriorVariance(v, v * 1e-6, low, high) / v))).toBeLessThanOrEqual(gridStep(low, high));
    expect(scalePriorVariance(-0.1, 0, low, high)).toBe(low);
    expect(scalePriorVariance(3, 0, low, high)).toBe(high);
  });

  it('a variance drawn one noise sd above a far smaller truth is pulled down, not read at face value', () => {
    // True variance 0.0016 (sd 0.04 in u), noise sd 0.2: a draw of +1 noise sd reads as 0.2016.
    const estimate = scalePriorVariance(0.2016, 0.2, low, high);
    expect(estimate).toBeLessThan(0.2016 / 4);
    expect(estimate).toBeGreaterThanOrEqual(low);
    // A draw below zero stays inside the prior's range.
    const negative = scalePriorVariance(-0.15, 0.2, low, high);
    expect(negative).toBeGreaterThanOrEqual(low);
    expect(negative).toBeLessThan(estimate);
  });

  it('is non-decreasing in the estimate and in agreement with a direct numerical posterior median', () => {
    let previous = 0;
    for (let v = -0.5; v <= 1.5; v += 0.05) {
      const estimate = scalePriorVariance(v, 0.1, low, high);
      expect(estimate).toBeGreaterThanOrEqual(previous);
      previous = estimate;
    }
    // Direct check: the median of the density ∝ exp(−(v̂ − v)²/2s²)/v on [low, high], by the midpoint rule in v.
    const [vHat, s] = [0.05, 0.03];
    const n = 200000;
    const width = (high - low) / n;
    const density = (v: number) => Math.exp(-0.5 * ((vHat - v) / s) ** 2) / v;
    let total = 0;
    for (let i = 0; i < n; i++) total += density(low + (i + 0.5) * width);
    let cumulative = 0;
    let median = high;
    for (let i = 0; i < n; i++) {
      cumulative += density(low + (i + 0.5) * width);
      if (cumulative >= total / 2) {
        median = low + (i + 0.5) * width;
        break;
      }
    }
    expect(Math.abs(Math.log(scalePriorVariance(vHat, s, low, high) / median))).toBeLessThan(2 * gridStep(low, high));
  });

  it('rejects a range that is not 0 < low < high', () => {
    expect(() => scalePriorVariance(0.1, 0.1, 0, 1)).toThrow(RangeError);
    expect(() => scalePriorVariance(0.1, 0.1, 1, 1)).toThrow(RangeError);
  });
});

describe('decodeColumnMoments with the spreads noise', () => {
  // One numeric column on bounds [0, 10]: sums of u, ½u² and ½·presence for 100 records, all at
  // u = −0.8 ± 0.05 (x = 1 ± 0.25), plus noise on the second moment that fakes a wide spread.
  const sums = Float64Array.from([100 * -0.8, 0.5 * 100 * (0.64 + 0.0025) + 8, 0.5 * 100]);
  const bounds: [number, number] = [0, 10];

  it('no noise sd: the plug-in spread, as without the option', () => {
    expect(decodeColumnMoments(sums, 0, 'numeric', bounds, 0, undefined, { sum: 0, square: 0 })).toEqual(decodeColumnMoments(sums, 0, 'numeric', bounds));
  });

  it('with the noise sd the spread is the scale-prior median; the mean is untouched', () => {
    const plugIn = decodeColumnMoments(sums, 0, 'numeric', bounds);
    const prior = decodeColumnMoments(sums, 0, 'numeric', bounds, 0, undefined, { sum: 10, square: 10 });
    expect(prior.mean).toBe(plugIn.mean);
    // Plug-in: variance in u² 0.0025 + 8/(0.5·100) = 0.1625 → sd 5·0.403 = 2.02 (true 0.25).
    expect(plugIn.sd).toBeCloseTo(5 * Math.sqrt(0.1625), 9);
    // The variance's noise sd: hypot(10 / (0.5·100), 2·0.8·10 / 100) = hypot(0.2, 0.16).
    const expected = scalePriorVariance(0.1625, Math.hypot(0.2, 0.16), 0.02 ** 2, 1);
    expect(prior.sd).toBeCloseTo(5 * Math.sqrt(expected), 9);
    expect(prior.sd).toBeLessThan(plugIn.sd / 2);
  });
});

describe('condense with spreadEstimate', () => {
  it("'scale-prior' is the default; against 'plug-in' it spends the same ε through the same entries, keeps the released means, changes the spreads, and the receipt says which", async () => {
    const { train } = await dataset('wdbc');
    const [plain, prior, plugIn] = [
      await condense({ train, ...RUN }),
      await condense({ train, ...RUN, spreadEstimate: 'scale-prior' }),
      await condense({ train, ...RUN, spreadEstimate: 'plug-in' }),
    ];
    expect(formatTableCsv(plain.synthetic)).toBe(formatTableCsv(prior.synthetic));
    expect(prior.receipt.parameters.spreadEstimate).toBe('scale-prior');
    expect(plugIn.receipt.parameters.spreadEstimate).toBe('plug-in');
    expect(prior.receipt.epsilon).toBe(plugIn.receipt.epsilon);
    expect(prior.receipt.entries).toEqual(plugIn.receipt.entries);
    const [a, b] = [plugIn.released!.features, prior.released!.features];
    expect(b.map((f) => f.mean)).toEqual(a.map((f) => f.mean));
    // wdbc's bounds are 12–380 true sds wide: at ε = 3 most plug-in spreads are noise, and the prior pulls them in.
    const narrower = b.filter((f, i) => f.sd! < a[i].sd!).length;
    expect(narrower).toBeGreaterThan(b.length / 2);
    expect(formatTableCsv(prior.synthetic)).not.toBe(formatTableCsv(plugIn.synthetic));
  });

  it('changes nothing without noise, and a non-private receipt does not list it', async () => {
    const { train } = await dataset('pima');
    const [prior, plugIn] = [await condense({ train, ...RUN, epsilon: Infinity }), await condense({ train, ...RUN, epsilon: Infinity, spreadEstimate: 'plug-in' })];
    expect('spreadEstimate' in prior.receipt.parameters).toBe(false);
    expect(formatTableCsv(prior.synthetic)).toBe(formatTableCsv(plugIn.synthetic));
  });
});
