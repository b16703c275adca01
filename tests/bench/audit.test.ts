/**
 * The audit's statistics, and a quick white-box one-run audit: without noise the attack finds the
 * canaries (a clearly positive ε lower bound), with the accountant's noise at ε = 1 its bound stays
 * below 1. The full audit is `npm run audit` (docs/AUDIT.md).
 */
import { describe, expect, it } from 'vitest';
import { QUICK_AUDIT, whiteBoxOneRun } from '../../src/bench/audit.js';
import { auc, clopperPearson, logBinomialTail, oneRunEpsilonLowerBound, scoreGuesses, tprAtFpr } from '../../src/bench/auditStatistics.js';

describe('audit statistics', () => {
  it('binomial tails, Clopper–Pearson intervals and the one-run bound behave as their definitions say', () => {
    // P[Binomial(4, ½) ≥ 3] = 5/16.
    expect(Math.exp(logBinomialTail(4, 3, 0.5))).toBeCloseTo(5 / 16, 12);
    const ci = clopperPearson(3, 10);
    expect(ci.low).toBeCloseTo(0.0667, 3); // R: binom.test(3, 10)$conf.int = 0.0667 0.6525
    expect(ci.high).toBeCloseTo(0.6525, 3);
    // Half right is no evidence; all right in 100 guesses: P[all right | ε] = p^100 = 0.05 at the bound.
    expect(oneRunEpsilonLowerBound(100, 50)).toBe(0);
    const bound = oneRunEpsilonLowerBound(100, 100);
    expect(Math.pow(1 / (1 + Math.exp(-bound)), 100)).toBeCloseTo(0.05, 6);
    // The δ allowance only lowers the bound.
    expect(oneRunEpsilonLowerBound(100, 100, { delta: 1e-5, canaries: 1000 })).toBeLessThan(bound);
  });

  it('guesses the top and bottom scores; AUC and TPR at low FPR', () => {
    const scores = Float64Array.of(5, 4, 3, 2, 1, 0);
    expect(scoreGuesses(scores, Uint8Array.of(1, 1, 0, 1, 0, 0), 2)).toEqual({ guesses: 4, correct: 4 });
    expect(auc([3, 4], [1, 2])).toBe(1);
    expect(auc([1, 2], [1, 2])).toBe(0.5);
    const t = tprAtFpr([5, 6, 0], Array.from({ length: 100 }, (_, i) => i / 100), 0.01);
    expect(t.tpr).toBeCloseTo(2 / 3, 12);
    expect(t.achievedFpr).toBeLessThanOrEqual(0.01);
  });
});

describe('white-box one-run audit (quick)', () => {
  it('has power without noise and stays below the accountant at ε = 1', () => {
    const control = whiteBoxOneRun(Infinity, QUICK_AUDIT, 3);
    expect(control.epsilonLower).toBeGreaterThan(2);
    const private1 = whiteBoxOneRun(1, QUICK_AUDIT, 3);
    expect(private1.noiseMultiplier).toBeGreaterThan(1);
    expect(private1.epsilonLower).toBeLessThan(1);
  });
});
