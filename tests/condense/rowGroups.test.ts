import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { chooseRowGroups, expandGroupDirections, groupDirectionLength, partitionRows, rowGroupsOfCount } from '../../src/condense/rowGroups.js';
import { formatTableCsv } from '../../src/data/format.js';
import { dataset } from './helpers.js';

const sizes = (groupOfRow: Int32Array) => {
  const out: number[] = [];
  for (const g of groupOfRow) out[g] = (out[g] ?? 0) + 1;
  return out;
};

describe('tied row groups: the rule', () => {
  it('ties nothing when the untied noise figure passes, and the finest tying that passes when it does not (hand computation)', () => {
    const allocation = Int32Array.of(100, 100);
    // R = 0.49 ≤ 0.5: every row its own group, in row order.
    const untied = chooseRowGroups('auto', 0.49, 0.5, allocation);
    expect(untied.count).toBe(200);
    expect(Array.from(untied.groupOfRow.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    // R = 1.402 (wdbc, m = 200, ε = 3): s* = ⌈1.402 / 0.5⌉ = 3, so ⌊100/3⌋ = 33 groups per class,
    // 66 in all: 99 rows in 3s and one group of 4 per class; R(groups) = 1.402/3 = 0.467 ≤ 0.5.
    const tied = chooseRowGroups('auto', 1.402, 0.5, allocation);
    expect(tied.count).toBe(66);
    expect(tied.smallest).toBe(3);
    const s = sizes(tied.groupOfRow);
    expect(s.filter((x) => x === 4)).toHaveLength(2);
    expect(s.filter((x) => x === 3)).toHaveLength(64);
    // No group mixes the strata: the first 100 rows (class 0) are groups 0..32, the rest 33..65.
    expect(Math.max(...tied.groupOfRow.subarray(0, 100))).toBe(32);
    expect(Math.min(...tied.groupOfRow.subarray(100))).toBe(33);
    // Groups are contiguous, numbered in row order.
    for (let i = 1; i < 200; i++) expect(tied.groupOfRow[i] - tied.groupOfRow[i - 1]).toBeGreaterThanOrEqual(0);
    // One group less would not pass: with s* − 1 = 2 rows the figure is 0.701.
    expect(1.402 / (tied.smallest - 1)).toBeGreaterThan(0.5);
  });

  it('keeps one group per stratum at least (survival: three strata of unequal size), and an infinite limit ties nothing', () => {
    // R = 5.9, limit 0.5: s* = 12. Strata of 120, 50 and 30 rows: 10, 4 and 2 groups.
    const g = chooseRowGroups('auto', 5.9, 0.5, Int32Array.of(120, 50, 30));
    expect(g.count).toBe(16);
    expect(sizes(g.groupOfRow)).toEqual([...Array(10).fill(12), 13, 13, 12, 12, 15, 15]);
    expect(g.smallest).toBe(12);
    // A stratum smaller than s* is one group (its R is then above the limit: the gate decides).
    const coarse = chooseRowGroups('auto', 100, 0.5, Int32Array.of(20, 20, 10));
    expect(coarse.count).toBe(3);
    expect(coarse.smallest).toBe(10);
    expect(chooseRowGroups('auto', 5.9, Infinity, Int32Array.of(10, 10)).count).toBe(20);
    expect(chooseRowGroups('off', 5.9, 0.5, Int32Array.of(10, 10)).count).toBe(20);
  });

  it('an explicit G gives the next group to the stratum whose groups are largest', () => {
    const g = rowGroupsOfCount(Int32Array.of(12, 6), 5);
    // 1 + 1, then 12/1 > 6/1 → 2 + 1, 12/2 = 6/1 → first on ties → 3 + 1, then 12/3 = 4 < 6 → 3 + 2.
    expect(sizes(g.groupOfRow)).toEqual([4, 4, 4, 3, 3]);
    expect(chooseRowGroups(2, 0, 0.5, Int32Array.of(12, 6)).count).toBe(2);
    expect(chooseRowGroups(1, 0, 0.5, Int32Array.of(12, 6)).count).toBe(2);
    expect(chooseRowGroups(1000, 0, 0.5, Int32Array.of(12, 6)).count).toBe(18);
    expect(() => rowGroupsOfCount(Int32Array.of(12, 6), 1)).toThrow(/groups/);
    expect(partitionRows(Int32Array.of(4, 0, 3), Int32Array.of(2, 1, 1)).count).toBe(3);
  });

  it('broadcasts a group direction to every row of the group, log times included', () => {
    const groups = partitionRows(Int32Array.of(3, 2), Int32Array.of(1, 2)); // groups [0,0,0], [1], [2]
    const layout = { rows: 5, rowDim: 2, perRow: 1 };
    const K = 2;
    const pG = groupDirectionLength(groups, layout);
    expect(pG).toBe(3 * 3);
    const compact = Float64Array.from({ length: K * pG }, (_, i) => i + 1);
    const full = new Float64Array(K * 5 * 3);
    expandGroupDirections(groups, layout, K, compact, full);
    // Direction 0: rows' coordinates (1,2) (1,2) (1,2) (3,4) (5,6), then log times 7 7 7 8 9.
    expect(Array.from(full.subarray(0, 15))).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 9]);
    expect(Array.from(full.subarray(15))).toEqual([10, 11, 10, 11, 10, 11, 12, 13, 14, 15, 16, 16, 16, 17, 18]);
    // Two per-row blocks (log times, then log row weights): each block broadcast on its own.
    const two = { rows: 5, rowDim: 2, perRow: 2 };
    const compact2 = Float64Array.from({ length: groupDirectionLength(groups, two) }, (_, i) => i + 1);
    const full2 = new Float64Array(5 * 4);
    expandGroupDirections(groups, two, 1, compact2, full2);
    expect(Array.from(full2)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 9, 10, 10, 10, 11, 12]);
  });
});

