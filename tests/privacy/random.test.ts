import { describe, expect, it } from 'vitest';
import { SeededRng, type Rng } from '../../src/core/rng.js';
import { CryptoRng, addGaussianNoise, bernoulli, gaussianNoise, snappingGrid } from '../../src/privacy/random.js';
import { seededCrypto } from './seededCrypto.js';

describe('CryptoRng', () => {
  it('draws from WebCrypto, is flagged secure and not reproducible', () => {
    const a = new CryptoRng();
    const b = new CryptoRng();
    expect(a.reproducible).toBe(false);
    expect(a.cryptographicallySecure).toBe(true);
    const xa = Array.from({ length: 8 }, () => a.uniform());
    const xb = Array.from({ length: 8 }, () => b.uniform());
    expect(xa).not.toEqual(xb);
    for (const x of xa) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      expect(Number.isInteger(x * 2 ** 53)).toBe(true);
    }
  });

  it('has uniform mean 1/2 and variance 1/12; Box–Muller normals have mean 0, variance 1 and normal tails', () => {
    const rng = seededCrypto(1);
    const n = 200_000;
    let su = 0, su2 = 0, sz = 0, sz2 = 0, sz4 = 0, beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      su += u;
      su2 += u * u;
      const z = rng.normal();
      sz += z;
      sz2 += z * z;
      sz4 += z ** 4;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(su2 / n - su ** 2 / n ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(sz / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sz2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(sz4 / n - 3)).toBeLessThan(0.1); // kurtosis of the normal
    const tail = 0.0455003; // P(|Z| > 2)
    expect(Math.abs(beyond2 / n - tail)).toBeLessThan(5 * Math.sqrt((tail * (1 - tail)) / n));
  });

  it('int(n) is uniform (χ² test, 6 degrees of freedom)', () => {
    const rng = seededCrypto(2);
    const k = 7;
    const n = 70_000;
    const counts = new Array(k).fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(k)]++;
    const expected = n / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.46); // 99.9% quantile of χ²(6)
  });
});

describe('addGaussianNoise (snapped Gaussian)', () => {
  it('adds noise of the right mean and variance and leaves σ = 0 untouched', () => {
    const rng = seededCrypto(3);
    const sigma = 2;
    const n = 100_000;
    const values = new Float64Array(n).fill(10.3);
    addGaussianNoise(values, sigma, rng);
    let s = 0, s2 = 0;
    for (const v of values) {
      s += v - 10.3;
      s2 += (v - 10.3) ** 2;
    }
    const gamma = snappingGrid(sigma);
    const variance = sigma * sigma + (gamma * gamma) / 12;
    expect(Math.abs(s / n)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(Math.abs(s2 / n - variance)).toBeLessThan(5 * variance * Math.sqrt(2 / n));
    const untouched = Float64Array.of(1.25, -3);
    addGaussianNoise(untouched, 0, rng);
    expect([...untouched]).toEqual([1.25, -3]);
  });

  it('outputs lie exactly on the power-of-two grid γ ≤ σ/64, whatever the low bits of the input', () => {
    const rng = seededCrypto(4);
    for (const sigma of [0.003, 1, 37.5]) {
      const gamma = snappingGrid(sigma);
      expect(Number.isInteger(Math.log2(gamma))).toBe(true);
      expect(gamma).toBeLessThanOrEqual(sigma / 64);
      expect(gamma).toBeGreaterThan(sigma / 128);
      // Two inputs differing only in their last bits produce outputs on the same grid (the
      // floating-point attack reads such low bits from unsnapped outputs).
      const x = 0.1;
      const y = x + 2 ** -50;
      const out = addGaussianNoise(Float64Array.from({ length: 2000 }, (_, i) => (i % 2 ? x : y)), sigma, rng);
      for (const v of out) expect(Number.isInteger(v / gamma)).toBe(true);
    }
  });

  it('gaussianNoise fills raw N(0, σ²) draws', () => {
    const rng = new SeededRng(5);
    const out = gaussianNoise(rng, 3, new Float64Array(50_000));
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
    expect(Math.abs(mean)).toBeLessThan(5 * 3 / Math.sqrt(out.length));
    expect(Math.abs(variance / 9 - 1)).toBeLessThan(5 * Math.sqrt(2 / out.length));
  });
});

describe('Bernoulli trials', () => {
  it('Bernoulli trials are exact: decided by the binary expansion of q', () => {
    const fixed = (values: number[]): Rng => {
      let i = 0;
      return { reproducible: true, uniform: () => values[i++], normal: () => 0, int: () => 0 };
    };
    // q = 1/2: uniforms strictly below 1/2 succeed, 1/2 itself fails.
    expect(bernoulli(fixed([0.5 - 2 ** -53]), 0.5)).toBe(true);
    expect(bernoulli(fixed([0.5]), 0.5)).toBe(false);
    // q = 3·2⁻⁶⁰: its first 53-bit chunk is 0, so a first draw of 0 ties and the second chunk
    // (3·2⁴⁶) decides; any first draw above 0 fails at once.
    const q = 3 * 2 ** -60;
    expect(bernoulli(fixed([0, 0]), q)).toBe(true);
    expect(bernoulli(fixed([0, 0.5]), q)).toBe(false);
    expect(bernoulli(fixed([2 ** -53]), q)).toBe(false);
    const rng = seededCrypto(7);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (bernoulli(rng, 0.3)) hits++;
    expect(Math.abs(hits / 100_000 - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / 100_000));
  });
});
