import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { privateDataRanges } from '../../src/condense/privateStatistics.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { dataset } from './helpers.js';

describe('privateDataRanges', () => {
  it('narrows wide public bounds to where the data lie, inside the bounds, and charges one query', async () => {
    const { train } = await dataset('wdbc');
    const column = train.features.find((c) => c.spec.name === 'mean_smoothness')!;
    const values = Array.from(column.values);
    const [min, max] = [Math.min(...values), Math.max(...values)];
    const bounds: Record<string, [number, number]> = { mean_smoothness: [0, 1] };

    const exactLedger = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
    const exact = privateDataRanges(train, bounds, { isPrivate: false, ledger: exactLedger, noiseRng: new SeededRng(1), scope: new DataAccessScope() }, 0).mean_smoothness;
    // Without noise every occupied bin survives: the range covers all the data and is far narrower than [0, 1].
    expect(exact[0]).toBeLessThanOrEqual(min);
    expect(exact[1]).toBeGreaterThanOrEqual(max);
    expect(exact[1] - exact[0]).toBeLessThan(0.5);

    const ledger = new PrivacyLedger({ epsilon: 10, delta: 1e-5 });
    const noisy = privateDataRanges(train, bounds, { isPrivate: true, ledger, noiseRng: new SeededRng(2), scope: new DataAccessScope() }, 1).mean_smoothness;
    expect(noisy[0]).toBeGreaterThanOrEqual(0);
    expect(noisy[1]).toBeLessThanOrEqual(1);
    expect(noisy[1] - noisy[0]).toBeLessThan(1);
    expect(ledger.spent().epsilon).toBeGreaterThan(0);
  });
});
