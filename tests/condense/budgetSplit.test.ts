import { describe, expect, it } from 'vitest';
import {
  balancedPreprocessingShare,
  defaultPreprocessingShare,
  epsilonForRho,
  featureCountPreprocessingShare,
  preprocessingQueries,
  rhoForEpsilon,
  stratumMomentsSensitivity,
  type BalanceInputs,
  type ShareSettings,
} from '../../src/condense/budgetSplit.js';
import { checkBudgetCovers } from '../../src/condense/budget.js';
import { BudgetTooSmallError, minimumEpsilon } from '../../src/condense/budgetCheck.js';
import { condense } from '../../src/condense/condense.js';
import { StratumMomentsQuery } from '../../src/condense/privateStatistics.js';
import { resolveSettings } from '../../src/condense/settings.js';
import { calibrateJointGaussianQueries } from '../../src/privacy/measurements.js';
import { MECHANISM } from '../../src/privacy/dataAccess.js';
import { dataset } from './helpers.js';

// pima's moments query at m = 20: Δ = √(1 + 8·1.5) = √13, one query, two classes, μ = 0.3.
const PIMA_LIKE: BalanceInputs = { epsilon: 1, delta: 1e-5, momentsSensitivity: Math.sqrt(13), queries: 1, strata: 2, rows: 20, smoothing: 0.3 };

describe("the balance rule for the statistics' share of ε", () => {
  it('matches hand computations', () => {
    // √(a/b) = 2·√Q·Δ·S·μ/m = 2·1·3.6056·2·0.3/20 = 0.21633; ρ share 0.21633/1.21633 = 0.17786;
    // ρ(ε = 1, δ = 1e−5) = (√(11.5129 + 1) − √11.5129)² = 0.020820; ε(0.17786·0.020820) = 0.41665.
    expect(balancedPreprocessingShare(PIMA_LIKE)).toBeCloseTo(0.41665, 4);
    // ε = 3: ρ = 0.173483, the same ρ share: 0.40763.
    expect(balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: 3 })).toBeCloseTo(0.40763, 4);
    // wdbc-like at m = 200, ε = 8, δ = 1e−6: √(a/b) = 2·√46·2·0.3/200 = 0.040694, ρ share 0.039103,
    // ρ(8, 1e−6) = 0.909707, share 0.17970.
    expect(balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: 8, delta: 1e-6, momentsSensitivity: Math.sqrt(46), rows: 200 })).toBeCloseTo(0.1797, 4);
    // Survival-like: Δ = 5, two queries, three strata, m = 50, ε = 3: √(a/b) = 0.254558, share 0.43614.
    expect(balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: 3, momentsSensitivity: 5, queries: 2, strata: 3, rows: 50 })).toBeCloseTo(0.43614, 4);
    // ε = ∞: the ρ share itself.
    expect(balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: Infinity })).toBeCloseTo(0.17786, 4);
  });

  it('ρ and ε convert both ways (ε = ρ + 2√(ρ·ln(1/δ)))', () => {
    for (const [epsilon, delta] of [[0.5, 1e-5], [3, 1e-5], [8, 1e-8]]) expect(epsilonForRho(rhoForEpsilon(epsilon, delta), delta)).toBeCloseTo(epsilon, 10);
    expect(epsilonForRho(0.25, Math.exp(-4))).toBeCloseTo(0.25 + 2 * Math.sqrt(0.25 * 4), 12);
  });

  it('grows with the noise of the statistics (Δ, queries, strata, μ), falls with m and ε, stays in (0, 1)', () => {
    const share = (change: Partial<BalanceInputs>) => balancedPreprocessingShare({ ...PIMA_LIKE, ...change });
    const grid = [0.5, 1, 2, 4, 8, 16];
    const increasing = (values: number[]) => values.every((v, k) => k === 0 || v > values[k - 1]);
    for (const epsilon of [0.5, 1, 3, 8, 20]) {
      expect(increasing(grid.map((g) => share({ epsilon, momentsSensitivity: 2 * g })))).toBe(true);
      expect(increasing([1, 2, 3, 4, 8].map((queries) => share({ epsilon, queries })))).toBe(true);
      expect(increasing([2, 3, 5].map((strata) => share({ epsilon, strata })))).toBe(true);
      expect(increasing(grid.map((g) => share({ epsilon, smoothing: 0.1 * g })))).toBe(true);
      expect(increasing(grid.map((g) => share({ epsilon, rows: Math.round(400 / g) })))).toBe(true);
      for (const rows of [6, 20, 200, 10_000]) for (const momentsSensitivity of [1, 13, 100]) {
        const s = share({ epsilon, rows, momentsSensitivity });
        expect(s).toBeGreaterThan(0);
        expect(s).toBeLessThan(1);
      }
    }
    // Falls with ε towards the ρ share (ε(ρ) is concave: the ε share of a fixed ρ share shrinks as ε grows).
    expect(increasing([20, 8, 3, 1, 0.3].map((epsilon) => share({ epsilon })))).toBe(true);
    expect(share({ epsilon: 1e6 })).toBeCloseTo(share({ epsilon: Infinity }), 2);
  });

  it("the card's moments sensitivity is the query's own, on every bundled card, with and without the joint clip", async () => {
    for (const name of ['pima', 'wdbc', 'physionet2012', 'support', 'metabric', 'rotterdam']) {
      const { train } = await dataset(name);
      const bounds = train.features.map((): [number, number] => [0, 1]);
      for (const clip of [undefined, 0.7]) {
        const query = new StratumMomentsQuery(train, bounds, () => new Int32Array(train.nRows), train.card.task === 'survival' ? 3 : 2, 'test', clip);
        expect(stratumMomentsSensitivity(train.card, clip)).toBeCloseTo(query.l2Sensitivity, 12);
      }
    }
  });
});

