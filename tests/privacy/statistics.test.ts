import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { EXTENDED_ORDERS, epsilonFromRdp, rdpGaussian } from '../../src/privacy/analysis/rdp.js';
import { PrivacyBudgetError } from '../../src/privacy/errors.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import {
  addColumnMoments,
  decodeColumnMoments,
  dpClassCounts,
  dpCount,
  dpMeanAndSpread,
  dpQuantiles,
  histogramQuantiles,
  momentPart,
  type MomentKind,
} from '../../src/privacy/statistics.js';

const ledgerWith = (epsilon = 1e6) => new PrivacyLedger({ epsilon, delta: 1e-5 });

/** Mean and variance of repeated noisy answers. */
function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) };
}

describe('dpCount and dpClassCounts', () => {
  it('are unbiased with noise std σ (sensitivity 1) and charge one Gaussian entry each', () => {
    const rng = new SeededRng(21);
    const ledger = ledgerWith();
    const reps = 4000;
    const answers: number[] = [];
    for (let r = 0; r < reps; r++) answers.push(dpCount(1234, ledger, { noiseMultiplier: 3 }, rng).value);
    const { mean, variance } = moments(answers);
    expect(Math.abs(mean - 1234)).toBeLessThan((5 * 3) / Math.sqrt(reps));
    expect(Math.abs(variance / 9 - 1)).toBeLessThan(5 * Math.sqrt(2 / reps));
    expect(ledger.entries().length).toBe(reps);
    expect(ledger.entries()[0]).toMatchObject({ kind: 'gaussian', name: 'dp_count', noiseMultiplier: 3 });

    const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 950 ? 1 : 2));
    const sums = new Float64Array(3);
    for (let r = 0; r < 500; r++) {
      const { counts, entry } = dpClassCounts(labels, ledger, { noiseMultiplier: 2, numClasses: 3, purpose: 'class weights' }, rng);
      counts.forEach((c, k) => (sums[k] += c));
      expect(entry.purpose).toBe('class weights');
    }
    [700, 250, 50].forEach((truth, k) => expect(Math.abs(sums[k] / 500 - truth)).toBeLessThan((5 * 2) / Math.sqrt(500)));
  });

  it('calibrates σ from a standalone ε at the ledger’s δ', () => {
    const ledger = ledgerWith(10);
    const { entry } = dpCount(50, ledger, { epsilon: 0.5 }, new SeededRng(1));
    const sigma = (entry as { noiseMultiplier: number }).noiseMultiplier;
    const eps = epsilonFromRdp(rdpGaussian(sigma, EXTENDED_ORDERS), EXTENDED_ORDERS, 1e-5).epsilon;
    expect(eps).toBeLessThanOrEqual(0.5);
    expect(eps).toBeGreaterThan(0.495);
    expect(ledger.spent().epsilon).toBeCloseTo(eps, 12);
  });

  it('release nothing when the budget would be exceeded', () => {
    const ledger = new PrivacyLedger({ epsilon: 0.1, delta: 1e-5 });
    const labels = new Uint8Array(10);
    expect(() => dpClassCounts(labels, ledger, { noiseMultiplier: 1, numClasses: 2 }, new SeededRng(2))).toThrow(PrivacyBudgetError);
    expect(ledger.entries().length).toBe(0);
    expect(ledger.randomnessRecord().registered).toBe(false);
  });
});