describe('tied row groups in a run', () => {
  // μ fixed, so that the receipt's radius is the one R is computed at (the default rule would widen it).
  const RUN = { rows: 12, epsilon: 3, steps: 6, directions: 3, learners: ['logistic'], preprocessingShare: 0.3, smoothingRule: 'fixed' as const, seed: 11 };

  it("every row of a group moves by the group's vector, rows of other groups do not", async () => {
    const { train } = await dataset('pima');
    // Without twins: a tied run places none (`twins.ts`), and the start must be the tied run's.
    const start = (await condense({ train, ...RUN, steps: 0, twins: 0 })).synthetic;
    const tied = await condense({ train, ...RUN, rowGroups: 4 });
    expect(tied.receipt.parameters.rowGroupCount).toBe(4);
    const encoder = tied.encoder;
    const before = encoder.encode(start, { missing: 'impute' });
    const after = encoder.encode(tied.synthetic, { missing: 'impute' });
    const d = encoder.dim;
    // 6 rows per class, 2 groups per class: rows 0–2, 3–5, 6–8, 9–11.
    const move = (i: number) => Array.from({ length: d }, (_, j) => after.data[i * d + j] - before.data[i * d + j]);
    const inside = (i: number, j: number) => [before, after].every((x) => x.data[i * d + j] > encoder.lower[j] + 1e-9 && x.data[i * d + j] < encoder.upper[j] - 1e-9);
    let compared = 0;
    for (const group of [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]) {
      for (const i of group.slice(1)) {
        for (let j = 0; j < d; j++) {
          // Integer features are rounded on decoding; compare the numeric ones the decoding keeps exact.
          if (!inside(group[0], j) || !inside(i, j) || encoder.slices[j]?.type !== 'numeric') continue;
          expect(move(i)[j]).toBeCloseTo(move(group[0])[j], 6);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(8);
    // The groups did move, and differently.
    const norm = (v: number[]) => Math.hypot(...v);
    expect(norm(move(0))).toBeGreaterThan(1e-3);
    expect(norm(move(0).map((x, j) => x - move(3)[j]))).toBeGreaterThan(1e-3);
  });

  it('the default ties nothing when the untied figure passes (the run is the untied one) and the receipt says how many groups ran', async () => {
    const { train } = await dataset('pima');
    const auto = await condense({ train, ...RUN });
    const off = await condense({ train, ...RUN, rowGroups: 'off' });
    const p = auto.receipt.parameters as Record<string, number | string>;
    expect(p.noiseFigure as number).toBeLessThanOrEqual(0.5);
    expect(p.rowGroups).toBe('auto');
    expect(p.rowGroupCount).toBe(RUN.rows);
    expect(formatTableCsv(auto.synthetic)).toBe(formatTableCsv(off.synthetic));
    expect(auto.trace).toEqual(off.trace);
  });

  it('above the limit: by default the gate judges the untied steps and the steps it leaves are tied by the rule (G from the receipt alone)', async () => {
    const { train } = await dataset('pima');
    // The worst-case clip norm (c = 1) keeps R above the gate's limit here.
    const run = { ...RUN, rows: 40, epsilon: 0.6, steps: 4, batchSize: 64, clipScale: 1 };
    // Untied R = c·σ·m / (b·2μ·√T) with C = c·√K·(max loss) (noiseFigureGate.test.ts derives it), from the receipt's σ.
    const untiedOf = (p: Record<string, number | string>) => ((p.clipScale as number) * (p.noiseMultiplier as number) * run.rows) / ((p.batchSize as number) * 2 * (p.smoothing as number) * Math.sqrt(run.steps));
    // G by the rule: s* = ⌈R/0.5⌉ rows per group, ⌊20/s*⌋ groups per class (20 rows each).
    const groupsOf = (untied: number) => 2 * Math.max(1, Math.floor(20 / Math.ceil(untied / 0.5)));

    const byRows = await condense({ train, ...run });
    const p = byRows.receipt.parameters as Record<string, number | string>;
    expect(p.gateOn).toBe('rows');
    expect(p.noiseFigure as number).toBeGreaterThan(0.5);
    expect(p.budgetPath).toBe('repeated-moments-and-steps');
    // The receipt's σ is the steps' σ after the second moments measurement: the rule reads that plan.
    expect(untiedOf(p)).toBeGreaterThan(p.noiseFigure as number);
    expect(p.rowGroupCount).toBe(groupsOf(untiedOf(p)));
    expect(p.rowGroupCount).toBeLessThan(run.rows);

    // Judged on the tied steps, the gate lets them have the whole budget, and reports their figure R/s_min.
    const byGroups = await condense({ train, ...run, gateOn: 'groups' });
    const q = byGroups.receipt.parameters as Record<string, number | string>;
    expect(q.budgetPath).toBe('steps');
    const untied = untiedOf(q);
    expect(untied).toBeGreaterThan(0.5);
    expect(q.rowGroupCount).toBe(groupsOf(untied));
    expect(q.noiseFigure as number).toBeCloseTo(untied / Math.floor(20 / (q.rowGroupCount as number / 2)), 3);
    expect(q.noiseFigure as number).toBeLessThanOrEqual(0.5);
  });
});