describe('one default split for the run and the budget check', () => {
  const filled = (over: Partial<ShareSettings> = {}): ShareSettings => ({
    epsilon: 3, delta: 1e-5, steps: 300, rows: 20, smoothing: 0.3, initialisation: 'private', mstShare: 0.3, bounds: {}, dataRanges: false, splitRule: 'balance', ...over,
  });

  it('follows the card and the settings: the feature rule by default, the balance rule on request, MST and no steps their own', async () => {
    const pima = (await dataset('pima')).train;
    const physionet = (await dataset('physionet2012')).train;
    // pima at m = 20, ε = 3 is PIMA_LIKE at ε = 3 (card bounds for every feature: one query).
    expect(preprocessingQueries(pima.card, {}, false).queries).toEqual([MECHANISM.stratumMoments]);
    expect(resolveSettings({ train: pima, rows: 20, epsilon: 3, splitRule: 'balance' }).preprocessingShare).toBeCloseTo(0.40763, 4);
    expect(resolveSettings({ train: pima, rows: 20, epsilon: 3 }).preprocessingShare).toBe(0.3);
    // physionet2012 has no card bounds: two queries sharing σ, Δ of its 116 features.
    const phys = resolveSettings({ train: physionet, rows: 20, epsilon: 3, splitRule: 'balance' }).preprocessingShare;
    expect(phys).toBe(balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: 3, momentsSensitivity: stratumMomentsSensitivity(physionet.card), queries: 2 }));
    expect(phys).toBeGreaterThan(0.7);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3 }).preprocessingShare).toBe(0.6);
    // The feature rule by hand: 0.3 up to 30 features, 0.3·d/30 above, at most 0.6.
    [0.3, 0.3, 0.45, 0.6, 0.6, 0.6].forEach((share, k) => expect(featureCountPreprocessingShare([8, 30, 45, 60, 116, 1000][k])).toBeCloseTo(share, 12));
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, preprocessingShare: 0.2 }).preprocessingShare).toBe(0.2);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, steps: 0 }).preprocessingShare).toBe(1);
    for (const splitRule of ['features', 'balance'] as const) {
      expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, splitRule, steps: 0 }).preprocessingShare).toBe(1);
      expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, splitRule, initialisation: 'mst' }).preprocessingShare).toBe(0.3);
      expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, splitRule, initialisation: 'mst', steps: 0 }).preprocessingShare).toBeCloseTo(0.7, 12);
    }
    // More rows: the steps need more of the budget.
    expect(defaultPreprocessingShare(pima.card, filled({ rows: 200 }))).toBeLessThan(defaultPreprocessingShare(pima.card, filled()));
  });

  it('the larger rule takes the balance share on small tables and the feature share where the balance share falls below it', async () => {
    const pima = (await dataset('pima')).train;
    const physionet = (await dataset('physionet2012')).train;
    for (const train of [pima, physionet]) {
      const share = (rows: number, splitRule: ShareSettings['splitRule']): number => resolveSettings({ train, rows, epsilon: 3, splitRule }).preprocessingShare;
      // 20 rows: the balance share is the larger (pima 0.408 against 0.3, physionet2012 0.715 against 0.6).
      expect(share(20, 'balance')).toBeGreaterThan(share(20, 'features'));
      expect(share(20, 'larger')).toBe(share(20, 'balance'));
      // 200 rows: the balance share falls below the feature rule's (pima 0.138, physionet2012 0.305).
      expect(share(200, 'balance')).toBeLessThan(share(200, 'features'));
      expect(share(200, 'larger')).toBe(share(200, 'features'));
    }
    // The crossing is where the balance share equals 0.3: for pima between 20 and 200 rows.
    const crossing = [20, 40, 60, 80, 100, 150].map((rows) => defaultPreprocessingShare(pima.card, filled({ rows, splitRule: 'larger' })));
    for (let k = 1; k < crossing.length; k++) expect(crossing[k]).toBeLessThanOrEqual(crossing[k - 1]);
    expect(Math.min(...crossing)).toBe(0.3);
  });

  it("the budget check uses the run's share: the MST start without steps is checked at 1 − mstShare, not 1", async () => {
    const pima = (await dataset('pima')).train;
    const plan = { delta: 1e-5, preprocessingQueries: 1, steps: 0, accountant: 'rdp' as const };
    // An ε that pays for the statistics at share 1 but not at 0.7 (what the MST start leaves them).
    const epsilon = 1.05 * minimumEpsilon({ ...plan, preprocessingShare: 1 });
    expect(epsilon).toBeLessThan(minimumEpsilon({ ...plan, preprocessingShare: 0.7 }));
    expect(() => checkBudgetCovers(pima.card, { rows: 20, epsilon, steps: 0 })).not.toThrow();
    expect(() => checkBudgetCovers(pima.card, { rows: 20, epsilon, steps: 0, initialisation: 'mst' })).toThrow(BudgetTooSmallError);
  });

  it("the receipt's split is the rule's: the share in the parameters, σ of the statistics calibrated at share·ε", async () => {
    const { train } = await dataset('wdbc');
    const run = await condense({ train, rows: 20, epsilon: 2, steps: 3, directions: 2, learners: ['logistic'], splitRule: 'balance', seed: 7 });
    const share = balancedPreprocessingShare({ ...PIMA_LIKE, epsilon: 2, momentsSensitivity: Math.sqrt(46) });
    expect(run.receipt.parameters.preprocessingShare).toBe(share);
    const moments = run.receipt.entries.find((e) => e.name === MECHANISM.stratumMoments)!;
    expect(moments.noise_multiplier).toBe(calibrateJointGaussianQueries({ epsilon: 2 * share, delta: 1e-5, queries: 1, accountant: 'rdp' }));
  });
});
