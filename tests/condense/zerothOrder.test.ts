/**
 * The zero-order estimator in its two parts: `InlineDirectionEvaluator` (the 2K fits; no privacy)
 * and `ZerothOrderStep` (record vectors → the subsampled-Gaussian measurement → gradient).
 */
import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { PerRecordLoss, type LossSpec } from '../../src/condense/objective.js';
import { SyntheticParameters, initialiseUniform } from '../../src/condense/syntheticSet.js';
import { InlineDirectionEvaluator, ZerothOrderStep, combineAntitheticLosses, drawDirections, type DirectionRequest } from '../../src/condense/zerothOrder.js';
import { SubsampledGaussianSum } from '../../src/privacy/measurements.js';
import { dataset } from './helpers.js';

describe('drawDirections', () => {
  it('draws K·p normals, then K seeds, from the public generator (reproducible)', () => {
    const a = drawDirections(3, 5, new SeededRng(9));
    const b = drawDirections(3, 5, new SeededRng(9));
    expect(Array.from(a.directions)).toEqual(Array.from(b.directions));
    expect(Array.from(a.seeds)).toEqual(Array.from(b.seeds));
    const rng = new SeededRng(9);
    const normals = Array.from({ length: 15 }, () => rng.normal());
    expect(Array.from(a.directions)).toEqual(normals);
    expect(a.seeds[0]).toBe(rng.int(2 ** 31));
  });
});

describe('InlineDirectionEvaluator', () => {
  it('returns per record and direction ℓ(θ + μu_k) − ℓ(θ − μu_k) and their sum, with a shared learner seed', async () => {
    const { train, card } = await dataset('pima');
    const encoder = new Encoder(card);
    const realX = encoder.encode(train, { missing: 'impute' });
    encoder.project(realX);
    const y = new Uint8Array(12);
    y.fill(1, 6);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 12, new SeededRng(1)), { task: 'classification', y });
    const spec: LossSpec = { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    const recipes = [{ name: 'cart', task: 'classification' as const, params: {} }];
    const batchX = matrix(40, realX.cols, realX.data.slice(0, 40 * realX.cols));
    const batchTarget = { task: 'classification' as const, y: train.label!.slice(0, 40) };
    const K = 3;
    const { directions, seeds } = drawDirections(K, synthetic.size, new SeededRng(2));
    const evaluator = new InlineDirectionEvaluator(synthetic, new PerRecordLoss(recipes, spec, 40), K, 40);
    const parameters = synthetic.values.slice();
    const { differences, sums } = await evaluator.evaluateDirections({ parameters, directions, seeds, smoothing: 0.4, batchX, batchTarget });
    expect(differences.length).toBe(40 * K);
    expect(Array.from(parameters)).toEqual(Array.from(synthetic.values)); // θ is not modified

    const reference = new PerRecordLoss(recipes, spec, 40);
    const X = matrix(12, encoder.dim);
    const plus = new Float64Array(40);
    const minus = new Float64Array(40);
    let nonZero = 0;
    for (let k = 0; k < K; k++) {
      const at = (t: number, out: Float64Array) => {
        const z = parameters.map((v, i) => v + t * directions[k * parameters.length + i]);
        reference.evaluate(X, synthetic.materialise(z, X), batchX, batchTarget, seeds[k], out);
      };
      at(0.4, plus);
      at(-0.4, minus);
      for (let r = 0; r < 40; r++) {
        expect(differences[r * K + k]).toBe(plus[r] - minus[r]);
        expect(sums[r * K + k]).toBe(plus[r] + minus[r]);
        if (differences[r * K + k] !== 0) nonZero++;
      }
    }
    expect(nonZero).toBeGreaterThan(0);
  });
});

