import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { MECHANISM } from '../../src/privacy/dataAccess.js';
import { combineGaussianMeasurements } from '../../src/privacy/measurements.js';
import { calibrateNoiseMultiplier } from '../../src/privacy/calibrate.js';
import { EXTENDED_ORDERS } from '../../src/privacy/analysis/rdp.js';
import { SeededRng } from '../../src/core/rng.js';
import { dataset } from './helpers.js';

// Small runs: pima's card has bounds for every feature, so its preprocessing is one query (the moments).
// μ fixed, so that the receipt's radius is the one R is computed at (the default rule would widen it).
const RUN = { rows: 20, epsilon: 2, delta: 1e-5, steps: 8, directions: 2, learners: ['logistic'], smoothingRule: 'fixed' as const, seed: 5 };

describe('the noise-figure gate', () => {
  it('R is σ·m / (b·2μ·√T) for the default clip norm, from the receipt alone, and the decision follows it', async () => {
    const { train } = await dataset('pima');
    const stepped = await condense({ train, ...RUN });
    const p = stepped.receipt.parameters as Record<string, number | string>;
    expect(p.budgetPath).toBe('steps');
    // C = c·√K·(max loss), so the loss bound cancels: R = σC·m / (q·n̂·2μ·√K·√T·max loss) = c·σ·m / (q·n̂·2μ·√T),
    // and q·n̂ is the expected batch b (q < 1 here). Every factor is public or in the receipt.
    expect(stepped.settings.samplingRate).toBeLessThan(1);
    expect(p.clipScale).toBe(0.25);
    const byHand = ((p.clipScale as number) * (p.noiseMultiplier as number) * RUN.rows) / ((p.batchSize as number) * 2 * (p.smoothing as number) * Math.sqrt(RUN.steps));
    expect(p.noiseFigure as number).toBeCloseTo(byHand, 3);
    expect(p.noiseFigure as number).toBeLessThanOrEqual(p.noiseFigureLimit as number);

    // The same untied run with the limit just under its R takes the other path; the figure itself is
    // unchanged (it is computed before anything else is spent). (With the default tied row groups the
    // steps would instead tie rows in pairs, R/2, and pass: rowGroups.test.ts.)
    const limit = (p.noiseFigure as number) * 0.99;
    const repeated = await condense({ train, ...RUN, noiseFigureLimit: limit, repeatShare: 1, rowGroups: 'off' });
    const q = repeated.receipt.parameters as Record<string, number | string>;
    expect(q.noiseFigure).toBe(p.noiseFigure);
    expect(q.budgetPath).toBe('repeated-moments');
    expect(q.steps).toBe(0);
    expect(repeated.trace).toEqual([]);
    expect(repeated.receipt.entries.map((e) => e.name)).toEqual([MECHANISM.stratumMoments, MECHANISM.repeatedStratumMoments]);
    // Steps asked for but not run are not charged; with no figure computed (steps = 0) the path says so.
    const baseline = await condense({ train, ...RUN, steps: 0 });
    expect(baseline.receipt.parameters.budgetPath).toBe('no-steps');
    expect(baseline.receipt.parameters.noiseFigure).toBeUndefined();
  });

  it('the ledger charges both moments measurements: ε by hand from the two σ, and it spends the run’s budget', async () => {
    const { train } = await dataset('pima');
    const r = (await condense({ train, ...RUN, noiseFigureLimit: 1e-9, repeatShare: 1 })).receipt;
    const [first, second] = r.entries;
    expect([first.kind, second.kind]).toEqual(['gaussian', 'gaussian']);
    const s1 = first.noise_multiplier as number;
    const s2 = second.noise_multiplier as number;
    // Gaussian mechanisms: RDP α/(2σ²) each, added; converted to (ε, δ) with
    // ε = min_α RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1) (Balle et al. 2020), over the ledger's orders.
    const rho = 1 / (2 * s1 * s1) + 1 / (2 * s2 * s2);
    let byHand = Infinity;
    for (const a of EXTENDED_ORDERS) byHand = Math.min(byHand, a * rho + Math.log((a - 1) / a) - (Math.log(RUN.delta) + Math.log(a)) / (a - 1));
    expect(r.epsilon as number).toBeCloseTo(byHand, 10);
    expect(r.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
    expect(r.epsilon as number).toBeGreaterThan(0.999 * RUN.epsilon);
    // The first measurement spent the preprocessing share: σ1 is a single Gaussian's at 0.3·ε.
    const atShare = calibrateNoiseMultiplier({ targetEpsilon: 0.3 * RUN.epsilon, delta: RUN.delta, samplingRate: 1, steps: 1 }).noiseMultiplier;
    expect(s1).toBeCloseTo(atShare, 4);
    // Together they are worth one measurement at the full ε: 1/σ² adds up under RDP.
    const atFull = calibrateNoiseMultiplier({ targetEpsilon: RUN.epsilon, delta: RUN.delta, samplingRate: 1, steps: 1 }).noiseMultiplier;
    expect(1 / Math.sqrt(1 / (s1 * s1) + 1 / (s2 * s2))).toBeCloseTo(atFull, 4);
  });

  it('a partial move (repeatShare < 1) charges the second measurement and then the steps, within ε', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, ...RUN, noiseFigureLimit: 1e-9, repeatShare: 0.5 });
    const r = result.receipt;
    expect(r.parameters.budgetPath).toBe('repeated-moments-and-steps');
    expect(r.entries.map((e) => e.name)).toEqual([MECHANISM.stratumMoments, MECHANISM.repeatedStratumMoments, MECHANISM.zeroOrderSteps]);
    expect(result.trace).toHaveLength(RUN.steps);
    expect(r.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
    expect(r.epsilon as number).toBeGreaterThan(0.99 * RUN.epsilon);
    // Half of what the preprocessing left went to the moments: ε after them is 0.3·ε + 0.5·0.7·ε.
    expect(r.entries[1].epsilon_after as number).toBeCloseTo(0.65 * RUN.epsilon, 4);
  });
});

