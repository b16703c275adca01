import { describe, expect, it } from 'vitest';
import { PrivacyLedger, calibrateNoiseMultiplier } from '../../src/privacy/index.js';
import { fitMst, planMstBudget, synthesise } from '../../src/synthesis/mst/index.js';
import { SeededRng } from '../../src/core/rng.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { auditedTable, dataset } from '../condense/helpers.js';

/** RDP of binary randomised response with parameter ε at order α (the bound for any ε-DP mechanism). */
function rrRdp(eps: number, alpha: number): number {
  const p = Math.exp(eps) / (1 + Math.exp(eps));
  return Math.log(p ** alpha * (1 - p) ** (1 - alpha) + (1 - p) ** alpha * p ** (1 - alpha)) / (alpha - 1);
}

describe('MST privacy accounting', () => {
  it('matches a hand computation: ρ split in thirds, σ = √(3/2ρ), ε_sel = √(8(ρ/3)/(d−1)), RDP → (ε, δ)', () => {
    const delta = 1e-5;
    const ledger = new PrivacyLedger({ epsilon: 3, delta });
    const d = 9; // pima: 8 features + the label, all with public bounds (no grid histogram)
    const plan = planMstBudget(ledger, 3, d, 0);
    const { rho } = plan;
    expect(plan.entries.map((e) => e.kind)).toEqual(['gaussian', 'exponential', 'gaussian']);
    expect(plan.oneWayNoiseMultiplier).toBeCloseTo(Math.sqrt(3 / (2 * rho)), 12);
    expect(plan.twoWayNoiseMultiplier).toBeCloseTo(Math.sqrt(3 / (2 * rho)), 12);
    expect(plan.selectionEpsilon).toBeCloseTo(Math.sqrt((8 * rho) / 3 / (d - 1)), 12);
    expect(plan.entries[1]).toMatchObject({ count: d - 1 });
    // zCDP: the three steps add up to ρ.
    const zcdp = 1 / (2 * plan.oneWayNoiseMultiplier ** 2) + ((d - 1) * plan.selectionEpsilon ** 2) / 8 + 1 / (2 * plan.twoWayNoiseMultiplier ** 2);
    expect(zcdp).toBeCloseTo(rho, 12);
    // (ε, δ) by hand from the RDP curve at the ledger's orders, with the conversion of Balle et al. 2020.
    let handEpsilon = Infinity;
    for (const alpha of ledger.orders) {
      const rdp = alpha / plan.oneWayNoiseMultiplier ** 2 / 2 + alpha / plan.twoWayNoiseMultiplier ** 2 / 2 + (d - 1) * Math.min(rrRdp(plan.selectionEpsilon, alpha), (alpha * plan.selectionEpsilon ** 2) / 8);
      handEpsilon = Math.min(handEpsilon, rdp + Math.log(1 / delta) / (alpha - 1) - Math.log(alpha) / (alpha - 1) + Math.log((alpha - 1) / alpha));
    }
    expect(handEpsilon).toBeLessThanOrEqual(3);
    expect(handEpsilon).toBeGreaterThan(3 - 1e-6); // the calibration leaves nothing on the table
    for (const entry of plan.entries) ledger.charge(entry);
    expect(ledger.spent().epsilon).toBeCloseTo(handEpsilon, 10);
    // For this (ε, δ), ρ ≈ 0.2242 (independently: ε = ρ + 2√(ρ log(1/δ)) would give 0.1755 — the
    // tighter conversion buys about 28% more ρ).
    expect(rho).toBeGreaterThan(0.22);
    expect(rho).toBeLessThan(0.23);
  });

  it('a grid histogram costs per attribute what a one-way marginal does', () => {
    const ledger = new PrivacyLedger({ epsilon: 1, delta: 1e-6 });
    const plan = planMstBudget(ledger, 1, 11, 1); // metabric: 9 features, time (no bounds), event
    const rhoStep = 1 / (2 * plan.oneWayNoiseMultiplier ** 2);
    expect(1 / (2 * plan.gridNoiseMultiplier ** 2)).toBeCloseTo(rhoStep / 11, 12);
    expect(plan.entries.map((e) => e.name)).toEqual(['mst_grid_histograms', 'mst_one_way_marginals', 'mst_tree_selection', 'mst_two_way_marginals']);
  });

  it('spends only what the ledger has left after earlier charges', () => {
    const ledger = new PrivacyLedger({ epsilon: 3, delta: 1e-5 });
    ledger.charge({ kind: 'gaussian', name: 'earlier', noiseMultiplier: 2 });
    const plan = planMstBudget(ledger, 3, 5, 0);
    for (const entry of plan.entries) ledger.charge(entry);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(3);
    expect(ledger.spent().epsilon).toBeGreaterThan(3 - 1e-6);
  });
});

