import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { dataset } from './helpers.js';

const FAST = { steps: 3, directions: 2 } as const;

describe('condense --init mst', () => {
  it('charges MST to the run’s ledger between the statistics and the steps, within the budget split', async () => {
    const { train } = await dataset('pima');
    const { receipt, synthetic, settings } = await condense({ train, rows: 20, epsilon: 3, seed: 1, initialisation: 'mst', mstShare: 0.4, ...FAST });
    const names = receipt.entries.map((e) => e.name);
    expect(names).toEqual(['stratum_moments', 'mst_one_way_marginals', 'mst_tree_selection', 'mst_two_way_marginals', 'zero_order_steps']);
    const after = (name: string) => receipt.entries.find((e) => e.name === name)!.epsilon_after as number;
    expect(after('stratum_moments')).toBeCloseTo(0.3 * 3, 4);
    expect(after('mst_two_way_marginals')).toBeLessThanOrEqual((0.3 + 0.4) * 3);
    expect(after('mst_two_way_marginals')).toBeGreaterThan((0.3 + 0.4) * 3 - 1e-5);
    expect(receipt.epsilon).toBeLessThanOrEqual(3);
    expect(settings.mstShare).toBe(0.4);
    expect(receipt.parameters.initialisation).toBe('mst');
    // Class-balanced start: 10 rows per class, labels fixed by the allocation.
    expect(synthetic.nRows).toBe(20);
    expect(synthetic.label!.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('survival: the start is stratified by event status and the DP median event time', async () => {
    const { train } = await dataset('rotterdam');
    const { receipt, synthetic } = await condense({ train, rows: 12, epsilon: 2, seed: 2, initialisation: 'mst', ...FAST });
    expect(receipt.entries.map((e) => e.name)).toContain('mst_tree_selection');
    expect(receipt.epsilon).toBeLessThanOrEqual(2);
    expect(synthetic.nRows).toBe(12);
  });

  it('rejects a split that leaves nothing for the steps', async () => {
    const { train } = await dataset('pima');
    await expect(condense({ train, rows: 20, epsilon: 3, initialisation: 'mst', mstShare: 1.2 })).rejects.toThrow(/mstShare/);
    await expect(condense({ train, rows: 20, epsilon: 3, initialisation: 'mst', preprocessingShare: 0.5, mstShare: 0.5 })).rejects.toThrow(/mstShare/);
  });
});
