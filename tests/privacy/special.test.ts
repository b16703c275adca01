import { describe, expect, it } from 'vitest';
import { erfc, logErfc, logNormalCdf, normalCdf, normalMassBetween, normalQuantile } from '../../src/privacy/analysis/special.js';
import { gaussianDeltaForEpsilon, gaussianEpsilonForDelta } from '../../src/privacy/analysis/gaussianDp.js';

describe('special functions', () => {
  it('erfc matches tabulated values (A&S Table 7.1 / high-precision references) to 1e-14 relative', () => {
    const table: [number, number][] = [
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047266],
      [3, 2.209049699858544e-5],
      [5, 1.5374597944280349e-12],
      [10, 2.088487583762545e-45],
      [-1, 1.8427007929497148],
    ];
    for (const [x, v] of table) expect(Math.abs(erfc(x) - v) / v).toBeLessThan(1e-14);
  });

  it('log erfc follows the asymptotic series far beyond underflow', () => {
    for (const x of [30, 100, 1000]) {
      // log erfc(x) = −x² − log(x√π) + log(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸) − …) (A&S 7.1.23)
      const series = -1 / (2 * x * x) + 3 / (4 * x ** 4) - 15 / (8 * x ** 6) + 105 / (16 * x ** 8);
      const asym = -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log1p(series);
      expect(Math.abs(logErfc(x) - asym) / Math.abs(asym)).toBeLessThan(1e-13);
    }
    // Near 0: erf(x) ≈ t = 2x/√π, so log erfc(x) = log(1 − t) ≈ −t − t²/2 (kept to full relative precision).
    const t = (2 / Math.sqrt(Math.PI)) * 1e-9;
    expect(Math.abs(logErfc(1e-9) - (-t - (t * t) / 2)) / t).toBeLessThan(1e-15);
  });

  it('the normal quantile matches SciPy (norm.ppf) to 1e-14 and inverts Φ across both tails', () => {
    // scipy.stats.norm.ppf (and isf for the upper tail), SciPy 1.x
    const table: [number, number][] = [
      [0.975, 1.959963984540054],
      [0.9, 1.2815515655446004],
      [0.3, -0.5244005127080409],
      [0.02, -2.053748910631823],
      [1e-3, -3.090232306167813],
      [1e-10, -6.361340902404056],
      [1e-300, -37.0470962993612],
    ];
    for (const [p, x] of table) expect(Math.abs(normalQuantile(p) - x) / Math.abs(x)).toBeLessThan(1e-14);
    // 1 − 1e-12 is stored as 1 − 1.0000889e-12, so SciPy's isf(1e-12) is matched only to the input's rounding.
    expect(normalQuantile(1 - 1e-12)).toBeCloseTo(7.034483825301131, 5);
    expect(normalQuantile(0.5)).toBe(0);
    for (let p = 0.001; p < 1; p += 0.0137) expect(Math.abs(normalCdf(normalQuantile(p)) - p) / p).toBeLessThan(1e-13);
    expect([normalQuantile(0), normalQuantile(1), normalQuantile(1.5)]).toEqual([-Infinity, Infinity, NaN]);
  });

  it('log Φ and interval masses are consistent', () => {
    expect(Math.exp(logNormalCdf(0))).toBeCloseTo(0.5, 15);
    expect(logNormalCdf(-40)).toBeCloseTo(-804.6084420137538, 9);
    expect(normalMassBetween(-1.96, 1.96)).toBeCloseTo(0.9500042097035591, 14);
    expect(normalMassBetween(8, 8.001) / (0.001 * Math.exp(-32) / Math.sqrt(2 * Math.PI))).toBeCloseTo(1, 2);
  });
});

describe('exact Gaussian profile (Balle & Wang 2018)', () => {
  it('δ(ε) decreases in ε and ε(δ) inverts it', () => {
    for (const mu of [0.2, 1, 3]) {
      let last = 1;
      for (const eps of [0, 0.5, 1, 2, 4]) {
        const d = gaussianDeltaForEpsilon(mu, eps);
        expect(d).toBeLessThanOrEqual(last);
        last = d;
      }
      for (const delta of [1e-3, 1e-6]) {
        const eps = gaussianEpsilonForDelta(mu, delta);
        expect(gaussianDeltaForEpsilon(mu, eps)).toBeLessThanOrEqual(delta * (1 + 1e-9));
        expect(gaussianDeltaForEpsilon(mu, eps * (1 - 1e-6))).toBeGreaterThan(delta);
      }
    }
  });
});