describe('InlineDirectionEvaluator.evaluateOne (the unit a worker pool claims)', () => {
  /** A step of K directions on `rows` synthetic rows of a bundled dataset, its batch the first `b` encoded records. */
  async function step(name: string, learner: string, params: Record<string, unknown>, rows: number, K: number, b: number) {
    const { train, card } = await dataset(name);
    const encoder = new Encoder(card);
    const realX = encoder.encode(train, { missing: 'impute' });
    encoder.project(realX);
    const rng = new SeededRng(5);
    const survival = card.task === 'survival';
    const target = survival
      ? { task: 'survival' as const, time: Float64Array.from({ length: rows }, (_, i) => train.time![i]), event: Uint8Array.from({ length: rows }, (_, i) => (i % 3 ? 1 : 0)) }
      : { task: 'classification' as const, y: Uint8Array.from({ length: rows }, (_, i) => i % 2) };
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, rows, rng), target, survival ? [-2, 8] : undefined);
    const spec: LossSpec = survival
      ? { task: 'survival', grid: Float64Array.from({ length: 6 }, (_, k) => train.time![k * 7 + 1]).sort(), pMin: 0.01 }
      : { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    const recipes = [{ name: learner, task: card.task, params }];
    const { directions, seeds } = drawDirections(K, synthetic.size, rng);
    const request: DirectionRequest = {
      parameters: synthetic.values,
      directions,
      seeds,
      smoothing: 0.5,
      batchX: matrix(b, realX.cols, realX.data.slice(0, b * realX.cols)),
      batchTarget: survival
        ? { task: 'survival', time: train.time!.slice(0, b), event: train.event!.slice(0, b) }
        : { task: 'classification', y: train.label!.slice(0, b) },
    };
    const evaluator = () => new InlineDirectionEvaluator(synthetic, new PerRecordLoss(recipes, spec, b), K, b);
    return { request, evaluator };
  }

  it.each([
    ['pima', 'rf', { nTrees: 5 }],
    ['pima', 'gbt', { nRounds: 6 }],
    ['metabric', 'rsf', { nTrees: 3 }],
    ['metabric', 'cox', {}],
  ])('%s / %s: the 2K evaluations run in any order on one reused evaluator give the inline evaluation bit for bit', async (name, learner, params) => {
    const K = 4;
    const b = 30;
    const { request, evaluator } = await step(name, learner, params, 14, K, b);
    const inline = await evaluator().evaluateDirections(request);
    const reference = { differences: inline.differences.slice(), sums: inline.sums.slice() };
    // A shuffled claim order, as two workers racing for evaluations would produce, on one evaluator.
    const order = Array.from({ length: 2 * K }, (_, j) => j);
    const shuffle = new SeededRng(11);
    for (let i = order.length - 1; i > 0; i--) {
      const j = shuffle.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    const claimer = evaluator();
    const plus = new Float64Array(b * K);
    const minus = new Float64Array(b * K);
    for (const j of order) claimer.evaluateOne(request, j >> 1, j & 1 ? -1 : 1, j & 1 ? minus : plus);
    const claimed = combineAntitheticLosses(plus, minus, b, K, new Float64Array(b * K), new Float64Array(b * K));
    expect(Array.from(claimed.differences)).toEqual(Array.from(reference.differences));
    expect(Array.from(claimed.sums)).toEqual(Array.from(reference.sums));
    expect(reference.differences.some((d) => d !== 0)).toBe(true);
  });
});

describe('ZerothOrderStep', () => {
  it('without noise or clipping, ĝ = (1/K) Σ_k (mean difference_k / 2μ) u_k and the loss channel gives the mean loss', () => {
    const K = 2;
    const p = 3;
    const measurement = new SubsampledGaussianSum('steps', 'test', 0, Infinity, 1, 1);
    const step = new ZerothOrderStep(measurement, { directions: K, lossChannelWeight: 0.5, lossChannelShare: 0.25 }, 4);
    const directions = Float64Array.of(1, 0, 2, 0, -1, 1);
    // Two records; differences per direction, and plus+minus sums (mean loss = sum / 2).
    const differences = Float64Array.of(0.2, -0.4, 0.6, 0.0);
    const sums = Float64Array.of(1.0, 1.2, 0.6, 0.2);
    const gradient = new Float64Array(p);
    const estimate = step.estimate({ differences, sums }, 2, directions, 0.5, 2, new SeededRng(1), gradient);
    const d0 = (0.2 + 0.6) / 2;
    const d1 = (-0.4 + 0.0) / 2;
    const c0 = d0 / (2 * 0.5 * K);
    const c1 = d1 / (2 * 0.5 * K);
    expect(Array.from(gradient).map((v) => +v.toFixed(12))).toEqual([c0, -c1, 2 * c0 + c1].map((v) => +v.toFixed(12)));
    expect(estimate.loss).toBeCloseTo((1.0 / 2 + 1.2 / 2 + 0.6 / 2 + 0.2 / 2) / K / 2, 12);
  });

  it('clips the differences and noises the sum through its measurement', () => {
    const measurement = new SubsampledGaussianSum('steps', 'test', 0, 1, 1, 1);
    const step = new ZerothOrderStep(measurement, { directions: 1, lossChannelWeight: 0.25, lossChannelShare: 0.25 }, 2);
    const gradient = new Float64Array(1);
    const e = step.estimate({ differences: Float64Array.of(10, 0.1), sums: Float64Array.of(1, 1) }, 2, Float64Array.of(1), 1, 1, new SeededRng(1), gradient);
    expect(step.noisySums[0]).toBeCloseTo(Math.sqrt(1 - 0.0625) + 0.1, 12);
    expect(gradient[0]).toBeCloseTo((Math.sqrt(1 - 0.0625) + 0.1) / 2, 12);
    const noisy = new ZerothOrderStep(new SubsampledGaussianSum('steps', 'test', 1, 1, 1, 1), { directions: 1, lossChannelWeight: 0.25, lossChannelShare: 0.25 }, 2);
    const g2 = new Float64Array(1);
    noisy.estimate({ differences: Float64Array.of(10, 0.1), sums: Float64Array.of(1, 1) }, 2, Float64Array.of(1), 1, 1, new SeededRng(1), g2);
    expect(g2[0]).not.toBe(gradient[0]);
  });
});
