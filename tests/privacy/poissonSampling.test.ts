import { describe, expect, it } from 'vitest';
import { SeededRng, type Rng } from '../../src/core/rng.js';
import { PoissonSampler, poissonSample } from '../../src/privacy/poissonSampling.js';
import { seededCrypto } from './seededCrypto.js';

/** χ² statistic of observed counts against expected ones. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let x2 = 0;
  for (let i = 0; i < observed.length; i++) x2 += (observed[i] - expected[i]) ** 2 / expected[i];
  return x2;
}

/** A generous acceptance bound for a χ² statistic with `df` degrees of freedom (mean + 5 sd). */
const chiSquareBound = (df: number) => df + 5 * Math.sqrt(2 * df);

/** An Rng that replays the given uniforms, then repeats the last one forever. */
function replay(values: number[]): Rng & { draws: () => number } {
  let i = 0;
  return {
    reproducible: true,
    uniform: () => values[Math.min(i++, values.length - 1)],
    normal: () => 0,
    int: () => 0,
    draws: () => i,
  };
}

describe('Poisson sampling by geometric skips', () => {
  it('includes each record with probability q (per-index χ², 40 records)', () => {
    const rng = seededCrypto(6);
    const n = 40;
    const q = 0.15;
    const trials = 20_000;
    const sampler = new PoissonSampler(n, q);
    const counts = new Float64Array(n);
    let ascending = true;
    for (let t = 0; t < trials; t++) {
      const sample = sampler.sample(rng);
      for (let r = 0; r < sample.length; r++) {
        if (r > 0 && !(sample[r] > sample[r - 1])) ascending = false;
        counts[sample[r]]++;
      }
    }
    expect(ascending).toBe(true);
    // Binomial(trials, q) per index: the sum of squared z-scores is χ² with n degrees of freedom.
    let x2 = 0;
    for (const c of counts) x2 += (c - trials * q) ** 2 / (trials * q * (1 - q));
    expect(x2).toBeLessThan(chiSquareBound(n));
  });

  it('includes records independently: the 64 inclusion patterns of 6 records have product probabilities (χ²)', () => {
    const rng = seededCrypto(7);
    const n = 6;
    const q = 0.3;
    const trials = 40_000;
    const sampler = new PoissonSampler(n, q);
    const patterns = new Float64Array(1 << n);
    for (let t = 0; t < trials; t++) {
      let pattern = 0;
      for (const i of sampler.sample(rng)) pattern |= 1 << i;
      patterns[pattern]++;
    }
    const expected = Float64Array.from(patterns, (_, pattern) => {
      let included = 0;
      for (let i = 0; i < n; i++) included += (pattern >> i) & 1;
      return trials * q ** included * (1 - q) ** (n - included);
    });
    expect(chiSquare(patterns, expected)).toBeLessThan(chiSquareBound(patterns.length - 1));
  });

  it('at registry size: batch sizes ~ Binomial(n, q), positions uniform, and O(q·n) random draws', () => {
    const n = 10_000_000;
    const q = 256 / n;
    const base = seededCrypto(8);
    let draws = 0;
    const counting: Rng = { reproducible: false, uniform: () => (draws++, base.uniform()), normal: () => base.normal(), int: (k) => base.int(k) };
    const sampler = new PoissonSampler(n, q);
    const steps = 200;
    let total = 0;
    let included = 0;
    const deciles = new Float64Array(10);
    for (let s = 0; s < steps; s++) {
      const sample = sampler.sample(counting);
      total += sample.length;
      included += sample.length;
      for (const i of sample) deciles[Math.floor(i / (n / 10))]++;
    }
    const mean = total / steps;
    expect(Math.abs(mean - n * q)).toBeLessThan(5 * Math.sqrt((n * q * (1 - q)) / steps));
    expect(chiSquare(deciles, new Float64Array(10).fill(included / 10))).toBeLessThan(chiSquareBound(9));
    // One uniform per gap (plus the final "no more" gap) almost always: nothing touches all n records.
    expect(draws).toBeLessThan(1.01 * (included + steps));
  });

  it('decides comparisons with r^k exactly when U is within rounding of the boundary', () => {
    // q = 1/2: r^k = 2^-k exactly. U's first 53 bits equal 2^-3 and a later bit is set, so U is just
    // above r³ (G = 2, index 2); the next uniforms give G = 0 (U = 0.99 ≥ r), G = 1 (0.3) and
    // finally G ≥ 4 records left (2^-20): none.
    const above = replay([2 ** -3, 5 * 2 ** -53, 0.99, 0.3, 2 ** -20]);
    expect(Array.from(new PoissonSampler(10, 0.5).sample(above))).toEqual([2, 3, 5]);
    // Just below r³ in the first 53 bits: G = 3 without drawing further bits.
    const below = replay([2 ** -3 - 2 ** -53, 0.99999]);
    expect(new PoissonSampler(5, 0.5).sample(below)[0]).toBe(3);

    // q = 3/1024 (r^k has 10k bits): put U's head on floor(r^k·2^53) and compare with exact rationals.
    const q = 3 / 1024;
    for (const k of [1, 7, 40, 200]) {
      const numerator = 1021n ** BigInt(k); // r^k = 1021^k / 2^(10k)
      const head = (numerator << 53n) >> BigInt(10 * k);
      for (const tail of [1, 2 ** 52, 2 ** 53 - 1]) {
        // U = (head·2^53 + tail)/2^106 < r^k ⇔ (head·2^53 + tail)·2^(10k) < 1021^k·2^106.
        const u = (head << 53n) + BigInt(tail);
        const uBelowPower = (m: number) => u << BigInt(10 * m) < (1021n ** BigInt(m)) << 106n;
        let expectedGap = 0;
        while (uBelowPower(expectedGap + 1)) expectedGap++;
        const rng = replay([Number(head) / 2 ** 53, tail / 2 ** 53, 1 - 2 ** -53]);
        const first = new PoissonSampler(k + 10, q).sample(rng)[0];
        expect(first).toBe(expectedGap);
        expect(expectedGap === k - 1 || expectedGap === k).toBe(true);
      }
    }
  });

  it('is reproducible with a seeded generator, and seeds differ', () => {
    const draw = (seed: number) => Array.from(poissonSample(100_000, 0.002, new SeededRng(seed)));
    expect(draw(11)).toEqual(draw(11));
    expect(draw(11)).not.toEqual(draw(12));
    const sampler = new PoissonSampler(100_000, 0.002);
    expect(Array.from(sampler.sample(new SeededRng(11)))).toEqual(draw(11));
  });

  it('handles q = 0, q = 1, n = 0 and batches larger than the initial buffer', () => {
    const rng = seededCrypto(9);
    expect(poissonSample(50, 0, rng).length).toBe(0);
    expect(Array.from(poissonSample(5, 1, rng))).toEqual([0, 1, 2, 3, 4]);
    expect(poissonSample(0, 0.5, rng).length).toBe(0);
    // The buffer starts at mean + 6 sd; uniforms just below 1 make every gap 0, a batch of all n.
    const all = new PoissonSampler(1000, 0.01).sample(replay([1 - 2 ** -53]));
    expect(all.length).toBe(1000);
    expect(() => new PoissonSampler(10, 1.5)).toThrow(/sampling rate/);
    expect(() => new PoissonSampler(-1, 0.5)).toThrow(/n must be/);
  });
});
