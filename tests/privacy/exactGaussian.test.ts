/**
 * The exact snapped Gaussian sampler of releases: its grid points fall with the probabilities of
 * the ideal mechanism, P(y ≤ jγ) = Φ(((j + ½)γ − x)/σ), checked by a χ² test against Φ computed
 * here from its power series (independent of the sampler), for inputs and noise scales across
 * many binary exponents; and only release generators (or an explicit opt-in) use it.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { exactSnappedGaussianIndex } from '../../src/privacy/exactGaussian.js';
import { CryptoRng, snappingGrid, usesExactNoise } from '../../src/privacy/random.js';
import { seededCrypto } from './seededCrypto.js';

/** Standard normal CDF from the Maclaurin series of erf (accurate to ~1e−11 for |z| ≤ 4). */
function normalCdf(z: number): number {
  if (z < -6) return 0;
  if (z > 6) return 1;
  const x = z / Math.SQRT2;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 + sum / Math.sqrt(Math.PI);
}

/**
 * χ² statistic of draws at noise `drawnSigma` against the ideal bin probabilities at `sigma`, bins
 * cut at half-grid points.
 */
function chiSquare(x: number, sigma: number, draws: number, seed: number, drawnSigma = sigma): { statistic: number; bins: number } {
  const gamma = snappingGrid(sigma);
  const rng = seededCrypto(seed);
  // Cut points every σ/2 (rounded to the grid) from −3σ to 3σ around x, each half a step of γ
  // above a grid point, so that P(y < cut) = Φ((cut − x)/σ) exactly.
  const centre = Math.round(x / gamma);
  const step = Math.max(1, Math.round(sigma / 2 / gamma));
  const cuts = Array.from({ length: 13 }, (_, i) => (centre + (i - 6) * step + 0.5) * gamma);
  const counts = new Array(cuts.length + 1).fill(0);
  for (let d = 0; d < draws; d++) {
    const y = Number(exactSnappedGaussianIndex(x, drawnSigma, gamma, rng)) * gamma;
    let bin = 0;
    while (bin < cuts.length && y > cuts[bin]) bin++;
    counts[bin]++;
  }
  const cdf = cuts.map((c) => normalCdf((c - x) / sigma));
  const probabilities = [cdf[0], ...cdf.slice(1).map((p, i) => p - cdf[i]), 1 - cdf.at(-1)!];
  const statistic = counts.reduce((s, c, i) => s + (c - draws * probabilities[i]) ** 2 / (draws * probabilities[i]), 0);
  return { statistic, bins: counts.length };
}

describe('exact snapped Gaussian', () => {
  it('the reference CDF is right (Φ(1.96) = 0.9750021)', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 9);
    expect(normalCdf(0)).toBe(0.5);
  });

  it.each([
    [0.3, 1],
    [-1234.5678, 0.003],
    [1e9 + 0.1, 37.5],
    [2 ** -30, 5e4],
  ])('x = %s, σ = %s: grid points fall with the ideal probabilities (χ², 13 degrees of freedom)', (x, sigma) => {
    const { statistic, bins } = chiSquare(x, sigma, 20_000, 11);
    expect(bins).toBe(14);
    expect(statistic).toBeLessThan(34.53); // 99.9 % quantile of χ²(13)
  });

  it('detects a wrong σ (the test has power)', () => {
    // Draws at σ = 1.05 judged against σ = 1: the same χ² check must fail.
    expect(chiSquare(0, 1, 20_000, 12, 1.05).statistic).toBeGreaterThan(34.53);
  });

  it('refuses a non-finite input and a grid that is not a power of two', () => {
    const rng = seededCrypto(13);
    expect(() => exactSnappedGaussianIndex(Number.NaN, 1, 1 / 64, rng)).toThrow(/finite/);
    expect(() => exactSnappedGaussianIndex(0, 1, 0.01, rng)).toThrow(/power of two/);
  });

  it('release generators use it; seeded research generators only when they opt in', () => {
    expect(usesExactNoise(new CryptoRng())).toBe(true);
    expect(usesExactNoise(new SeededRng(1))).toBe(false);
    expect(usesExactNoise(Object.assign(new SeededRng(1), { exactNoise: true }))).toBe(true);
  });
});