describe('column moments (the parts the engine and dpMeanAndSpread share)', () => {
  it('decode exact sums to the exact per-block moments, skipping missing values and unassigned records', () => {
    const values = Float64Array.of(10, 20, 30, 40, 99, 0, 50);
    const missing = Uint8Array.of(0, 0, 0, 0, 1, 0, 0);
    const blockOf = Int32Array.of(0, 0, 1, 1, 1, -1, 1);
    const { width } = momentPart('numeric');
    const sums = new Float64Array(2 * width);
    addColumnMoments(sums, { values, missing }, 'numeric', [0, 100], { offset: 0, stride: width, blockOf });
    const first = decodeColumnMoments(sums, 0, 'numeric', [0, 100]);
    expect(first.mean).toBeCloseTo(15, 12);
    expect(first.sd).toBeCloseTo(5, 12);
    expect(first.present).toBeCloseTo(2, 12);
    const second = decodeColumnMoments(sums, width, 'numeric', [0, 100]);
    expect(second.mean).toBeCloseTo(40, 12);
    expect(second.sd).toBeCloseTo(Math.sqrt(200 / 3), 12);
    expect(second.present).toBeCloseTo(3, 12);

    const levels = Float64Array.of(0, 2, 2, NaN, 1);
    const categorical = new Float64Array(3);
    addColumnMoments(categorical, { values: levels }, 'categorical', [0, 0], { offset: 0, stride: 3 });
    expect(Array.from(decodeColumnMoments(categorical, 0, 'categorical', [0, 0], 3).levelProbabilities!)).toEqual([0.25, 0.25, 0.5]);

    const binary = new Float64Array(2);
    addColumnMoments(binary, { values: Float64Array.of(1, 0, 1, 1, NaN) }, 'binary', [0, 1], { offset: 0, stride: 2 });
    expect(decodeColumnMoments(binary, 0, 'binary', [0, 1]).mean).toBeCloseTo(0.75, 12);
  });

  it('bound every record’s contribution by the part’s squared-norm bound, whatever the value', () => {
    const cases: [MomentKind, number[], number][] = [
      ['numeric', [-1e9, -5, 0, 3.3, 7, 1e9], 0],
      ['binary', [0, 1], 0],
      ['categorical', [0, 1, 3], 4],
    ];
    for (const [kind, xs, levels] of cases) {
      const { width, squaredNormBound } = momentPart(kind, levels);
      for (const x of xs) {
        const acc = new Float64Array(width);
        addColumnMoments(acc, { values: Float64Array.of(x) }, kind, [-5, 7], { offset: 0, stride: width });
        const norm2 = acc.reduce((a, v) => a + v * v, 0);
        expect(norm2).toBeLessThanOrEqual(squaredNormBound + 1e-12);
      }
    }
  });

  it('floor a spread that noise drove to zero at 1% of the width, and a count at 1', () => {
    const sums = Float64Array.of(3, -3, -0.2); // noisy Σu, w₂Σu², w_p·count
    const m = decodeColumnMoments(sums, 0, 'numeric', [0, 100]);
    expect(m.sd).toBe(1);
    expect(m.present).toBe(1);
    expect(m.mean).toBe(100); // Σu/present = 3, clamped to u = 1: the upper bound
  });
});

