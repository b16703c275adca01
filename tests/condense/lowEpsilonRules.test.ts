import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { StratumMomentsQuery, type StratumMoments } from '../../src/condense/privateStatistics.js';
import { initialiseFromMoments } from '../../src/condense/syntheticSet.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { dataset } from './helpers.js';

// Small runs: pima's card bounds every feature, so the preprocessing is one query (the moments).
const RUN = { rows: 20, epsilon: 2, delta: 1e-5, steps: 8, directions: 2, learners: ['logistic'], seed: 5 };

describe('the noise-aware smoothing radius (smoothingRule: noise)', () => {
  it('runs the steps at μ·√(R/R*) above R*, planned at that radius, and spends the same budget', async () => {
    const { train } = await dataset('pima');
    // A small drift cap, so that the learning rate is capped (and follows μ).
    const run = { ...RUN, maxNoiseDrift: 0.05 };
    const fixed = await condense({ train, ...run });
    const p = fixed.receipt.parameters as Record<string, number>;
    expect(p.learningRate).toBeLessThan(0.2);
    // The receipt rounds R (to 5 significant digits), hence the tolerances below.
    const figure = p.noiseFigure;
    expect(figure).toBeGreaterThan(0);
    // R* = R/4: √(R/R*) = 2, so the radius doubles.
    const wide = await condense({ train, ...run, smoothingRule: 'noise', smoothingReference: figure / 4 });
    const q = wide.receipt.parameters as Record<string, number>;
    expect(q.smoothing).toBeCloseTo(2 * p.smoothing, 4);
    expect(wide.trace.map((t) => t.smoothing)).toEqual(Array(RUN.steps).fill(q.smoothing));
    // σ does not depend on μ; the gate judged the steps at the given radius; the ledger is the same.
    expect(q.noiseMultiplier).toBe(p.noiseMultiplier);
    expect(q.noiseFigure).toBe(figure);
    expect(wide.receipt.epsilon).toBe(fixed.receipt.epsilon);
    // The learning rate's noise-drift cap is linear in μ (ν ∝ 1/μ): doubled.
    expect(q.learningRate / p.learningRate).toBeCloseTo(2, 3);
    expect(wide.synthetic).not.toEqual(fixed.synthetic);
  });

  it('reads R of the steps as they run: with rows tied in pairs it is half the untied R', async () => {
    const { train } = await dataset('pima');
    const untied = (await condense({ train, ...RUN })).receipt.parameters as Record<string, number>;
    // 10 groups of 2 rows: R_G = R/2, so R* = R/8 doubles μ (R/4 would have for untied rows).
    const tied = await condense({ train, ...RUN, rowGroups: 10, smoothingRule: 'noise', smoothingReference: untied.noiseFigure / 8 });
    expect(tied.receipt.parameters.rowGroupCount).toBe(10);
    expect(tied.receipt.parameters.smoothing as number).toBeCloseTo(2 * untied.smoothing, 4);
  });

  it('keeps μ, and the run bit for bit, at or below R* and in a non-private run', async () => {
    const { train } = await dataset('pima');
    const fixed = await condense({ train, ...RUN });
    const figure = (fixed.receipt.parameters as Record<string, number>).noiseFigure;
    const kept = await condense({ train, ...RUN, smoothingRule: 'noise', smoothingReference: 1.001 * figure });
    expect(kept.trace).toEqual(fixed.trace);
    expect(kept.synthetic).toEqual(fixed.synthetic);
    expect(kept.receipt.parameters).toEqual(fixed.receipt.parameters);
    const exact = await condense({ train, ...RUN, epsilon: Infinity, smoothingRule: 'noise', smoothingReference: 1e-9 });
    expect(exact.receipt.parameters.smoothing).toBe(0.3);
  });
});

describe('the noise-aware initial spread (spreadRule: noise)', () => {
  it('decodes each numeric mean with its noise sd: noise std · half-width / present count', async () => {
    const { train } = await dataset('pima');
    const bounds = train.features.map((c) => c.spec.bounds ?? [0, 1000]) as [number, number][];
    const ctx = { isPrivate: true, ledger: new PrivacyLedger({ epsilon: 100, delta: 1e-5 }), noiseRng: new SeededRng(3), scope: new DataAccessScope() };
    const query = new StratumMomentsQuery(train, bounds, (t) => Int32Array.from(t.label!), 2, 'test');
    const measured = query.measure(ctx, 2);
    expect(measured.noiseStd).toBeCloseTo(2 * query.l2Sensitivity, 12);
    const plain = query.decode(measured.sums);
    const withNoise = query.decode(measured.sums, measured.noiseStd);
    train.features.forEach((column, f) => {
      const numeric = column.spec.type !== 'categorical' && column.spec.type !== 'binary';
      for (const s of [0, 1]) {
        expect(plain[s].features[f].meanNoiseSd).toBeUndefined();
        expect(withNoise[s].features[f].mean).toBe(plain[s].features[f].mean);
        if (!numeric) continue;
        // The present count is the presence part over its weight (½), floored at 1.
        const width = query['builder'].blockWidth;
        const { offset } = query['layout'][f];
        const present = Math.max(1, measured.sums[s * width + offset + 2] / 0.5);
        expect(withNoise[s].features[f].meanNoiseSd).toBeCloseTo((measured.noiseStd * (bounds[f][1] - bounds[f][0])) / 2 / present, 12);
      }
    });
  });

  it('draws each numeric value with spread √((k·sd)² + v) around the stratum mean, and exactly the fixed rule when v = 0', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const numeric = card.features.findIndex((f) => f.type === 'numeric' || f.type === 'integer');
    const [low, high] = card.features[numeric].bounds!;
    const mean = (low + high) / 2;
    const stratum = (meanNoiseSd?: number): StratumMoments => ({
      count: 100,
      features: card.features.map((f, j) => (j === numeric ? { mean, sd: (high - low) / 200, meanNoiseSd } : f.type === 'binary' ? { mean: 0.5, sd: 0.5 } : { mean: (f.bounds![0] + f.bounds![1]) / 2, sd: 1 })),
    });
    const rows = 4000;
    const spreadOf = (meanNoiseSd: number | undefined, cover: boolean) => {
      const z = initialiseFromMoments(encoder, [stratum(meanNoiseSd)], Int32Array.of(rows), new SeededRng(9), 1.5, cover);
      const at = encoder.slices[numeric].start;
      const x = Array.from({ length: rows }, (_, i) => z.data[i * encoder.dim + at] * encoder.scales[numeric] + encoder.centers[numeric]);
      const m = x.reduce((a, b) => a + b, 0) / rows;
      return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / rows);
    };
    const sd = (high - low) / 200;
    const noise = (high - low) / 50;
    // Spreads small against the bounds, so clamping into the box does not bias them.
    expect(spreadOf(noise, true) / Math.hypot(1.5 * sd, noise)).toBeCloseTo(1, 1);
    expect(spreadOf(noise, false) / (1.5 * sd)).toBeCloseTo(1, 1);
    // No noise to cover: the same draws, to the bit, as the fixed rule.
    const a = initialiseFromMoments(encoder, [stratum(undefined)], Int32Array.of(50), new SeededRng(4), 1, true);
    const b = initialiseFromMoments(encoder, [stratum(undefined)], Int32Array.of(50), new SeededRng(4), 1, false);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
