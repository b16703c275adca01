/**
 * The cohort-size caveat (`src/condense/cohortSize.ts`; docs/RESULTS.md, "Session 34: small
 * cohorts"): a private run whose cohort figure √d / (n̂·√ρ) exceeds 0.04 says in its receipt and on
 * the terminal that the table may be no better than a random real subset. It reads only the DP record
 * count, so it changes nothing else in the run.
 */
import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { cohortFigure, SMALL_COHORT_FIGURE, smallCohortCaveat } from '../../src/condense/cohortSize.js';
import { subsetTable } from '../../src/data/table.js';
import { dataset } from './helpers.js';

const SHORT = { rows: 50, steps: 2, directions: 2, batchSize: 64 };

describe('cohortFigure', () => {
  it('is √d / (n̂·√ρ) with ρ the zCDP that (ε, δ) allows, by hand', () => {
    // ε = 1, δ = 1e-5: ρ = (√(ln 1e5 + 1) − √ln 1e5)² = 0.020819…
    const L = Math.log(1e5);
    const rho = (Math.sqrt(L + 1) - Math.sqrt(L)) ** 2;
    expect(rho).toBeCloseTo(0.020819, 5);
    expect(cohortFigure(8, 400, 1, 1e-5)).toBeCloseTo(Math.sqrt(8) / (400 * Math.sqrt(rho)), 12);
    expect(cohortFigure(8, 400, 1, 1e-5)).toBeCloseTo(0.049, 3);
  });

  it('falls with the record count and ε, grows with the features, and is infinite without records', () => {
    expect(cohortFigure(8, 800, 1, 1e-5)).toBeCloseTo(cohortFigure(8, 400, 1, 1e-5) / 2, 12);
    expect(cohortFigure(8, 400, 3, 1e-5)).toBeLessThan(cohortFigure(8, 400, 1, 1e-5));
    expect(cohortFigure(32, 400, 1, 1e-5)).toBeCloseTo(2 * cohortFigure(8, 400, 1, 1e-5), 12);
    expect(cohortFigure(8, 0, 1, 1e-5)).toBe(Infinity);
    expect(cohortFigure(8, -3, 1, 1e-5)).toBe(Infinity);
  });
});

describe('smallCohortCaveat', () => {
  it('is given above the threshold only, and never for ε = ∞', () => {
    // 8 features at ε = 1: the figure crosses 0.04 near n̂ = 490.
    expect(cohortFigure(8, 480, 1, 1e-5)).toBeGreaterThan(SMALL_COHORT_FIGURE);
    expect(cohortFigure(8, 500, 1, 1e-5)).toBeLessThan(SMALL_COHORT_FIGURE);
    expect(smallCohortCaveat(8, 480, 1, 1e-5)).toMatch(/cohort is small for ε = 1/);
    expect(smallCohortCaveat(8, 500, 1, 1e-5)).toBeUndefined();
    expect(smallCohortCaveat(8, 480, 3, 1e-5)).toBeUndefined();
    expect(smallCohortCaveat(8, 10, Infinity, 1e-5)).toBeUndefined();
  });

  it('shows the DP record count rounded to a whole record, and the figure to two digits', () => {
    const caveat = smallCohortCaveat(8, 401.62, 1, 1e-5)!;
    expect(caveat).toContain('about 402 records (DP estimate)');
    expect(caveat).not.toContain('401.62');
    expect(caveat).toContain(cohortFigure(8, 401.62, 1, 1e-5).toPrecision(2));
    expect(smallCohortCaveat(8, -2, 1, 1e-5)).toContain('the DP record count is not positive');
  });
});

describe('in a run', () => {
  it('a small cohort at ε = 1 gets the caveat, from the released DP count (not the true one), in the result and the receipt', async () => {
    const train = (await dataset('rotterdam')).train;
    const small = subsetTable(train, Array.from({ length: 300 }, (_, i) => i));
    const result = await condense({ ...SHORT, train: small, epsilon: 1, seed: 3 });
    const dpCount = result.released.strataCounts.reduce((a, c) => a + c, 0);
    // The precondition that makes the next line a test of which count is shown.
    expect(Math.round(dpCount)).not.toBe(300);
    const caveat = result.caveats.find((c) => c.includes('cohort is small'));
    expect(caveat).toBe(smallCohortCaveat(train.features.length, dpCount, 1, 1e-5));
    expect(caveat).toContain(`about ${Math.round(dpCount)} records`);
    expect(result.receipt.warnings).toContain(caveat);
  });

  it('the full training set at ε = 1, and a small cohort at ε = ∞, get none', async () => {
    const train = (await dataset('rotterdam')).train;
    const full = await condense({ ...SHORT, train, epsilon: 1, seed: 3 });
    expect(full.caveats.some((c) => c.includes('cohort is small'))).toBe(false);
    const small = subsetTable(train, Array.from({ length: 300 }, (_, i) => i));
    const open = await condense({ ...SHORT, train: small, epsilon: Infinity, seed: 3 });
    expect(open.caveats.some((c) => c.includes('cohort is small'))).toBe(false);
  });

  it('a wide classification cohort: wdbc (30 features, about 455 records) gets it at ε = 1 (figure 0.08), not at ε = 3 (0.03)', async () => {
    const train = (await dataset('wdbc')).train;
    const run = { rows: 20, steps: 2, directions: 2, batchSize: 64, seed: 5 };
    const low = await condense({ ...run, train, epsilon: 1 });
    const caveat = low.caveats.find((c) => c.includes('cohort is small'));
    expect(caveat).toBe(smallCohortCaveat(train.features.length, low.released.strataCounts.reduce((s, c) => s + c, 0), 1, 1e-5));
    const high = await condense({ ...run, train, epsilon: 3 });
    expect(high.caveats.some((c) => c.includes('cohort is small'))).toBe(false);
  });
});
