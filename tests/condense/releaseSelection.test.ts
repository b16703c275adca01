import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { checkpointSteps, planSelection, selectCandidate, selectionResolution, zcdpOfBudget } from '../../src/condense/selection.js';
import { SyntheticParameters } from '../../src/condense/syntheticSet.js';
import type { ClassificationLossSpec } from '../../src/condense/objective.js';
import { SeededRng } from '../../src/core/rng.js';
import { DataAccessScope, MECHANISM } from '../../src/privacy/dataAccess.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import { exponentialMechanismIndex } from '../../src/privacy/random.js';
import { EXTENDED_ORDERS } from '../../src/privacy/analysis/rdp.js';
import { dataset } from './helpers.js';

const PLAN = { epsilon: 3, delta: 1e-5, steps: 300, selectionShare: 0.1, selectionStarts: 10, selectionCandidates: 5, initialisation: 'private' as const, isPrivate: true };

describe('the release selection: its privacy cost', () => {
  it('ε_sel by hand: ρ(ε = 3, δ = 1e-5) = (√(3 + ln 10^5) − √(ln 10^5))² = 0.17348, a tenth of it is 2·ε_sel²/8', () => {
    // ln 10^5 = 11.512925; √14.512925 = 3.809583; √11.512925 = 3.393071; difference² = 0.173483.
    expect(zcdpOfBudget(3, 1e-5)).toBeCloseTo(0.173483, 5);
    // Two draws (the start, the release): ε_sel = √(8 · 0.1 · 0.173483 / 2) = √0.0693932 = 0.263426.
    const plan = planSelection(PLAN)!;
    expect(plan).toMatchObject({ starts: 10, candidates: 5, draws: 2 });
    expect(plan.epsilon).toBeCloseTo(0.263426, 5);
    // The MST start is one charged sample, never redrawn: one draw, ε_sel = √0.138786 = 0.372540.
    expect(planSelection({ ...PLAN, initialisation: 'mst' })).toMatchObject({ starts: 1, draws: 1 });
    expect(planSelection({ ...PLAN, initialisation: 'mst' })!.epsilon).toBeCloseTo(0.37254, 5);
    expect(planSelection({ ...PLAN, selectionStarts: 1 })!.draws).toBe(1);
    // Off when asked for no share, or when there are no steps to take checkpoints of.
    expect(planSelection({ ...PLAN, selectionShare: 0 })).toBeUndefined();
    expect(planSelection({ ...PLAN, steps: 0 })).toBeUndefined();
    // Non-private runs take the best candidate.
    expect(planSelection({ ...PLAN, isPrivate: false })!.epsilon).toBe(Infinity);
  });

  it('the ledger charges each draw as ε_sel²/8-zCDP: composed with a Gaussian query, ε by hand from RDP α/(2σ²) + 2·α·ε_sel²/8', () => {
    const sigma = 2;
    const epsSel = planSelection(PLAN)!.epsilon;
    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'q', noiseMultiplier: sigma });
    const entry = ledger.charge({ kind: 'exponential', name: MECHANISM.releaseSelection, epsilon: epsSel, count: 2 });
    let byHand = Infinity;
    for (const a of EXTENDED_ORDERS) {
      const rdp = a / (2 * sigma * sigma) + (2 * a * epsSel * epsSel) / 8;
      byHand = Math.min(byHand, rdp + Math.log((a - 1) / a) - (Math.log(1e-5) + Math.log(a)) / (a - 1));
    }
    // The ledger may only be tighter (at large orders the ε-DP bound of the mechanism is smaller than α·ε²/8).
    expect(entry.epsilonAfter).toBeLessThanOrEqual(byHand + 1e-12);
    expect(entry.epsilonAfter).toBeGreaterThan(byHand - 1e-3);
    // Four times cheaper than a generic ε_sel-DP mechanism would be charged.
    const generic = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    generic.charge({ kind: 'gaussian', name: 'q', noiseMultiplier: sigma });
    expect(generic.charge({ kind: 'pure_dp', name: 'g', epsilon: epsSel, count: 2 }).epsilonAfter).toBeGreaterThan(entry.epsilonAfter);
  });

  it('candidates: the DP start, then evenly spaced checkpoints up to the last step', () => {
    expect(checkpointSteps(300, 5)).toEqual([0, 75, 150, 225, 300]);
    expect(checkpointSteps(3, 5)).toEqual([0, 1, 2, 3]);
    expect(checkpointSteps(0, 5)).toEqual([0]);
  });
});

describe('the exponential mechanism (Gumbel-max)', () => {
  const draws = (scores: number[], epsilon: number, n: number, seed: number) => {
    const rng = new SeededRng(seed);
    const counts = new Array<number>(scores.length).fill(0);
    for (let i = 0; i < n; i++) counts[exponentialMechanismIndex(scores, epsilon, 1, rng)]++;
    return counts.map((c) => c / n);
  };

  it('follows exp(ε·score / 2Δ): two candidates one unit apart at ε = 2 → e/(1 + e) = 0.7311', () => {
    const n = 20000;
    const [, better] = draws([0, 1], 2, n, 1);
    // 4 standard deviations of a binomial share.
    expect(Math.abs(better - Math.E / (1 + Math.E))).toBeLessThan(4 * Math.sqrt((0.7311 * 0.2689) / n));
  });

  it('equal candidates are chosen uniformly; a far better one almost always', () => {
    const shares = draws([5, 5, 5, 5], 1, 20000, 2);
    for (const s of shares) expect(Math.abs(s - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / 20000));
    // Gap 20 at ε = 1: each worse candidate has weight e^−10 relative to the best.
    expect(draws([0, 20, 0], 1, 2000, 3)[1]).toBeGreaterThan(0.995);
    // ε = ∞ is the argmax.
    expect(exponentialMechanismIndex([1, 3, 2], Infinity, 1, new SeededRng(4))).toBe(1);
  });
});

