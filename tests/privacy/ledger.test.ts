import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { EXTENDED_ORDERS, addRdp, epsilonFromRdp, rdpGaussian, rdpPureDp, rdpSubsampledGaussian } from '../../src/privacy/analysis/rdp.js';
import { PrivacyBudgetError, PrivacyParameterError } from '../../src/privacy/errors.js';
import { PrivacyLedger, type MechanismEntry } from '../../src/privacy/ledger.js';
import { CryptoRng } from '../../src/privacy/random.js';

const steps: MechanismEntry = { kind: 'subsampled_gaussian', name: 'zo_steps', noiseMultiplier: 1.1, samplingRate: 0.02, steps: 500 };

describe('PrivacyLedger', () => {
  it('composes heterogeneous mechanisms exactly as the sum of their RDP curves', () => {
    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'moments', noiseMultiplier: 6, purpose: 'standardisation' });
    ledger.charge({ kind: 'pure_dp', name: 'quantiles', epsilon: 0.1, count: 2 });
    ledger.charge(steps);
    ledger.charge({ kind: 'subsampled_gaussian', name: 'fine_tune', noiseMultiplier: 2, samplingRate: 0.05, steps: 100 });
    const curve = new Float64Array(EXTENDED_ORDERS.length);
    addRdp(curve, rdpGaussian(6, EXTENDED_ORDERS));
    addRdp(curve, rdpPureDp(0.1, EXTENDED_ORDERS), 2);
    addRdp(curve, rdpSubsampledGaussian(0.02, 1.1, EXTENDED_ORDERS), 500);
    addRdp(curve, rdpSubsampledGaussian(0.05, 2, EXTENDED_ORDERS), 100);
    const expected = epsilonFromRdp(curve, EXTENDED_ORDERS, 1e-5);
    const spent = ledger.spent();
    expect(spent.epsilon).toBeCloseTo(expected.epsilon, 12);
    expect(spent.bestOrder).toBe(expected.bestOrder);
    expect(spent.accountant).toBe('rdp');
    const recorded = ledger.rdpCurve();
    curve.forEach((v, k) => expect(recorded[k]).toBeCloseTo(v, 12));
    // Entries are listed in order with the running total.
    const entries = ledger.entries();
    expect(entries.map((e) => e.name)).toEqual(['moments', 'quantiles', 'zo_steps', 'fine_tune']);
    expect(entries.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < entries.length; i++) expect(entries[i].epsilonAfter).toBeGreaterThan(entries[i - 1].epsilonAfter);
    expect(entries[3].epsilonAfter).toBe(spent.epsilon);
    expect(ledger.remaining()).toBeCloseTo(10 - spent.epsilon, 12);
  });

  it('refuses a charge that would exceed the budget BEFORE recording it, with a clear error', () => {
    const ledger = new PrivacyLedger({ epsilon: 1, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'count', noiseMultiplier: 10 });
    const before = ledger.spent();
    const beforeCurve = ledger.rdpCurve();
    const tooMuch: MechanismEntry = { kind: 'subsampled_gaussian', name: 'greedy', noiseMultiplier: 0.7, samplingRate: 0.1, steps: 1000 };
    expect(ledger.wouldExceed(tooMuch)).toBe(true);
    expect(ledger.costIf(tooMuch).epsilon).toBeGreaterThan(1);
    expect(() => ledger.charge(tooMuch)).toThrow(PrivacyBudgetError);
    expect(() => ledger.charge(tooMuch)).toThrow(/"greedy" would raise ε .* > budget ε = 1.*nothing was spent/);
    expect(ledger.entries().length).toBe(1);
    expect(ledger.spent().epsilon).toBe(before.epsilon);
    expect([...ledger.rdpCurve()]).toEqual([...beforeCurve]);
    // A smaller charge still fits afterwards.
    expect(ledger.wouldExceed({ kind: 'gaussian', name: 'small', noiseMultiplier: 20 })).toBe(false);
  });

  it('a run cannot spend beyond its budget whatever the order of charges', () => {
    const rng = new SeededRng(9);
    for (let trial = 0; trial < 20; trial++) {
      const budget = 0.5 + 3 * rng.uniform();
      const ledger = new PrivacyLedger({ epsilon: budget, delta: 1e-6 });
      for (let k = 0; k < 15; k++) {
        const entry: MechanismEntry =
          rng.uniform() < 0.5
            ? { kind: 'gaussian', name: `g${k}`, noiseMultiplier: 1 + 10 * rng.uniform() }
            : { kind: 'subsampled_gaussian', name: `s${k}`, noiseMultiplier: 0.8 + 2 * rng.uniform(), samplingRate: 0.05, steps: 1 + rng.int(200) };
        try {
          ledger.charge(entry);
        } catch (e) {
          expect(e).toBeInstanceOf(PrivacyBudgetError);
        }
        expect(ledger.spent().epsilon).toBeLessThanOrEqual(budget);
      }
    }
  });

  it('entries are frozen and the list cannot be used to alter the ledger', () => {
    const ledger = new PrivacyLedger({ epsilon: 5, delta: 1e-5 });
    ledger.charge(steps);
    const entries = ledger.entries();
    expect(Object.isFrozen(entries[0])).toBe(true);
    expect(() => (entries as unknown as unknown[]).push({})).toThrow();
    expect(ledger.entries().length).toBe(1);
  });

  it('an unbounded ledger records non-private entries (σ = 0 gives ε = ∞)', () => {
    const ledger = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
    ledger.charge({ kind: 'subsampled_gaussian', name: 'no_noise', noiseMultiplier: 0, samplingRate: 0.1, steps: 10 });
    expect(ledger.spent().epsilon).toBe(Infinity);
    expect(ledger.entries().length).toBe(1);
    expect(ledger.remaining()).toBe(Infinity);
  });

  it('δ = 0 ledgers accept pure-DP entries only, composed by summing ε', () => {
    const ledger = new PrivacyLedger({ epsilon: 1, delta: 0 });
    ledger.charge({ kind: 'laplace', name: 'count', epsilon: 0.3 });
    ledger.charge({ kind: 'pure_dp', name: 'median', epsilon: 0.2, count: 2 });
    expect(ledger.spent().epsilon).toBeCloseTo(0.7, 12);
    expect(() => ledger.charge({ kind: 'gaussian', name: 'g', noiseMultiplier: 100 })).toThrow(PrivacyBudgetError);
  });

  it('validates entries', () => {
    const ledger = new PrivacyLedger({ epsilon: 5, delta: 1e-5 });
    expect(() => ledger.charge({ kind: 'gaussian', name: '', noiseMultiplier: 1 })).toThrow(PrivacyParameterError);
    expect(() => ledger.charge({ ...steps, samplingRate: 1.5 })).toThrow(PrivacyParameterError);
    expect(() => ledger.charge({ ...steps, steps: 2.5 })).toThrow(PrivacyParameterError);
    expect(() => ledger.charge({ kind: 'pure_dp', name: 'x', epsilon: -1 })).toThrow(PrivacyParameterError);
    expect(() => new PrivacyLedger({ epsilon: 0, delta: 1e-5 })).toThrow(PrivacyParameterError);
    expect(ledger.entries().length).toBe(0);
  });

  it('the PLD accountant reports a tighter ε than RDP and brackets it', () => {
    const make = (accountant: 'rdp' | 'pld') => {
      const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5, accountant });
      ledger.charge({ kind: 'gaussian', name: 'moments', noiseMultiplier: 5 });
      ledger.charge({ kind: 'laplace', name: 'count', epsilon: 0.05 });
      ledger.charge({ kind: 'subsampled_gaussian', name: 'steps', noiseMultiplier: 1, samplingRate: 0.02, steps: 300 });
      return ledger.spent();
    };
    const rdp = make('rdp');
    const pld = make('pld');
    expect(pld.accountant).toBe('pld');
    expect(pld.epsilonRdp).toBeCloseTo(rdp.epsilon, 12);
    expect(pld.epsilonPld!).toBeLessThan(rdp.epsilon);
    expect(pld.epsilon).toBe(pld.epsilonPld);
    expect(pld.epsilonPldLower!).toBeLessThanOrEqual(pld.epsilonPld!);
    // Stated error at the automatic grid (Δ = 1e−3 here, 302 discretised pieces): ~Δ·√(T ln(1/η)/2).
    expect(pld.epsilonPld! - pld.epsilonPldLower!).toBeLessThan(0.1);
  });

  it('records which randomness was used', () => {
    const ledger = new PrivacyLedger({ epsilon: 1, delta: 1e-5 });
    expect(ledger.randomnessRecord()).toEqual({ registered: false, reproducible: false, secure: true });
    ledger.registerRandomness(new CryptoRng());
    expect(ledger.randomnessRecord()).toEqual({ registered: true, reproducible: false, secure: true });
    ledger.registerRandomness(new SeededRng(1));
    expect(ledger.randomnessRecord()).toEqual({ registered: true, reproducible: true, secure: false });
  });
});
