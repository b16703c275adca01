import { describe, expect, it } from 'vitest';
import { condense, REFERENCE_ROWS, resolveSettings } from '../../src/condense/condense.js';
import { partitionRows } from '../../src/condense/rowGroups.js';
import { stepsSmoothing, type StepPlan } from '../../src/condense/steps.js';
import type { LossSpec } from '../../src/condense/objective.js';
import { SubsampledGaussianSum } from '../../src/privacy/measurements.js';
import { StratumMomentsQuery, type StratumMoments } from '../../src/condense/privateStatistics.js';
import { initialiseFromMoments } from '../../src/condense/syntheticSet.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { dataset } from './helpers.js';

// Small runs: pima's card bounds every feature, so the preprocessing is one query (the moments). The
// baseline runs keep μ fixed (the default rule would widen it for these few steps); the rule runs name theirs.
const RUN = { rows: 20, epsilon: 2, delta: 1e-5, steps: 8, directions: 2, learners: ['logistic'], smoothingRule: 'fixed' as const, seed: 5 };

type Run = Awaited<ReturnType<typeof condense>>;

/** `kept` is the fixed-μ run bit for bit: same trace and table; the receipt differs only in naming the rule and its R*. */
function expectFixedRun(kept: Run, fixed: Run): void {
  expect(kept.trace).toEqual(fixed.trace);
  expect(kept.synthetic).toEqual(fixed.synthetic);
  expect({ ...kept.receipt.parameters, smoothingRule: 'fixed', smoothingReference: 0.05 }).toEqual(fixed.receipt.parameters);
}

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
    expectFixedRun(kept, fixed);
    const exact = await condense({ train, ...RUN, epsilon: Infinity, smoothingRule: 'noise', smoothingReference: 1e-9 });
    expect(exact.receipt.parameters.smoothing).toBe(0.3);
  });
});

