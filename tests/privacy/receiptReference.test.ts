/**
 * The receipt's ε checked against independently computed values (Opacus's RDP analysis of the
 * Poisson-subsampled Gaussian, `tests/fixtures/reference/rdp_accountant.json`), not only replayed
 * through our own ledger: a receipt for T subsampled-Gaussian steps must state the reference ε.
 */
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/reference/rdp_accountant.json' with { type: 'json' };
import { CryptoRng, DEFAULT_ORDERS, PrivacyLedger, buildReceipt } from '../../src/privacy/index.js';

const software = { name: 'dpcondense', version: 'test' };

function receiptFor(c: (typeof fixture.cases)[number], orders?: readonly number[]) {
  const ledger = new PrivacyLedger({ epsilon: 1e6, delta: c.delta, orders });
  ledger.registerRandomness(new CryptoRng());
  ledger.charge({ kind: 'subsampled_gaussian', name: 'zero_order_steps', noiseMultiplier: c.sigma, samplingRate: c.q, steps: c.steps });
  return buildReceipt(ledger, { software, inputFingerprint: { algorithm: 'none', hex: '' }, parameters: {}, privateRelease: true });
}

describe('receipt ε vs the Opacus reference', () => {
  it(`states the reference ε for all ${fixture.cases.length} cases (on the reference's order grid)`, () => {
    for (const c of fixture.cases) {
      const r = receiptFor(c, DEFAULT_ORDERS);
      const label = `q=${c.q} σ=${c.sigma} T=${c.steps} δ=${c.delta}`;
      expect(r.private_release, label).toBe(true);
      expect(r.delta).toBe(c.delta);
      expect(Math.abs((r.epsilon as number) / c.epsilon - 1), label).toBeLessThan(1e-6);
      expect(r.best_rdp_order, label).toBe(c.best_order);
    }
  });

  it('never states more than the reference ε with the default (finer, higher-order) grid', () => {
    for (const c of fixture.cases) {
      const epsilon = receiptFor(c).epsilon as number;
      const label = `q=${c.q} σ=${c.sigma} T=${c.steps} δ=${c.delta}`;
      expect(epsilon, label).toBeGreaterThan(0);
      expect(epsilon, label).toBeLessThanOrEqual(c.epsilon * (1 + 1e-9));
    }
  });
});
