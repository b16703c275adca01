import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { occupiedBinThreshold, privateFeatureBounds, SPURIOUS_BINS_PER_QUERY, tailWindowThreshold, TAIL_WINDOWS, type BoundsTails } from '../../src/condense/privateStatistics.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { condense } from '../../src/condense/condense.js';
import { formatTableCsv } from '../../src/data/format.js';
import type { Table } from '../../src/data/table.js';
import { erfc } from '../../src/privacy/analysis/special.js';
import { dataset } from './helpers.js';

/** DP bounds of `names` at noise multiplier `sigma`, read with `tails`, from noise seed `seed`; and the query's ledger. */
function bounds(train: Table, names: readonly string[], sigma: number, seed: number, tails: BoundsTails) {
  const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
  const ctx = { isPrivate: true, ledger, noiseRng: new SeededRng(seed), scope: new DataAccessScope() };
  return { bounds: privateFeatureBounds(train, names, ctx, sigma, undefined, tails), ledger };
}

/** Each named feature's present training values, once (the bounds' coverage is read from them). */
function presentValues(train: Table, names: readonly string[]): Map<string, Float64Array> {
  return new Map(
    names.map((name) => {
      const column = train.features.find((c) => c.spec.name === name)!;
      // (A row-major table's column copies its values out on each read of `values`: read it once.)
      const all = column.values;
      const values: number[] = [];
      for (let i = 0; i < train.nRows; i++) if (!column.missing[i]) values.push(all[i]);
      return [name, Float64Array.from(values)];
    }),
  );
}

function shareOutside(values: Float64Array, [low, high]: [number, number]): number {
  let outside = 0;
  for (const v of values) if (v < low || v > high) outside++;
  return outside / values.length;
}

/** A copy of `train` whose only feature is `values` (a numeric column, nothing missing). */
function oneFeatureTable(train: Table, values: Float64Array): Table {
  const spec = { name: 'x', type: 'numeric' as const };
  return { ...train, card: { ...train.card, features: [spec] }, features: [{ spec, values, missing: new Uint8Array(values.length) }] };
}

describe('DP bounds read with their tails (boundsTails: extend)', () => {
  it('tests each side with a Bonferroni threshold over the windows tested where a tail ends', () => {
    const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
    // physionet2012: 111 features without public bounds; 2 sides × 4 windows each.
    const z = tailWindowThreshold(111);
    expect(111 * 2 * TAIL_WINDOWS.length * tail(z)).toBeCloseTo(SPURIOUS_BINS_PER_QUERY, 4);
    expect(z).toBeLessThan(occupiedBinThreshold(111 * 112));
    // Few features: the floor of 3 sds.
    expect(tailWindowThreshold(2)).toBe(3);
  });

  it("reaches into the long tails of physionet2012's lab values that the per-bin threshold cuts, only ever widening, at no extra charge", async () => {
    const { train } = await dataset('physionet2012');
    const names = train.features.filter((c) => c.spec.type === 'numeric').map((c) => c.spec.name);
    const present = presentValues(train, names);
    // The noise multiplier of physionet2012's bounds query at ε = 3.
    const cut = bounds(train, names, 3.34, 1, 'cut');
    const extended = bounds(train, names, 3.34, 1, 'extend');
    expect(extended.ledger.entries()).toEqual(cut.ledger.entries());
    let cutShare = 0;
    let extendedShare = 0;
    let widened = 0;
    for (const name of names) {
      const [c, e] = [cut.bounds[name], extended.bounds[name]];
      expect(e[0]).toBeLessThanOrEqual(c[0]);
      expect(e[1]).toBeGreaterThanOrEqual(c[1]);
      if (e[0] < c[0] || e[1] > c[1]) widened++;
      cutShare += shareOutside(present.get(name)!, c) / names.length;
      extendedShare += shareOutside(present.get(name)!, e) / names.length;
    }
    expect(widened).toBeGreaterThan(10);
    // On average over the features, fewer patients' values fall outside their bounds (7.0 % → 5.5 %).
    expect(cutShare - extendedShare).toBeGreaterThan(0.01);
    // ALT on admission: a third of the patients above the cut bounds, a fifth above the extended ones.
    const alt = present.get('ALT_first')!;
    expect(shareOutside(alt, cut.bounds.ALT_first)).toBeGreaterThan(0.3);
    expect(shareOutside(alt, extended.bounds.ALT_first)).toBeLessThan(0.25);
  });

  it('does not reach into bins that hold no records, beyond the rate its threshold allows', async () => {
    const { train } = await dataset('pima');
    // Every value inside one bin of the symmetric-log grid ([100, 130]) and nothing beyond it.
    const values = Float64Array.from({ length: train.nRows }, (_, i) => 100 + (30 * i) / train.nRows);
    const table = oneFeatureTable(train, values);
    let extendedRuns = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const cut = bounds(table, ['x'], 1, seed, 'cut').bounds.x;
      const extended = bounds(table, ['x'], 1, seed, 'extend').bounds.x;
      if (extended[0] !== cut[0] || extended[1] !== cut[1]) extendedRuns++;
    }
    // At most 0.05 spurious extensions expected per query (about 10 of 200 runs; Bonferroni, so fewer).
    expect(extendedRuns).toBeLessThanOrEqual(10);
  });

  it('a run lists the option in its receipt only where DP bounds were read; a table with public bounds is unchanged', async () => {
    const { train } = await dataset('physionet2012');
    const run = { train, rows: 10, epsilon: 3, steps: 2, directions: 2, batchSize: 64, seed: 7 };
    const cut = await condense({ ...run, boundsTails: 'cut' });
    const extended = await condense({ ...run, boundsTails: 'extend' });
    expect(extended.receipt.parameters.boundsTails).toBe('extend');
    expect('boundsTails' in cut.receipt.parameters).toBe(false);
    expect(extended.receipt.entries).toEqual(cut.receipt.entries);
    const wider = extended.released.features.filter((f, j) => {
      const c = cut.released.features[j].bounds!;
      return f.bounds![0] < c[0] || f.bounds![1] > c[1];
    });
    expect(wider.length).toBeGreaterThan(0);
    // pima's card bounds every feature: no DP bounds, so nothing changes.
    const pima = (await dataset('pima')).train;
    const pimaRun = { train: pima, rows: 10, epsilon: 3, steps: 2, directions: 2, batchSize: 64, seed: 7 };
    const [pimaCut, pimaExtended] = [await condense({ ...pimaRun, boundsTails: 'cut' }), await condense({ ...pimaRun, boundsTails: 'extend' })];
    expect(formatTableCsv(pimaExtended.synthetic)).toBe(formatTableCsv(pimaCut.synthetic));
    expect(pimaExtended.receipt.parameters).toEqual(pimaCut.receipt.parameters);
  });
});
