import { describe, expect, it } from 'vitest';
import { EXTENDED_ORDERS, addRdp, epsilonFromRdp, rdpGaussian, rdpSubsampledGaussian } from '../../src/privacy/analysis/rdp.js';
import { gaussianEpsilonForDelta } from '../../src/privacy/analysis/gaussianDp.js';
import { calibrateGaussianExact, calibrateNoiseMultiplier, splitBudget } from '../../src/privacy/calibrate.js';
import { PrivacyBudgetError } from '../../src/privacy/errors.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';

/** ε of T subsampled-Gaussian steps computed independently of the calibration code path. */
function epsilonOf(q: number, sigma: number, steps: number, delta: number): number {
  const curve = rdpSubsampledGaussian(q, sigma, EXTENDED_ORDERS).map((v) => v * steps);
  return epsilonFromRdp(curve, EXTENDED_ORDERS, delta).epsilon;
}

describe('calibrateNoiseMultiplier', () => {
  const grid = [
    { targetEpsilon: 1, delta: 1e-5, samplingRate: 0.01, steps: 1000 },
    { targetEpsilon: 3, delta: 1e-5, samplingRate: 0.05, steps: 500 },
    { targetEpsilon: 8, delta: 1e-6, samplingRate: 0.1, steps: 2000 },
    { targetEpsilon: 0.5, delta: 1e-5, samplingRate: 1, steps: 1 },
    { targetEpsilon: 2, delta: 1e-5, samplingRate: 0.002, steps: 10000 },
  ];
  for (const req of grid) {
    it(`reaches ε=${req.targetEpsilon} (q=${req.samplingRate}, T=${req.steps}) within 1% and never above`, () => {
      const r = calibrateNoiseMultiplier(req);
      const eps = epsilonOf(req.samplingRate, r.noiseMultiplier, req.steps, req.delta);
      expect(eps).toBeLessThanOrEqual(req.targetEpsilon);
      expect(eps).toBeGreaterThanOrEqual(0.99 * req.targetEpsilon);
      expect(r.epsilon).toBe(eps);
      // Minimality: 1% less noise overshoots the target.
      expect(epsilonOf(req.samplingRate, r.noiseMultiplier * 0.99, req.steps, req.delta)).toBeGreaterThan(req.targetEpsilon);
      expect(r.converged).toBe(true);
    });
  }

  it('accounts for prior spending in a ledger, and the ledger then accepts the calibrated steps', () => {
    const ledger = new PrivacyLedger({ epsilon: 2, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'preprocessing', noiseMultiplier: 8 });
    ledger.charge({ kind: 'pure_dp', name: 'quantiles', epsilon: 0.05, count: 3 });
    const r = calibrateNoiseMultiplier({ samplingRate: 0.02, steps: 800, prior: ledger });
    expect(r.priorEpsilon).toBeGreaterThan(0);
    expect(r.epsilon).toBeLessThanOrEqual(2);
    expect(r.epsilon).toBeGreaterThan(0.99 * 2);
    const without = calibrateNoiseMultiplier({ targetEpsilon: 2, delta: 1e-5, samplingRate: 0.02, steps: 800 });
    expect(r.noiseMultiplier).toBeGreaterThan(without.noiseMultiplier);
    ledger.charge({ kind: 'subsampled_gaussian', name: 'steps', noiseMultiplier: r.noiseMultiplier, samplingRate: 0.02, steps: 800 });
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(2);
    expect(ledger.spent().epsilon).toBeCloseTo(r.epsilon, 12);
  });

  it('accepts a prior RDP curve', () => {
    const prior = addRdp(new Float64Array(EXTENDED_ORDERS.length), rdpGaussian(5, EXTENDED_ORDERS));
    const r = calibrateNoiseMultiplier({ targetEpsilon: 1.5, delta: 1e-5, samplingRate: 0.01, steps: 300, prior });
    const total = addRdp(Float64Array.from(prior), rdpSubsampledGaussian(0.01, r.noiseMultiplier, EXTENDED_ORDERS), 300);
    expect(epsilonFromRdp(total, EXTENDED_ORDERS, 1e-5).epsilon).toBeLessThanOrEqual(1.5);
  });

  it('throws a clear PrivacyBudgetError when the prior alone already reaches the target', () => {
    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'greedy preprocessing', noiseMultiplier: 0.9 }); // ε ≈ 5.3
    const request = { targetEpsilon: 5, samplingRate: 0.01, steps: 100, prior: ledger };
    expect(() => calibrateNoiseMultiplier(request)).toThrow(PrivacyBudgetError);
    expect(() => calibrateNoiseMultiplier(request)).toThrow(/already spent/);
    // With room left, a (large) σ is found.
    const ok = calibrateNoiseMultiplier({ ...request, targetEpsilon: 5.5 });
    expect(ok.epsilon).toBeLessThanOrEqual(5.5);
  });
});

describe('splitBudget', () => {
  it('gives noise multipliers whose Gaussian composition costs the target, in proportion to the weights', () => {
    const r = splitBudget({ targetEpsilon: 1, delta: 1e-5, weights: [1, 1, 2] });
    const curve = new Float64Array(EXTENDED_ORDERS.length);
    for (const s of r.noiseMultipliers) addRdp(curve, rdpGaussian(s, EXTENDED_ORDERS));
    const eps = epsilonFromRdp(curve, EXTENDED_ORDERS, 1e-5).epsilon;
    expect(eps).toBeLessThanOrEqual(1);
    expect(eps).toBeGreaterThan(0.99);
    // Precision 1/σ² is shared 1:1:2.
    const precision = r.noiseMultipliers.map((s) => 1 / (s * s));
    expect(precision[2] / precision[0]).toBeCloseTo(2, 9);
    // Charging them one by one in a ledger with that budget succeeds.
    const ledger = new PrivacyLedger({ epsilon: 1, delta: 1e-5 });
    r.noiseMultipliers.forEach((s, i) => ledger.charge({ kind: 'gaussian', name: `q${i}`, noiseMultiplier: s }));
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(1);
  });
});

describe('calibrateGaussianExact', () => {
  it('matches the tight Gaussian profile and is tighter than RDP calibration', () => {
    for (const [eps, delta] of [[1, 1e-5], [0.3, 1e-6], [4, 1e-5]] as const) {
      const sigma = calibrateGaussianExact(eps, delta);
      const achieved = gaussianEpsilonForDelta(1 / sigma, delta);
      expect(achieved).toBeLessThanOrEqual(eps);
      expect(achieved).toBeGreaterThan(0.999 * eps);
      const viaRdp = calibrateNoiseMultiplier({ targetEpsilon: eps, delta, samplingRate: 1, steps: 1 }).noiseMultiplier;
      expect(sigma).toBeLessThan(viaRdp);
    }
  });
});
