/**
 * The zero-order step as a mechanism: whatever the learners' losses are, one record moves the
 * released sums by at most C (σ = 0), and the noise actually added has standard deviation σC in
 * every coordinate. The per-record losses are adversarial (huge, negative, NaN, infinite).
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { ZerothOrderStep } from '../../src/condense/zerothOrder.js';
import { SubsampledGaussianSum } from '../../src/privacy/measurements.js';

const K = 4;
const SHARE = 0.25;
const LAMBDA = 0.1;

/** Per record: K loss differences and K plus+minus sums, in one of several failure modes. */
function adversarialEvaluation(records: number, seed: number): { differences: Float64Array; sums: Float64Array } {
  const rng = new SeededRng(seed);
  const differences = new Float64Array(records * K);
  const sums = new Float64Array(records * K);
  const wild = [NaN, Infinity, -Infinity, 1e12, -1e12, 1e300, 0.3];
  for (let i = 0; i < records * K; i++) {
    const mode = rng.int(wild.length + 2);
    differences[i] = mode < wild.length ? wild[mode] * (rng.uniform() < 0.5 ? -1 : 1) : rng.normal();
    sums[i] = rng.int(3) === 0 ? wild[rng.int(wild.length)] : 2 * rng.uniform();
  }
  return { differences, sums };
}

function withoutRecord(a: Float64Array, r: number): Float64Array {
  return Float64Array.from([...a.subarray(0, r * K), ...a.subarray((r + 1) * K)]);
}

const l2 = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

describe('zero-order step: sensitivity by construction', () => {
  it('with σ = 0, the sums over D and over D minus any one record differ by at most C', () => {
    const C = 3;
    const n = 50;
    const step = new ZerothOrderStep(new SubsampledGaussianSum('steps', 'test', 0, C, 1, 1), { directions: K, lossChannelWeight: LAMBDA, lossChannelShare: SHARE }, n);
    const directions = new Float64Array(K * 3).fill(1);
    const gradient = new Float64Array(3);
    let largest = 0;
    for (let trial = 0; trial < 10; trial++) {
      const D = adversarialEvaluation(n, trial);
      step.estimate(D, n, directions, 0.3, n, new SeededRng(0), gradient);
      const full = step.noisySums.slice();
      for (const v of full) expect(Number.isFinite(v)).toBe(true);
      for (let r = 0; r < n; r++) {
        step.estimate({ differences: withoutRecord(D.differences, r), sums: withoutRecord(D.sums, r) }, n - 1, directions, 0.3, n, new SeededRng(0), gradient);
        const distance = l2(full, step.noisySums);
        largest = Math.max(largest, distance);
        expect(distance, `trial ${trial}, record ${r}`).toBeLessThanOrEqual(C * (1 + 1e-12));
      }
    }
    // The adversary does reach the bound: the clip is what stops it.
    expect(largest).toBeGreaterThan(0.99 * C * Math.sqrt(1 - SHARE * SHARE));
  });
});

describe('zero-order step: the noise actually added', () => {
  it('has standard deviation σC in every coordinate of the released sums', () => {
    const sigma = 1.7;
    const C = 2.5;
    const step = new ZerothOrderStep(new SubsampledGaussianSum('steps', 'test', sigma, C, 1, 1), { directions: K, lossChannelWeight: LAMBDA, lossChannelShare: SHARE }, 4);
    const zero = { differences: new Float64Array(4 * K), sums: new Float64Array(4 * K) };
    const gradient = new Float64Array(2);
    const directions = new Float64Array(2 * K);
    const noiseRng = new SeededRng(42);
    const draws = 3000;
    const sum = new Float64Array(K + 1);
    const sumSq = new Float64Array(K + 1);
    for (let t = 0; t < draws; t++) {
      step.estimate(zero, 4, directions, 0.3, 4, noiseRng, gradient);
      step.noisySums.forEach((v, k) => {
        sum[k] += v;
        sumSq[k] += v * v;
      });
    }
    // Every record vector is 0, so the sums are pure noise. The sample sd of 3000 normal draws has
    // relative standard error 1.3 %: 5 % is about four standard errors.
    for (let k = 0; k <= K; k++) {
      const mean = sum[k] / draws;
      const sd = Math.sqrt(sumSq[k] / draws - mean * mean);
      expect(Math.abs(sd / (sigma * C) - 1), `coordinate ${k}: sd ${sd}`).toBeLessThan(0.05);
      expect(Math.abs(mean), `coordinate ${k}`).toBeLessThan((5 * sigma * C) / Math.sqrt(draws));
    }
  });
});