describe('dpMeanAndSpread', () => {
  const rng = new SeededRng(33);
  const n = 2000;
  const values = Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? NaN : 40 + 10 * rng.normal()));
  const present = values.filter((v) => !Number.isNaN(v));
  const trueMean = present.reduce((a, b) => a + b, 0) / present.length;
  const trueSd = Math.sqrt(present.reduce((a, b) => a + (b - trueMean) ** 2, 0) / present.length);

  it('excludes missing values, recovers mean and sd, and has the mean error of sensitivity √1.5', () => {
    const ledger = ledgerWith();
    const sigma = 5;
    const reps = 400;
    const estimates: number[] = [];
    for (let r = 0; r < reps; r++) {
      const result = dpMeanAndSpread(values, [0, 100], ledger, { noiseMultiplier: sigma }, rng);
      expect(result.noiseStd).toBeCloseTo(sigma * Math.sqrt(1.5), 12);
      estimates.push(result.mean);
    }
    const { mean, variance } = moments(estimates);
    // noise std s = σ√1.5 on Σu and on ½·count, u = (x − 50)/50: by the delta method
    // sd(mean) ≈ 50·s·√(1 + (2ū)²)/n.
    const uBar = (trueMean - 50) / 50;
    const s = sigma * Math.sqrt(1.5);
    const expectedSd = (50 * s * Math.sqrt(1 + 4 * uBar * uBar)) / present.length;
    expect(Math.abs(mean - trueMean)).toBeLessThan((5 * expectedSd) / Math.sqrt(reps));
    expect(Math.sqrt(variance) / expectedSd).toBeGreaterThan(0.85);
    expect(Math.sqrt(variance) / expectedSd).toBeLessThan(1.15);

    const r = dpMeanAndSpread(values, [0, 100], ledger, { noiseMultiplier: 2, name: 'age' }, rng);
    expect(Math.abs(r.mean - trueMean)).toBeLessThan(1);
    expect(Math.abs(r.sd - trueSd)).toBeLessThan(1);
    expect(Math.abs(r.count - present.length)).toBeLessThan(30);
    expect(r.entry).toMatchObject({ kind: 'gaussian', name: 'age', noiseMultiplier: 2 });
  });

  it('floors a degenerate spread at 1% of the width', () => {
    const flat = dpMeanAndSpread(new Float64Array(1_000_000).fill(30), [0, 100], ledgerWith(), { noiseMultiplier: 1 }, new SeededRng(3));
    expect(flat.sd).toBe(1);
    expect(Math.abs(flat.mean - 30)).toBeLessThan(1);
  });
});

describe('dpQuantiles (histogram on a public grid, as the engine takes its time quantiles)', () => {
  it('lands within a bin or two of the true quantiles and charges one Gaussian entry', () => {
    const rng = new SeededRng(44);
    const n = 5000;
    const values = Float64Array.from({ length: n }, () => rng.uniform() * 100);
    const sorted = Float64Array.from(values).sort();
    const probs = [0.1, 0.5, 0.9];
    const ledger = ledgerWith();
    for (let rep = 0; rep < 20; rep++) {
      const { quantiles, entry, noiseStd } = dpQuantiles(values, [0, 100], probs, ledger, { epsilon: 1 }, rng);
      expect(entry).toMatchObject({ kind: 'gaussian', name: 'dp_quantiles' });
      expect(noiseStd).toBe((entry as { noiseMultiplier: number }).noiseMultiplier);
      probs.forEach((p, k) => expect(Math.abs(quantiles[k] - sorted[Math.floor(p * n)])).toBeLessThan(2 * (100 / 64)));
    }
    expect(ledger.entries().length).toBe(20);
  });

  it('stays inside the bounds and ignores missing values', () => {
    const rng = new SeededRng(45);
    const values = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? NaN : 500 + i));
    const { quantiles } = dpQuantiles(values, [0, 1000], [0, 0.25, 0.75, 1], ledgerWith(), { epsilon: 4 }, rng);
    for (const q of quantiles) {
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThanOrEqual(1000);
    }
    // The present values are 500 + i for i not divisible by 3 (501 … 799).
    expect(quantiles[1]).toBeGreaterThan(540);
    expect(quantiles[1]).toBeLessThan(610);
    expect(quantiles[2]).toBeGreaterThan(690);
    expect(quantiles[2]).toBeLessThan(760);
  });
});

describe('histogramQuantiles', () => {
  it('interpolates inside a bin on the linear or the log scale, NaN when empty', () => {
    const edges = Float64Array.of(1, 10, 100);
    const counts = Float64Array.of(2, 2);
    expect(histogramQuantiles(edges, counts, [0.25])[0]).toBeCloseTo(5.5, 12);
    expect(histogramQuantiles(edges, counts, [0.25], 'log')[0]).toBeCloseTo(Math.sqrt(10), 12);
    expect(histogramQuantiles(edges, counts, [0.75], 'log')[0]).toBeCloseTo(Math.sqrt(1000), 12);
    expect(Number.isNaN(histogramQuantiles(edges, new Float64Array(2), [0.5])[0])).toBe(true);
  });
});
