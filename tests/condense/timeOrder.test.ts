/**
 * `--time-order risk`, the survival default (docs/RESULTS.md, "Session 24: what RSF needs from a survival table"): each
 * event group's synthetic times are handed to its rows by the released table's own Cox risk,
 * after the steps, as post-processing — same rows, same events, same times per group, same ledger.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { subsetTable, type Table } from '../../src/data/table.js';
import { condense } from '../../src/condense/condense.js';
import { fitAndScore } from '../../src/condense/evaluation.js';
import { orderEventTimesByRisk } from '../../src/condense/timeOrder.js';
import { dataset } from './helpers.js';

const sortedTimes = (t: Table, from: number, to: number) => Array.from(t.time!.subarray(from, to)).sort((a, b) => a - b);

describe('orderEventTimesByRisk', () => {
  it('gives each event group its own times, earliest to the highest Cox risk, and leaves the censored rows alone', async () => {
    const { train } = await dataset('rotterdam');
    // 8 early events, 8 late events, 8 censored, laid out group by group as a synthetic set is.
    const events = Array.from({ length: train.nRows }, (_, i) => i).filter((i) => train.event![i]);
    const censored = Array.from({ length: train.nRows }, (_, i) => i).filter((i) => !train.event![i]);
    const table = subsetTable(train, [...events.slice(0, 16), ...censored.slice(0, 8)]);
    const allocation = Int32Array.of(8, 8, 8);
    const risk = fitAndScore(table, table, 'cox', new SeededRng(0)).scores;
    const ordered = orderEventTimesByRisk(table, allocation);

    expect(Array.from(ordered.time!)).not.toEqual(Array.from(table.time!));
    for (const [from, to] of [[0, 8], [8, 16]]) {
      expect(sortedTimes(ordered, from, to)).toEqual(sortedTimes(table, from, to));
      for (let i = from; i < to; i++) for (let j = from; j < to; j++) if (risk[i] > risk[j]) expect(ordered.time![i]).toBeLessThanOrEqual(ordered.time![j]);
    }
    expect(Array.from(ordered.time!.subarray(16))).toEqual(Array.from(table.time!.subarray(16)));
    expect(ordered.event).toBe(table.event);
    expect(ordered.features).toBe(table.features);
  });
});

describe('condense: survival event times ordered by risk (the default)', () => {
  it('releases the quantile-order run\'s rows and events, each group\'s times reordered, at the same ε; the receipt says which', async () => {
    const { train } = await dataset('rotterdam');
    const run = { train, rows: 24, epsilon: 3, steps: 4, directions: 2, seed: 5 };
    const quantile = await condense({ ...run, timeOrder: 'quantile' });
    const risk = await condense(run);
    const [a, b] = [quantile.synthetic, risk.synthetic];
    a.features.forEach((c, f) => expect(Array.from(b.features[f].values)).toEqual(Array.from(c.values)));
    expect(Array.from(b.event!)).toEqual(Array.from(a.event!));
    // The multiset of all times is kept and the censored rows (the last group) keep theirs.
    expect(sortedTimes(b, 0, b.nRows)).toEqual(sortedTimes(a, 0, a.nRows));
    const censoredRows = Array.from(a.event!).map((e, i) => (e ? -1 : i)).filter((i) => i >= 0);
    for (const i of censoredRows) expect(b.time![i]).toBe(a.time![i]);
    expect(Array.from(b.time!)).not.toEqual(Array.from(a.time!));
    expect(risk.receipt.parameters.timeOrder).toBe('risk');
    expect(quantile.receipt.parameters.timeOrder).toBe('quantile');
    expect(risk.receipt.entries).toEqual(quantile.receipt.entries);
    expect(risk.receipt.epsilon).toBe(quantile.receipt.epsilon);
  });

  it('keeps optimised times where the steps put them: with optimiseTimes the order is not applied, and the receipt says so', async () => {
    const { train } = await dataset('rotterdam');
    const run = { train, rows: 24, epsilon: 3, steps: 4, directions: 2, seed: 5, optimiseTimes: true };
    const [risk, quantile] = [await condense(run), await condense({ ...run, timeOrder: 'quantile' })];
    expect(Array.from(risk.synthetic.time!)).toEqual(Array.from(quantile.synthetic.time!));
    expect(risk.receipt.parameters.timeOrder).toBe('optimised');
  });

  it('leaves classification alone: no timeOrder in its receipt', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, rows: 20, epsilon: 3, steps: 2, directions: 2, seed: 1 });
    expect(result.receipt.parameters).not.toHaveProperty('timeOrder');
  });
});
