import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/reference/rdp_accountant.json' with { type: 'json' };
import {
  DEFAULT_ORDERS,
  EXTENDED_ORDERS,
  addRdp,
  epsilonFromRdp,
  rdpGaussian,
  rdpLaplace,
  rdpPureDp,
  rdpSubsampledGaussian,
} from '../../src/privacy/analysis/rdp.js';
import { PrivacyParameterError } from '../../src/privacy/errors.js';

interface Case {
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  epsilon: number;
  best_order: number;
}
const cases = fixture.cases as Case[];

function epsilonFor(c: Case, orders: readonly number[]) {
  const curve = addRdp(new Float64Array(orders.length), rdpSubsampledGaussian(c.q, c.sigma, orders), c.steps);
  return epsilonFromRdp(curve, orders, c.delta);
}

describe('RDP accountant vs Opacus (tests/fixtures/reference/rdp_accountant.json)', () => {
  it('uses the fixture’s order grid as DEFAULT_ORDERS', () => {
    expect([...DEFAULT_ORDERS]).toEqual(fixture.orders);
  });

  it(`reproduces ε of all ${cases.length} cases to 1e-6 relative, with the same optimal order`, () => {
    let worst = 0;
    for (const c of cases) {
      const r = epsilonFor(c, fixture.orders);
      const rel = Math.abs(r.epsilon - c.epsilon) / c.epsilon;
      worst = Math.max(worst, rel);
      expect(rel, `q=${c.q} σ=${c.sigma} T=${c.steps} δ=${c.delta}`).toBeLessThan(1e-6);
      expect(r.bestOrder).toBe(c.best_order);
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('never gives a larger ε on the finer EXTENDED_ORDERS grid (a superset)', () => {
    const defaults = new Set(DEFAULT_ORDERS);
    expect([...defaults].every((a) => EXTENDED_ORDERS.includes(a))).toBe(true);
    let strictlySmaller = 0;
    for (const c of cases) {
      const coarse = epsilonFor(c, DEFAULT_ORDERS).epsilon;
      const fine = epsilonFor(c, EXTENDED_ORDERS).epsilon;
      expect(fine).toBeLessThanOrEqual(coarse);
      if (fine < coarse * (1 - 1e-9)) strictlySmaller++;
    }
    // The default grid tops out at 63; large-σ cases improve with higher orders.
    expect(strictlySmaller).toBeGreaterThan(0);
  });
});

describe('RDP curves of single mechanisms', () => {
  const orders = [1.5, 2, 3.5, 8, 32, 128];

  it('q = 1 is the Gaussian mechanism α/(2σ²); q = 0 costs nothing; σ = 0 is infinite', () => {
    const g = rdpGaussian(1.7, orders);
    orders.forEach((a, i) => expect(g[i]).toBeCloseTo(a / (2 * 1.7 * 1.7), 14));
    expect([...rdpSubsampledGaussian(0, 1, orders)]).toEqual(orders.map(() => 0));
    expect([...rdpSubsampledGaussian(0.1, 0, orders)]).toEqual(orders.map(() => Infinity));
  });

  it('subsampling amplifies privacy: RDP is increasing in q and below the unsampled Gaussian', () => {
    for (const sigma of [0.8, 2]) {
      const lo = rdpSubsampledGaussian(0.01, sigma, orders);
      const mid = rdpSubsampledGaussian(0.1, sigma, orders);
      const full = rdpGaussian(sigma, orders);
      orders.forEach((_, i) => {
        expect(lo[i]).toBeLessThan(mid[i]);
        expect(mid[i]).toBeLessThanOrEqual(full[i] * (1 + 1e-12));
      });
    }
  });

  it('small-q regime matches the leading term α q² (e^{1/σ²} − 1)/2 of the binomial expansion', () => {
    // For small q and moderate α, log A_α ≈ α(α−1)/2 · q² (e^{1/σ²} − 1), so ε(α) ≈ α q²(e^{1/σ²}−1)/2.
    const q = 1e-4;
    const sigma = 2;
    const r = rdpSubsampledGaussian(q, sigma, [2, 3, 4]);
    [2, 3, 4].forEach((a, i) => {
      const approx = (a * q * q * Math.expm1(1 / (sigma * sigma))) / 2;
      expect(Math.abs(r[i] - approx) / approx).toBeLessThan(1e-3);
    });
  });

  it('Laplace RDP (Mironov 2017) equals its closed form and lies between 0 and ε = 1/b', () => {
    const b = 0.5;
    const lap = rdpLaplace(b, orders);
    orders.forEach((a, i) => {
      const closed = Math.log((a / (2 * a - 1)) * Math.exp((a - 1) / b) + ((a - 1) / (2 * a - 1)) * Math.exp(-a / b)) / (a - 1);
      expect(lap[i]).toBeCloseTo(closed, 10);
      expect(lap[i]).toBeGreaterThan(0);
      expect(lap[i]).toBeLessThanOrEqual(1 / b);
    });
  });

  it('the pure-DP (randomised response) bound is within min(ε, αε²/2) and above the Laplace RDP', () => {
    for (const eps of [0.05, 0.5, 2, 5]) {
      const pure = rdpPureDp(eps, orders);
      const lap = rdpLaplace(1 / eps, orders);
      orders.forEach((a, i) => {
        expect(pure[i]).toBeLessThanOrEqual(Math.min(eps, (a * eps * eps) / 2) * (1 + 1e-12));
        // Laplace is ε-DP, so the worst case over ε-DP mechanisms dominates it.
        expect(lap[i]).toBeLessThanOrEqual(pure[i] * (1 + 1e-12));
      });
    }
  });
});

describe('epsilonFromRdp (Balle et al. 2020 conversion)', () => {
  it('is the formula, minimised over orders, ignoring NaN and infinite orders', () => {
    const orders = [2, 4, 8];
    const rdp = [0.1, NaN, Infinity];
    const delta = 1e-5;
    const expected = 0.1 - (Math.log(delta) + Math.log(2)) / 1 + Math.log(1 / 2);
    const r = epsilonFromRdp(rdp, orders, delta);
    expect(r.epsilon).toBeCloseTo(expected, 12);
    expect(r.bestOrder).toBe(2);
    expect(r.warnings.length).toBe(1); // optimum at the grid's end
  });

  it('reports ε = ∞ when no order is finite and rejects bad δ', () => {
    expect(epsilonFromRdp([Infinity, Infinity], [2, 3], 1e-5).epsilon).toBe(Infinity);
    expect(() => epsilonFromRdp([0.1], [2], 0)).toThrow(PrivacyParameterError);
    expect(() => epsilonFromRdp([0.1], [1], 1e-5)).toThrow(PrivacyParameterError);
  });
});