describe('MST on bundled data', () => {
  it('pima: rows in the card’s schema and bounds, receipt from the ledger, seeded = not private', async () => {
    const { train, card } = await dataset('pima');
    const { synthetic, receipt, model } = await synthesise({ train, rows: 300, epsilon: 3, seed: 1 });
    expect(synthetic.nRows).toBe(300);
    card.features.forEach((f, j) => {
      const column = synthetic.features[j];
      for (let i = 0; i < 300; i++) {
        if (column.missing[i]) continue;
        const v = column.values[i];
        expect(v).toBeGreaterThanOrEqual(f.bounds![0]);
        expect(v).toBeLessThanOrEqual(f.bounds![1]);
        if (f.type === 'integer') expect(Number.isInteger(v)).toBe(true);
      }
    });
    const positives = synthetic.label!.reduce((a, b) => a + b, 0);
    expect(positives).toBeGreaterThan(50); // about a third of pima is positive
    expect(positives).toBeLessThan(170);
    expect(receipt.entries.map((e) => e.name)).toEqual(['mst_one_way_marginals', 'mst_tree_selection', 'mst_two_way_marginals']);
    expect(receipt.epsilon).toBeLessThanOrEqual(3);
    expect(receipt.private_release).toBe(false);
    expect(receipt.reasons_not_private.join(' ')).toMatch(/seeded/);
    expect(model.edges).toHaveLength(8);
    expect(Math.abs(model.recordCount - train.nRows)).toBeLessThan(60);
  });

  it('metabric: the follow-up time gets DP bins, released times are positive, events 0/1; unseeded runs are private', async () => {
    const { train } = await dataset('metabric');
    const { synthetic, receipt } = await synthesise({ train, rows: 'full', epsilon: 2 });
    expect(receipt.private_release).toBe(true);
    expect(receipt.entries[0].name).toBe('mst_grid_histograms');
    expect(synthetic.nRows).toBeGreaterThan(train.nRows * 0.8);
    expect(synthetic.time!.every((t) => t > 0 && Number.isFinite(t))).toBe(true);
    expect(synthetic.event!.every((e) => e === 0 || e === 1)).toBe(true);
  });

  it('class-conditional samples carry the requested label', async () => {
    const { train } = await dataset('pima');
    const { model } = await synthesise({ train, rows: 10, epsilon: 8, seed: 2 });
    const [negatives, positives] = model.sampleByClass([7, 5], new SeededRng(3));
    expect(Array.from(negatives.label!)).toEqual(new Array(7).fill(0));
    expect(Array.from(positives.label!)).toEqual(new Array(5).fill(1));
  });

  it('reads real records only inside mechanisms the ledger charged', async () => {
    const { train } = await dataset('rotterdam');
    const scope = new DataAccessScope();
    const { audited, reads } = auditedTable(train, scope);
    const { receipt } = await synthesise({ train: audited, rows: 50, epsilon: 3, seed: 4, iterations: 200 }, { scope });
    const charged = new Set(receipt.entries.map((e) => e.name));
    expect(reads.size).toBeGreaterThan(0);
    for (const [where, count] of reads) {
      expect(where, `${count} reads`).not.toMatch(/^OUTSIDE/);
      expect(charged.has(where), `reads inside "${where}" must be charged`).toBe(true);
    }
  });

  it('rejects bad options before spending anything', async () => {
    const { train } = await dataset('pima');
    await expect(synthesise({ train, rows: 0, epsilon: 3 })).rejects.toThrow(/rows/);
    await expect(synthesise({ train, rows: 5, epsilon: -1 })).rejects.toThrow(/epsilon/);
    await expect(synthesise({ train, rows: 5, epsilon: 1, delta: 2 })).rejects.toThrow(/delta/);
    await expect(synthesise({ train, rows: 5, epsilon: 1, bins: 1 })).rejects.toThrow(/bins/);
    const ledger = new PrivacyLedger({ epsilon: 2, delta: 1e-5 });
    const { noiseMultiplier } = calibrateNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, samplingRate: 1, steps: 1 });
    ledger.charge({ kind: 'gaussian', name: 'all of it', noiseMultiplier });
    expect(() => fitMst({ train, ledger, targetEpsilon: 0.5, noiseRng: new SeededRng(1) })).toThrow(/already spent/);
  });
});
