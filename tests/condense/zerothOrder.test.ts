/**
 * The zero-order step as a mechanism: whatever the learners' losses are, one record moves the
 * released sums by at most C (σ = 0), and the noise actually added has standard deviation σC per
 * coordinate. The per-record losses here are adversarial (huge, negative, NaN, infinite), chosen
 * by a fake objective from the record's own values — the bound must hold by construction.
 */
import { describe, expect, it } from 'vitest';
import { matrix, type Matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { parseCard } from '../../src/data/card.js';
import { Encoder } from '../../src/data/encoding.js';
import type { Target } from '../../src/models/types.js';
import type { PerRecordLoss } from '../../src/condense/objective.js';
import { SyntheticParameters } from '../../src/condense/syntheticSet.js';
import { ZerothOrderEstimator, addClippedRecordVectors, type ZerothOrderSettings } from '../../src/condense/zerothOrder.js';

const card = parseCard({
  name: 'toy',
  task: 'classification',
  label: 'y',
  positive: 1,
  features: [
    { name: 'a', type: 'numeric', bounds: [0, 1] },
    { name: 'b', type: 'numeric', bounds: [0, 1] },
  ],
});

/**
 * Loss of each record: its feature b picks a failure mode, its feature a scales it, and the
 * synthetic rows (through their first coordinate) decide the sign, so the K differences and the
 * loss channel both go wild.
 */
const adversarialObjective = {
  evaluate(syntheticX: Matrix, _t: Target, batchX: Matrix, _bt: Target, _seed: number, out: Float64Array) {
    const s = syntheticX.data[0];
    for (let r = 0; r < batchX.rows; r++) {
      const a = batchX.data[r * 2];
      const mode = Math.floor(batchX.data[r * 2 + 1] * 6);
      out[r] = [s > 0.5 ? NaN : 1, s > 0.5 ? Infinity : -Infinity, 1e12 * a * s, -1e12 * a, 1e300 * s, a * s][mode] ?? a * s;
    }
    return out;
  },
} as unknown as PerRecordLoss;

const zeroObjective = {
  evaluate(_x: Matrix, _t: Target, batchX: Matrix, _bt: Target, _seed: number, out: Float64Array) {
    return out.fill(0, 0, batchX.rows);
  },
} as unknown as PerRecordLoss;

function setup(objective: PerRecordLoss, settings: ZerothOrderSettings, maxBatch: number) {
  const encoder = new Encoder(card, {});
  const rng = new SeededRng(1);
  const rows = matrix(4, encoder.dim, Float64Array.from({ length: 4 * encoder.dim }, () => rng.uniform()));
  const synthetic = new SyntheticParameters(encoder, rows, { task: 'classification', y: Uint8Array.from([0, 0, 1, 1]) });
  return { synthetic, estimator: new ZerothOrderEstimator(synthetic, objective, settings, maxBatch) };
}

function records(n: number, seed: number): Matrix {
  const rng = new SeededRng(seed);
  return matrix(n, 2, Float64Array.from({ length: 2 * n }, () => rng.uniform()));
}

function withoutRow(X: Matrix, i: number): Matrix {
  const d = X.cols;
  const data = new Float64Array((X.rows - 1) * d);
  data.set(X.data.subarray(0, i * d));
  data.set(X.data.subarray((i + 1) * d), i * d);
  return matrix(X.rows - 1, d, data);
}

const l2 = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

describe('zero-order step: sensitivity by construction', () => {
  const C = 3;
  const settings: ZerothOrderSettings = { directions: 4, smoothing: 0.3, clipNorm: C, noiseMultiplier: 0, lossChannelWeight: 0.1, lossChannelShare: 0.25 };

  it('with σ = 0, the sums over D and over D minus any one record differ by at most C', () => {
    const n = 60;
    const X = records(n, 7);
    const y = { task: 'classification', y: new Uint8Array(n) } as const;
    const { synthetic, estimator } = setup(adversarialObjective, settings, n);
    const gradient = new Float64Array(synthetic.size);
    let largest = 0;
    for (let trial = 0; trial < 20; trial++) {
      const removed = (trial * 7) % n;
      estimator.estimate(synthetic.values, X, y, n, new SeededRng(100 + trial), new SeededRng(0), gradient);
      const full = estimator.noisySums.slice();
      estimator.estimate(synthetic.values, withoutRow(X, removed), y, n, new SeededRng(100 + trial), new SeededRng(0), gradient);
      for (const v of full) expect(Number.isFinite(v)).toBe(true);
      const distance = l2(full, estimator.noisySums);
      largest = Math.max(largest, distance);
      expect(distance, `trial ${trial}, record ${removed}`).toBeLessThanOrEqual(C * (1 + 1e-12));
    }
    // The adversary does reach the bound (the clip is what stops it).
    expect(largest).toBeGreaterThan(0.9 * C * Math.sqrt(1 - 0.25 ** 2));
  });

  it('each record adds at most C; a non-finite vector adds nothing; the loss channel stays in [0, share·C]', () => {
    const K = 3;
    const vectors = Float64Array.from([
      1e9, -1e9, 5, 1e9, // huge differences and loss
      NaN, 0, 0, 0.1, // NaN difference
      0, 0, 0, Infinity, // infinite loss
      0.1, 0.2, 0.3, -5, // negative loss
    ]);
    for (let r = 0; r < 4; r++) {
      const summed = new Float64Array(K + 1);
      addClippedRecordVectors(vectors.subarray(r * (K + 1)), 1, K, 2, 0.25, summed);
      const norm = Math.hypot(...summed);
      expect(norm, `record ${r}`).toBeLessThanOrEqual(2 * (1 + 1e-12));
      expect(summed[K]).toBeGreaterThanOrEqual(0);
      expect(summed[K]).toBeLessThanOrEqual(0.5);
    }
    const nonFinite = new Float64Array(K + 1);
    addClippedRecordVectors(vectors.subarray(4, 12), 2, K, 2, 0.25, nonFinite);
    expect(Array.from(nonFinite)).toEqual([0, 0, 0, 0]);
    // Within the bound nothing is changed.
    const small = new Float64Array(K + 1);
    addClippedRecordVectors(Float64Array.from([0.1, 0.2, 0.3, 0.4]), 1, K, 2, 0.25, small);
    expect(Array.from(small)).toEqual([0.1, 0.2, 0.3, 0.4]);
  });
});

describe('zero-order step: the noise actually added', () => {
  it('has standard deviation σC in every coordinate of the released sums', () => {
    const sigma = 1.7;
    const C = 2.5;
    const K = 4;
    const settings: ZerothOrderSettings = { directions: K, smoothing: 0.3, clipNorm: C, noiseMultiplier: sigma, lossChannelWeight: 0.1, lossChannelShare: 0.25 };
    const n = 10;
    const { synthetic, estimator } = setup(zeroObjective, settings, n);
    const gradient = new Float64Array(synthetic.size);
    const X = records(n, 3);
    const y = { task: 'classification', y: new Uint8Array(n) } as const;
    const noiseRng = new SeededRng(42);
    const directionRng = new SeededRng(43);
    const draws = 2000;
    const sumSq = new Float64Array(K + 1);
    const sum = new Float64Array(K + 1);
    for (let t = 0; t < draws; t++) {
      estimator.estimate(synthetic.values, X, y, n, directionRng, noiseRng, gradient);
      estimator.noisySums.forEach((v, k) => {
        sum[k] += v;
        sumSq[k] += v * v;
      });
    }
    // The sums are pure noise here (every loss is 0). Per coordinate, the sample sd of 2000 normal
    // draws is within 6 % of σC with probability > 1 − 1e-6; the mean within 5 standard errors of 0.
    for (let k = 0; k <= K; k++) {
      const mean = sum[k] / draws;
      const sd = Math.sqrt(sumSq[k] / draws - mean * mean);
      expect(Math.abs(sd / (sigma * C) - 1), `coordinate ${k}: sd ${sd}`).toBeLessThan(0.06);
      expect(Math.abs(mean), `coordinate ${k}`).toBeLessThan((5 * sigma * C) / Math.sqrt(draws));
    }
  });
});