describe('the noise figure measured against the clipped signal (figureSignal)', () => {
  it('clipped: R is measured against min(B, C/√K), so the clip scale cancels and R = σ·m / (b·2μ·√T)', async () => {
    const { train } = await dataset('pima');
    const bound = await condense({ train, ...RUN, figureSignal: 'loss-bound' });
    const clipped = await condense({ train, ...RUN, figureSignal: 'clipped' });
    const b = bound.receipt.parameters as Record<string, number | string>;
    const c = clipped.receipt.parameters as Record<string, number | string>;
    expect(c.figureSignal).toBe('clipped');
    expect(c.clipScale).toBe(0.25);
    // C = c·√K·B, so one direction keeps at most C/√K = c·B of the loss bound: R grows by 1/c.
    expect(c.noiseFigure as number).toBeCloseTo((b.noiseFigure as number) / 0.25, 3);
    const byHand = ((c.noiseMultiplier as number) * RUN.rows) / ((c.batchSize as number) * 2 * (c.smoothing as number) * Math.sqrt(RUN.steps));
    expect(c.noiseFigure as number).toBeCloseTo(byHand, 3);
    // Both pass the limit here, so nothing else differs: the same table and trace.
    expect(c.budgetPath).toBe('steps');
    expect(clipped.trace).toEqual(bound.trace);
    expect(clipped.synthetic).toEqual(bound.synthetic);
  });

  it('a limit between the two figures: the loss bound takes the steps, the clipped signal buys the second measurement', async () => {
    const { train } = await dataset('pima');
    const bound = (await condense({ train, ...RUN, figureSignal: 'loss-bound' })).receipt.parameters as Record<string, number>;
    const limit = 2 * bound.noiseFigure; // between R and R/c = 4R
    const stepped = await condense({ train, ...RUN, figureSignal: 'loss-bound', noiseFigureLimit: limit, rowGroups: 'off' });
    const gated = await condense({ train, ...RUN, figureSignal: 'clipped', noiseFigureLimit: limit, rowGroups: 'off' });
    expect(stepped.receipt.parameters.budgetPath).toBe('steps');
    expect(gated.receipt.parameters.budgetPath).toBe('repeated-moments-and-steps');
    expect(gated.receipt.entries.map((e) => e.name)).toEqual([MECHANISM.stratumMoments, MECHANISM.repeatedStratumMoments, MECHANISM.zeroOrderSteps]);
    // The row-group rule reads the same figure: with tied groups allowed, the clipped figure ties rows.
    const tied = await condense({ train, ...RUN, figureSignal: 'clipped', noiseFigureLimit: limit, gateOn: 'groups' });
    expect(tied.receipt.parameters.rowGroupCount as number).toBeLessThan(RUN.rows);
  });

  it('changes nothing when the clip norm is the worst case or above it (c = 1, or an explicit C ≥ √K·B)', async () => {
    const { train } = await dataset('pima');
    for (const extra of [{ clipScale: 1 }, { clipNorm: 50 }]) {
      const bound = await condense({ train, ...RUN, ...extra, figureSignal: 'loss-bound' });
      const clipped = await condense({ train, ...RUN, ...extra, figureSignal: 'clipped' });
      expect(clipped.receipt.parameters.noiseFigure).toBe(bound.receipt.parameters.noiseFigure);
      expect(clipped.synthetic).toEqual(bound.synthetic);
    }
  });
});

describe('combineGaussianMeasurements', () => {
  it('is the inverse-variance weighted mean, with the combined noise', () => {
    const a = { sums: Float64Array.from([1, 10, -4]), noiseStd: 2 };
    const b = { sums: Float64Array.from([3, 4, 0]), noiseStd: 1 };
    const c = combineGaussianMeasurements(a, b);
    // Weights 1/4 and 1: (a/4 + b) / (5/4).
    expect(Array.from(c.sums)).toEqual([(1 / 4 + 3) / 1.25, (10 / 4 + 4) / 1.25, (-4 / 4 + 0) / 1.25].map((v) => expect.closeTo(v, 12)));
    expect(c.noiseStd).toBeCloseTo(1 / Math.sqrt(1 / 4 + 1), 12);
    // An exact measurement wins outright; different lengths are refused.
    expect(Array.from(combineGaussianMeasurements(a, { sums: Float64Array.from([0, 0, 0]), noiseStd: 0 }).sums)).toEqual([0, 0, 0]);
    expect(() => combineGaussianMeasurements(a, { sums: new Float64Array(2), noiseStd: 1 })).toThrow(/lengths/);
  });

  it('its error has the combined variance (simulated)', () => {
    const rng = new SeededRng(9);
    const [sa, sb, trials] = [3, 1.5, 20000];
    let sq = 0;
    for (let t = 0; t < trials; t++) {
      const a = { sums: Float64Array.of(sa * rng.normal()), noiseStd: sa };
      const b = { sums: Float64Array.of(sb * rng.normal()), noiseStd: sb };
      sq += combineGaussianMeasurements(a, b).sums[0] ** 2;
    }
    const expected = 1 / (1 / sa ** 2 + 1 / sb ** 2);
    expect(sq / trials).toBeGreaterThan(0.95 * expected);
    expect(sq / trials).toBeLessThan(1.05 * expected);
  });
});
