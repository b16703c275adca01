import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { EXTENDED_ORDERS, epsilonFromRdp, rdpGaussian } from '../../src/privacy/analysis/rdp.js';
import { PrivacyBudgetError } from '../../src/privacy/errors.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import { dpClassCounts, dpCount, dpMean, dpMeanAndSpread, dpQuantiles } from '../../src/privacy/statistics.js';

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

describe('dpMean and dpMeanAndSpread', () => {
  const rng = new SeededRng(33);
  const n = 2000;
  const values = Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? NaN : 40 + 10 * rng.normal()));
  const present = values.filter((v) => !Number.isNaN(v));
  const trueMean = present.reduce((a, b) => a + b, 0) / present.length;
  const trueSd = Math.sqrt(present.reduce((a, b) => a + (b - trueMean) ** 2, 0) / present.length);

  it('dpMean excludes missing values and has the expected error (delta method, sensitivity √2)', () => {
    const ledger = ledgerWith();
    const sigma = 5;
    const reps = 400;
    const estimates: number[] = [];
    for (let r = 0; r < reps; r++) estimates.push(dpMean(values, [0, 100], ledger, { noiseMultiplier: sigma }, rng).mean);
    const { mean, variance } = moments(estimates);
    // noise std per coordinate σ√2 on (Σu, n), u = (x − 50)/50: sd(mean) ≈ 50·σ√2·√(1 + ū²)/n.
    const uBar = (trueMean - 50) / 50;
    const expectedSd = (50 * sigma * Math.SQRT2 * Math.sqrt(1 + uBar * uBar)) / present.length;
    expect(Math.abs(mean - trueMean)).toBeLessThan((5 * expectedSd) / Math.sqrt(reps));
    expect(Math.sqrt(variance) / expectedSd).toBeGreaterThan(0.85);
    expect(Math.sqrt(variance) / expectedSd).toBeLessThan(1.15);
    const withCount = dpMean(values, [0, 100], ledger, { noiseMultiplier: sigma, count: present.length }, rng);
    expect(withCount.count).toBe(present.length);
  });

  it('dpMeanAndSpread recovers mean and sd and floors a degenerate spread', () => {
    const ledger = ledgerWith();
    const r = dpMeanAndSpread(values, [0, 100], ledger, { noiseMultiplier: 2 }, rng);
    expect(Math.abs(r.mean - trueMean)).toBeLessThan(1);
    expect(Math.abs(r.sd - trueSd)).toBeLessThan(1);
    expect(ledger.entries()[0]).toMatchObject({ kind: 'gaussian', name: 'dp_mean_and_spread', noiseMultiplier: 2 });
    const constant = new Float64Array(500).fill(30);
    const flat = dpMeanAndSpread(constant, [0, 100], ledger, { noiseMultiplier: 1 }, rng);
    expect(flat.sd).toBeCloseTo(1, 12); // 1% of the width
    expect(flat.warnings.join(' ')).toMatch(/floor/);
  });
});

describe('dpQuantiles (exponential mechanism)', () => {
  it('lands within the expected rank error at the given ε and charges pure-DP entries', () => {
    const rng = new SeededRng(44);
    const n = 5000;
    const values = Float64Array.from({ length: n }, () => rng.uniform() * 100);
    const sorted = Float64Array.from(values).sort();
    const probs = [0.1, 0.5, 0.9];
    const epsilon = 1;
    const epsQ = epsilon / probs.length;
    // Interval k has weight length_k·e^{−ε_q|k − pn|/2}, so P(|rank error| > r) ≤
    // (total length / length of the intervals next to pn)·e^{−ε_q(r−1)/2}. For these near-uniform
    // data that ratio is ≈ n, hence r = 1 + 2(ln n + t)/ε_q fails with probability ≲ e^{−t}; t = 7.
    const bound = 1 + (2 * (Math.log(n) + 7)) / epsQ;
    const ledger = ledgerWith();
    let total = 0;
    for (let rep = 0; rep < 20; rep++) {
      const { quantiles, entry, epsilonPerQuantile } = dpQuantiles(values, [0, 100], probs, ledger, { epsilon }, rng);
      expect(epsilonPerQuantile).toBeCloseTo(epsQ, 12);
      expect(entry).toMatchObject({ kind: 'pure_dp', epsilon: epsQ, count: 3 });
      probs.forEach((p, k) => {
        let rank = 0;
        while (rank < n && sorted[rank] < quantiles[k]) rank++;
        const error = Math.abs(rank - p * n);
        total += error;
        expect(error).toBeLessThan(bound);
      });
    }
    // Typical error is far below the tail bound (the rank error is roughly two-sided geometric with
    // scale 2/ε_q, mean ≈ 2/ε_q).
    expect(total / 60).toBeLessThan(4 / epsQ + 5);
  });

  it('stays inside the bounds and ignores missing values', () => {
    const rng = new SeededRng(45);
    const values = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? NaN : 500 + i));
    const { quantiles } = dpQuantiles(values, [0, 1000], [0, 1], ledgerWith(), { epsilon: 4 }, rng);
    for (const q of quantiles) {
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThanOrEqual(1000);
    }
    expect(quantiles[0]).toBeLessThan(quantiles[1]);
  });
});
