/**
 * Cross-class twins (`twins`): the pairs placed on the start (closest cross-class rows, moved to
 * their midpoint), the steps' directions tied within each pair, and the release: equal feature
 * values with opposite labels, listed in the receipt, at the same privacy cost.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng, fillNormal } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { formatTableCsv } from '../../src/data/format.js';
import { condense } from '../../src/condense/condense.js';
import { OptionError, defaultTwins } from '../../src/condense/settings.js';
import { SyntheticParameters, initialiseUniform } from '../../src/condense/syntheticSet.js';
import { placeTwins, tieTwinDirections } from '../../src/condense/twins.js';
import { dataset } from './helpers.js';

function squaredDistance(values: Float64Array, d: number, a: number, b: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += (values[a * d + j] - values[b * d + j]) ** 2;
  return s;
}

/** The released rows' feature values (every column but the last, the label) and labels, as CSV text. */
function releasedRows(csv: string): { features: string; label: string }[] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const cut = line.lastIndexOf(',');
      return { features: line.slice(0, cut), label: line.slice(cut + 1) };
    });
}

describe('placeTwins', () => {
  it('ties the closest cross-class pairs, each row at most once, at their midpoints', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const d = encoder.dim;
    const y = Uint8Array.of(0, 0, 0, 0, 1, 1, 1);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 7, new SeededRng(5)), { task: 'classification', y });
    const start = synthetic.values.slice();
    // The closest cross-class pair of the start, found by brute force.
    let best = { distance: Infinity, a: -1, b: -1 };
    for (let a = 0; a < 4; a++) for (let b = 4; b < 7; b++) if (squaredDistance(start, d, a, b) < best.distance) best = { distance: squaredDistance(start, d, a, b), a, b };

    const pairs = placeTwins(synthetic, y, 2);
    expect(pairs.length).toBe(4);
    expect([pairs[0], pairs[1]]).toEqual([best.a, best.b]);
    expect(new Set(pairs).size).toBe(4);
    for (let t = 0; t < pairs.length; t += 2) {
      const [a, b] = [pairs[t], pairs[t + 1]];
      expect([y[a], y[b]]).toEqual([0, 1]);
      for (let j = 0; j < d; j++) {
        expect(synthetic.values[a * d + j]).toBe(synthetic.values[b * d + j]);
        expect(synthetic.values[a * d + j]).toBeCloseTo(0.5 * (start[a * d + j] + start[b * d + j]), 12);
      }
    }
    // The rows in no pair are untouched.
    for (let i = 0; i < 7; i++) if (!pairs.includes(i)) for (let j = 0; j < d; j++) expect(synthetic.values[i * d + j]).toBe(start[i * d + j]);
  });

  it('ties no more pairs than the smaller class has rows, and none when asked for none', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const y = Uint8Array.of(0, 0, 0, 0, 1, 1);
    const fresh = () => new SyntheticParameters(encoder, initialiseUniform(encoder, 6, new SeededRng(9)), { task: 'classification', y });
    expect(placeTwins(fresh(), y, 5).length).toBe(4);
    const untouched = fresh();
    const before = untouched.values.slice();
    expect(placeTwins(untouched, y, 0).length).toBe(0);
    expect(Array.from(untouched.values)).toEqual(Array.from(before));
  });
});

describe('tieTwinDirections', () => {
  it("gives each pair's second row its first row's entries in every direction and leaves the rest alone", () => {
    const [K, rows, d, perRow] = [3, 5, 4, 1];
    const p = rows * d + perRow * rows;
    const directions = new Float64Array(K * p);
    fillNormal(new SeededRng(2), directions, 0, K * p);
    const before = directions.slice();
    tieTwinDirections(directions, K, p, d, Int32Array.of(1, 3));
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < p; i++) {
        const row = Math.floor(i / d);
        const expected = i < rows * d && row === 3 ? before[k * p + 1 * d + (i % d)] : before[k * p + i];
        expect(directions[k * p + i]).toBe(expected);
      }
    }
  });
});

describe('condense with twins', () => {
  const RUN = { rows: 12, epsilon: 3, steps: 30, directions: 4, seed: 3 };

  it('releases k pairs of rows with equal features and opposite labels, lists k in the receipt, and spends the same ε', async () => {
    const { train } = await dataset('pima');
    const plain = await condense({ train, ...RUN, twins: 0 });
    const run = await condense({ train, ...RUN, twins: 2 });
    const rows = releasedRows(formatTableCsv(run.synthetic));
    expect(rows.length).toBe(12);
    const byFeatures = new Map<string, string[]>();
    for (const r of rows) byFeatures.set(r.features, [...(byFeatures.get(r.features) ?? []), r.label]);
    const shared = [...byFeatures.values()].filter((labels) => labels.length > 1);
    expect(shared.map((labels) => labels.slice().sort())).toEqual([
      ['0', '1'],
      ['0', '1'],
    ]);
    expect(run.receipt.parameters.twins).toBe(2);
    expect(run.settings.twins).toBe(2);
    expect(run.receipt.entries).toEqual(plain.receipt.entries);
    expect(run.receipt.epsilon).toBe(plain.receipt.epsilon);
    // The steps moved the twins (as pairs): the released table is not the plain run's.
    expect(formatTableCsv(run.synthetic)).not.toBe(formatTableCsv(plain.synthetic));
    // Off: every row its own, no receipt entry.
    expect(new Set(releasedRows(formatTableCsv(plain.synthetic)).map((r) => r.features)).size).toBe(12);
    expect('twins' in plain.receipt.parameters).toBe(false);
  });

  it('by default ties ⌊m/10⌋ pairs for classification (rules T and T2) and none for survival', async () => {
    expect([20, 19, 12, 9, 200].map((m) => defaultTwins('classification', m))).toEqual([2, 1, 1, 0, 20]);
    expect(defaultTwins('survival', 50)).toBe(0);
    const { train } = await dataset('pima');
    const run = await condense({ train, ...RUN });
    expect(run.receipt.parameters.twins).toBe(1);
    expect(new Set(releasedRows(formatTableCsv(run.synthetic)).map((r) => r.features)).size).toBe(11);
    const survival = await condense({ train: (await dataset('rotterdam')).train, rows: 12, epsilon: 3, steps: 5, directions: 4, seed: 3 });
    expect('twins' in survival.receipt.parameters).toBe(false);
  });

  it('is refused for survival, before anything is spent', async () => {
    const { train } = await dataset('rotterdam');
    await expect(condense({ train, rows: 12, epsilon: 3, twins: 1 })).rejects.toThrow(OptionError);
    await expect(condense({ train, rows: 12, epsilon: 3, twins: 1 })).rejects.toThrow(/classification only/);
  });
});