describe('the smoothing radius from the noise per row coordinate (smoothingRule: row-noise)', () => {
  /** A plan with the given per-coordinate noise ν over T steps (σ, C, q only label the measurement). */
  const planWith = (nu: number, steps: number): StepPlan => ({
    measurement: new SubsampledGaussianSum('steps', 'test', 1, 1, 0.5, steps),
    recordCount: 500,
    lossChannelWeight: 0.25,
    learningRate: 0.5,
    noisePerCoordinate: nu,
  });
  const loss: LossSpec = { task: 'classification', kind: 'cross-entropy', pMin: 0.01, classWeights: [1.5, 0.75] };
  const lossBound = -1.5 * Math.log(0.01);

  it('reads the figure at the reference size: the same ν gives the same radius at m = 20, 40 and 200, tied or not', async () => {
    const { train } = await dataset('pima');
    const nu = 0.2;
    const steps = 100;
    const reference = 0.05;
    const at = (rows: number, smoothingRule: 'noise' | 'row-noise') => resolveSettings({ train, rows, epsilon: 3, smoothingRule, smoothingReference: reference });
    // By hand: R_ref = ν·20 / (√T · max loss) = 0.2·20 / (10·1.5·ln 100) ≈ 0.0579 > R*, so μ·√(R_ref/R*).
    const figure = (nu * REFERENCE_ROWS.classification) / (Math.sqrt(steps) * lossBound);
    expect(figure).toBeGreaterThan(reference);
    const byHand = 0.3 * Math.sqrt(figure / reference);
    const plan = planWith(nu, steps);
    for (const rows of [20, 40, 200]) expect(stepsSmoothing(plan, at(rows, 'row-noise'), loss)).toBeCloseTo(byHand, 12);
    // Tied row groups (10 groups of 20 rows at m = 200) do not change it either.
    const tied = partitionRows(Int32Array.of(100, 100), Int32Array.of(5, 5));
    expect(tied.smallest).toBe(20);
    expect(stepsSmoothing(plan, at(200, 'row-noise'), loss, tied)).toBeCloseTo(byHand, 12);
    // The `noise` rule reads R at the table's m: the same at m = 20, √10 times the ratio under the root at m = 200.
    expect(stepsSmoothing(plan, at(20, 'noise'), loss)).toBeCloseTo(byHand, 12);
    expect(stepsSmoothing(plan, at(200, 'noise'), loss)).toBeCloseTo(0.3 * Math.sqrt((10 * figure) / reference), 12);
    // Below R* the radius is μ; so it is without noise.
    expect(stepsSmoothing(planWith(0.9 * nu * (reference / figure), steps), at(200, 'row-noise'), loss)).toBe(0.3);
    expect(stepsSmoothing(planWith(0, steps), at(200, 'row-noise'), loss)).toBe(0.3);
    // Survival's reference size is 50 rows (Cox's loss bound is −ln pMin).
    const { train: survival } = await dataset('rotterdam');
    const survivalLoss: LossSpec = { task: 'survival', grid: Float64Array.of(1, 2), pMin: 0.01 };
    const survivalFigure = (nu * REFERENCE_ROWS.survival) / (Math.sqrt(steps) * -Math.log(0.01));
    const survivalSettings = resolveSettings({ train: survival, rows: 12, epsilon: 3, smoothingRule: 'row-noise', smoothingReference: reference });
    expect(stepsSmoothing(plan, survivalSettings, survivalLoss)).toBeCloseTo(0.3 * Math.sqrt(survivalFigure / reference), 12);
  });

  it('in a run: μ·√(R_ref/R*) with R_ref = σ·m_ref / (b·2μ·√T) from the receipt, and bit for bit the fixed-μ run at or below R*', async () => {
    const { train } = await dataset('pima');
    // m = 40 rows, twice the reference size, so that the two rules differ.
    const run = { ...RUN, rows: 40, maxNoiseDrift: 0.05 };
    const fixed = await condense({ train, ...run });
    const p = fixed.receipt.parameters as Record<string, number | string>;
    expect(p.budgetPath).toBe('steps');
    expect(p.rowGroupCount).toBe(40);
    // The default clip norm C = c·√K·(max loss): R at m_ref rows is c·σ·m_ref / (b·2μ·√T), every factor in the receipt; and R·m_ref/m.
    const referenceFigure = ((p.clipScale as number) * (p.noiseMultiplier as number) * REFERENCE_ROWS.classification) / ((p.batchSize as number) * 2 * (p.smoothing as number) * Math.sqrt(RUN.steps));
    expect(referenceFigure).toBeCloseTo(((p.noiseFigure as number) * REFERENCE_ROWS.classification) / run.rows, 4);
    // R* = R_ref/4: the radius doubles; the `noise` rule (R = 2·R_ref) would widen it √8-fold.
    const wide = await condense({ train, ...run, smoothingRule: 'row-noise', smoothingReference: referenceFigure / 4 });
    const q = wide.receipt.parameters as Record<string, number>;
    expect(q.smoothing).toBeCloseTo(2 * (p.smoothing as number), 4);
    expect(wide.trace.map((t) => t.smoothing)).toEqual(Array(RUN.steps).fill(q.smoothing));
    expect(q.noiseMultiplier).toBe(p.noiseMultiplier);
    expect(wide.receipt.epsilon).toBe(fixed.receipt.epsilon);
    const noiseRule = await condense({ train, ...run, smoothingRule: 'noise', smoothingReference: referenceFigure / 4 });
    expect(noiseRule.receipt.parameters.smoothing as number).toBeCloseTo(Math.sqrt(8) * (p.smoothing as number), 4);
    // Just above R_ref as R*: the run is the fixed-μ run, bit for bit (where `noise` would still act).
    const kept = await condense({ train, ...run, smoothingRule: 'row-noise', smoothingReference: 1.001 * referenceFigure });
    expectFixedRun(kept, fixed);
    const exact = await condense({ train, ...run, epsilon: Infinity, smoothingRule: 'row-noise', smoothingReference: 1e-9 });
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
