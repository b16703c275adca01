/**
 * `initialDraws: stratified`: the DP-moment start drawn by Latin hypercube sampling. Each stratum's
 * values of a feature cover the equal-probability slices of its moment distribution once each;
 * post-processing of the same DP statistics, so the ledger is untouched.
 */
import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import type { StratumMoments } from '../../src/condense/privateStatistics.js';
import { initialiseFromMoments } from '../../src/condense/syntheticSet.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { formatTableCsv } from '../../src/data/format.js';
import { normalCdf } from '../../src/privacy/analysis/special.js';
import { dataset } from './helpers.js';

describe('stratified (Latin hypercube) draws of the DP-moment start', () => {
  it('puts one value of each numeric feature in each equal-probability slice, and matches binary and level shares', async () => {
    // support has numeric, integer, binary and categorical features.
    const { card } = await dataset('support');
    const encoder = new Encoder(card);
    const counts = [7, 12];
    const binaryShare = [0.3, 0.75];
    const moments: StratumMoments[] = counts.map((count, s) => ({
      count,
      features: card.features.map((f) => {
        if (f.type === 'binary') return { mean: binaryShare[s], sd: 0.5 };
        if (f.type === 'categorical') {
          const p = Float64Array.from(f.categories!, (_, l) => l + 1 + s);
          const total = p.reduce((a, b) => a + b, 0);
          return { mean: 0, sd: 0, levelProbabilities: p.map((v) => v / total) };
        }
        // Narrow spreads around the middle of the bounds: the box never clamps a draw.
        const [low, high] = f.bounds!;
        return { mean: (low + high) / 2 + s * (high - low) * 0.01, sd: (high - low) / 200 };
      }),
    }));
    const z = initialiseFromMoments(encoder, moments, Int32Array.from(counts), new SeededRng(3), 1, false, 'stratified');
    const d = encoder.dim;
    let first = 0;
    counts.forEach((count, s) => {
      const orders: number[][] = [];
      encoder.slices.forEach((slice, f) => {
        const mom = moments[s].features[f];
        const values = Array.from({ length: count }, (_, r) => z.data[(first + r) * d + slice.start]);
        if (slice.type === 'binary') {
          const ones = values.filter((v) => v === 1).length;
          expect(values.every((v) => v === 0 || v === 1)).toBe(true);
          expect([Math.floor(count * mom.mean), Math.ceil(count * mom.mean)]).toContain(ones);
        } else if (slice.type === 'categorical') {
          for (let l = 0; l < slice.length; l++) {
            const rows = Array.from({ length: count }, (_, r) => z.data[(first + r) * d + slice.start + l]);
            // A level's count is its expected count give or take the two slices straddling its edges.
            expect(Math.abs(rows.filter((v) => v === 1).length - count * mom.levelProbabilities![l])).toBeLessThan(2);
          }
        } else {
          // Back to the feature's own scale; Φ of its standard score falls in slice k for the k-th smallest.
          const u = values.map((v) => normalCdf((v * encoder.scales[f] + encoder.centers[f] - mom.mean) / mom.sd));
          const sorted = [...u].sort((a, b) => a - b);
          sorted.forEach((p, k) => expect(Math.floor(p * count)).toBe(k));
          orders.push(u.map((p) => Math.floor(p * count)));
        }
      });
      // Each numeric feature has its own random order: the rows do not line up the features.
      expect(new Set(orders.map((o) => o.join(','))).size).toBeGreaterThan(1);
      first += count;
    });
  });

  it('independent draws are the default, and different from stratified draws of the same moments', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const moments: StratumMoments[] = [{ count: 50, features: card.features.map((f) => ({ mean: (f.bounds![0] + f.bounds![1]) / 2, sd: (f.bounds![1] - f.bounds![0]) / 20 })) }];
    const draw = (draws?: 'independent' | 'stratified') => Array.from(initialiseFromMoments(encoder, moments, Int32Array.of(10), new SeededRng(8), 1, false, draws).data);
    expect(draw('independent')).toEqual(draw());
    expect(draw('stratified')).not.toEqual(draw());
  });

  it('charges nothing more: the same ledger entries and ε and the receipt names the draws', async () => {
    const { train } = await dataset('pima');
    const run = { rows: 20, epsilon: 3, steps: 4, directions: 2, batchSize: 64, seed: 6 } as const;
    const independent = await condense({ train, ...run });
    const stratified = await condense({ train, ...run, initialDraws: 'stratified' });
    expect(independent.receipt.parameters.initialDraws).toBeUndefined();
    expect(stratified.receipt.parameters.initialDraws).toBe('stratified');
    expect(stratified.receipt.entries).toEqual(independent.receipt.entries);
    expect(stratified.receipt.epsilon).toBe(independent.receipt.epsilon);
    expect(formatTableCsv(stratified.synthetic)).not.toBe(formatTableCsv(independent.synthetic));
    // The MST start draws from its own model: the option does not apply, and the receipt does not name it.
    const mst = await condense({ train, ...run, initialisation: 'mst', initialDraws: 'stratified' });
    expect(mst.receipt.parameters.initialDraws).toBeUndefined();
  });
});