describe('selectCandidate on real records', () => {
  // Two candidates for pima: a DP table, and the same rows with the classes' features swapped, so a
  // model trained on it predicts the classes the wrong way round.
  async function setUp() {
    const { train } = await dataset('pima');
    const run = await condense({ train, rows: 20, epsilon: Infinity, steps: 0, seed: 3, learners: ['logistic'] });
    const encoded = run.encoder.encode(run.synthetic, { missing: 'impute' });
    const y = run.synthetic.label!;
    const synthetic = new SyntheticParameters(run.encoder, encoded, { task: 'classification', y });
    const good = synthetic.values.slice();
    const bad = good.slice();
    const d = run.encoder.dim;
    const zeros = [...y.keys()].filter((i) => y[i] === 0);
    const ones = [...y.keys()].filter((i) => y[i] === 1);
    zeros.forEach((i, k) => {
      const j = ones[k % ones.length];
      bad.set(good.subarray(j * d, (j + 1) * d), i * d);
      bad.set(good.subarray(i * d, (i + 1) * d), j * d);
    });
    const lossSpec: ClassificationLossSpec = { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    const choose = (epsilon: number, seed: number) =>
      selectCandidate({
        plan: { starts: 1, candidates: 2, draws: 1, epsilon },
        candidates: [bad, good],
        synthetic,
        learners: run.settings.learners.map((l) => ({ ...l, task: 'classification' as const })),
        lossSpec,
        train,
        encoder: run.encoder,
        scope: new DataAccessScope(),
        noiseRng: new SeededRng(seed),
      });
    return { choose, n: train.nRows };
  }

  it('chooses the better table when ε_sel resolves the gap, and near-uniformly when it cannot (no un-noised argmax)', async () => {
    const { choose } = await setUp();
    expect(choose(Infinity, 0)).toBe(1);
    let good = 0;
    for (let s = 0; s < 40; s++) good += choose(1, s);
    expect(good).toBeGreaterThanOrEqual(39);
    // ε_sel = 10^-5: the summed-loss gap (at most n·B ≈ 600) moves the odds by e^0.003 at most,
    // so the choice is a fair coin. An un-noised argmax would pick the good table every time.
    const draws = 300;
    let tiny = 0;
    for (let s = 0; s < draws; s++) tiny += choose(1e-5, 100 + s);
    expect(Math.abs(tiny / draws - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / draws));
  });

  it('the resolution it reports is the utility bound 2B·ln(k/β)/(ε_sel·n̂)', () => {
    const spec: ClassificationLossSpec = { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    // B = 0.99² = 0.9801; 2·0.9801·ln(5/0.1)/(0.5·1000) = 1.9602·3.912023/500 = 0.015336.
    expect(selectionResolution({ starts: 1, candidates: 5, draws: 1, epsilon: 0.5 }, spec, 1000)).toBeCloseTo(0.015336, 5);
  });
});

describe('condense with the release selection', () => {
  const RUN = { rows: 20, epsilon: 2, delta: 1e-5, steps: 8, directions: 2, learners: ['logistic'], seed: 5, selectionShare: 0.1 };

  it('the receipt lists the charged entry and what was chosen (no scores), and the total is the requested ε', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, ...RUN });
    const r = result.receipt;
    expect(r.entries.map((e) => e.name)).toEqual([MECHANISM.stratumMoments, MECHANISM.releaseSelection, MECHANISM.zeroOrderSteps]);
    const selection = r.entries[1];
    expect(selection.kind).toBe('exponential');
    const epsSel = planSelection({ ...RUN, isPrivate: true, selectionStarts: 10, selectionCandidates: 5, initialisation: 'private' })!.epsilon;
    expect(selection.epsilon).toBeCloseTo(epsSel, 12);
    expect(selection.count).toBe(2);
    expect(r.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
    expect(r.epsilon as number).toBeGreaterThan(0.999 * RUN.epsilon);
    const p = r.parameters as Record<string, unknown>;
    expect(Object.keys(p).filter((k) => k.startsWith('select')).sort()).toEqual(
      ['selectedCandidate', 'selectedStart', 'selectionCandidates', 'selectionEpsilon', 'selectionResolution', 'selectionShare', 'selectionStarts'].sort(),
    );
    expect(p.selectionEpsilon).toBe(selection.epsilon);
    expect([0, 1, 2, 3, 4]).toContain(p.selectedCandidate);
    expect([...Array(10).keys()]).toContain(p.selectedStart);
    // The steps were calibrated on what the selection left: noisier than without it.
    const without = await condense({ train, ...RUN, selectionShare: 0 });
    expect(result.settings.noiseMultiplier).toBeGreaterThan(without.settings.noiseMultiplier);
    expect(without.receipt.entries.map((e) => e.name)).not.toContain(MECHANISM.releaseSelection);
    expect(without.receipt.parameters.selectedCandidate).toBeUndefined();
    // Seeded runs stay reproducible.
    const again = await condense({ train, ...RUN });
    expect(again.synthetic.features.map((f) => Array.from(f.values))).toEqual(result.synthetic.features.map((f) => Array.from(f.values)));
    expect(again.receipt.parameters.selectedCandidate).toBe(p.selectedCandidate);
    expect(again.receipt.parameters.selectedStart).toBe(p.selectedStart);
  });
});
