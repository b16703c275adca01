import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import type { DatasetCard, FeatureSpec } from '../../src/data/card.js';
import { recordColumns, rowMajorRecords, type Table } from '../../src/data/table.js';
import { condense } from '../../src/condense/condense.js';
import { PACKED_CORE_SHARE, privateDataRanges, privateFeatureBounds, privatePreprocessing, privateTimeHistogram, StratumMomentsQuery, type NoisyQueryContext } from '../../src/condense/privateStatistics.js';
import { formatTableCsv } from '../../src/data/format.js';
import { LOGT_BINS, slogEdge, timeEdge } from '../../src/condense/statisticsPass.js';
import { resolveSettings } from '../../src/condense/settings.js';
import { newTask, SurvivalTask } from '../../src/condense/task.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { dataset } from './helpers.js';

const exactContext = (): NoisyQueryContext => ({ isPrivate: false, ledger: new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 }), noiseRng: new SeededRng(1), scope: new DataAccessScope() });

/** The same table with its features stored row-major (as an ingested table is), read in blocks of 2048. */
function rowMajor(table: Table): Table {
  const width = table.features.length;
  const values = new Float64Array(width * table.nRows);
  table.features.forEach((c, f) => c.values.forEach((v, i) => (values[i * width + f] = v)));
  return { ...table, features: recordColumns(table.features.map((c) => c.spec), { values, width }, table.features.map((c) => c.missing)) };
}

type Plan = { featuresNeedingBounds: string[]; rangeFeatures: string[] };

/**
 * The statistics the way they were taken before the one pass: each query its own pass over the
 * records (DP bounds, data ranges inside the bounds known by then, the time histogram), then the
 * stratum moments read record by record with the final bounds and strata.
 */
function multiPass(table: Table, plan: Plan) {
  const ctx = exactContext();
  const features = table.card.features;
  const wide: Record<string, [number, number]> = privateFeatureBounds(table, plan.featuresNeedingBounds, ctx, 0);
  const boundsOf = (f: FeatureSpec, given: Record<string, [number, number]>) => (given[f.name] ?? f.bounds ?? [0, 1]) as [number, number];
  const toNarrow = Object.fromEntries(features.filter((f) => plan.rangeFeatures.includes(f.name)).map((f) => [f.name, boundsOf(f, wide)]));
  const bounds = { ...wide, ...privateDataRanges(table, toNarrow, ctx, 0) };
  const featureBounds = features.map((f) => boundsOf(f, bounds));
  const task = newTask(table.card.task, table.card.task === 'survival' ? privateTimeHistogram(table, ctx, 0) : undefined);
  const query = new StratumMomentsQuery(table, featureBounds, (t) => task.stratify(t), task.nStrata, 'multi-pass');
  return { bounds, featureBounds, task, sums: query.measure(ctx, 0).sums };
}

function onePass(table: Table, plan: Plan) {
  const ctx = exactContext();
  const run = privatePreprocessing(table, plan, { task: table.card.task, bounds: {} }, ctx, 0, (hist) => newTask(table.card.task, hist));
  return { ...run, sums: run.momentsQuery.measure(ctx, 0).sums };
}

function expectSameStatistics(table: Table, plan: Plan) {
  const reference = multiPass(table, plan);
  const streamed = onePass(table, plan);
  expect(streamed.bounds).toEqual(reference.bounds);
  expect(streamed.featureBounds).toEqual(reference.featureBounds);
  if (reference.task instanceof SurvivalTask) {
    const hist = (streamed.task as SurvivalTask).timeHistogram;
    expect(Array.from(hist.events)).toEqual(Array.from(reference.task.timeHistogram.events));
    expect(Array.from(hist.censored)).toEqual(Array.from(reference.task.timeHistogram.censored));
  }
  expect(streamed.sums.length).toBe(reference.sums.length);
  let worst = 0;
  reference.sums.forEach((v, k) => (worst = Math.max(worst, Math.abs(streamed.sums[k] - v) / Math.max(1, Math.abs(v)))));
  expect(worst, 'largest relative difference of a moment sum').toBeLessThan(1e-9);
  return reference;
}

const numericNames = (card: DatasetCard) => card.features.filter((f) => f.type === 'numeric' || f.type === 'integer').map((f) => f.name);

describe('the one statistics pass gives the statistics of one pass per query (exact, non-private)', () => {
  it.each(['pima', 'wdbc', 'physionet2012', 'gbsg', 'metabric', 'rotterdam', 'support'])('%s: public or DP bounds, with and without data ranges', async (name) => {
    const { train } = await dataset(name);
    const numeric = numericNames(train.card);
    const publicBounds = numeric.filter((n) => train.card.features.find((f) => f.name === n)!.bounds);
    // The card's own plan; every numeric feature given DP bounds; data ranges inside public bounds; data ranges inside DP bounds.
    expectSameStatistics(train, { featuresNeedingBounds: numeric.filter((n) => !publicBounds.includes(n)), rangeFeatures: [] });
    expectSameStatistics(train, { featuresNeedingBounds: numeric, rangeFeatures: [] });
    expectSameStatistics(train, { featuresNeedingBounds: numeric.filter((n) => !publicBounds.includes(n)), rangeFeatures: numeric });
    expectSameStatistics(train, { featuresNeedingBounds: numeric.slice(0, 3), rangeFeatures: numeric });
  });

  it('on a hand-made table with values outside every grid, missing values and ties on the grids’ edges, in columns and row-major', () => {
    const n = 5000;
    const rng = new SeededRng(11);
    const specs: FeatureSpec[] = [
      { name: 'wide', type: 'numeric' }, // DP bounds: symmetric-log grid
      { name: 'count', type: 'integer' }, // DP bounds, rounded outwards
      { name: 'ratio', type: 'numeric', bounds: [0, 1] }, // public bounds, narrowed by a data range
      { name: 'flag', type: 'binary' },
      { name: 'kind', type: 'categorical', categories: ['a', 'b', 'c'] },
    ];
    const card = { name: 'hand', task: 'classification', target: { name: 'y', positive: 1 }, features: specs } as unknown as DatasetCard;
    const edges = [slogEdge(60), slogEdge(61), slogEdge(64), 0, 1, -slogEdge(80)];
    const columns = specs.map(() => ({ values: new Float64Array(n), missing: new Uint8Array(n) }));
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      // Mostly a bulk in [2, 40], some exactly on grid edges, some far outside the grid (±10⁹), some missing.
      columns[0].values[i] = i % 97 === 0 ? (i % 2 ? 1e9 : -1e9) : i % 7 === 0 ? edges[i % edges.length] : 2 + 38 * u * u;
      columns[1].values[i] = i % 89 === 0 ? 5e8 : Math.floor(100 * u) + (i % 13 === 0 ? 1000 : 0);
      columns[2].values[i] = i % 11 === 0 ? 3 : i % 5 === 0 ? Math.round(32 * u) / 32 : 0.2 + 0.3 * u; // outside, on range edges, inside
      columns[3].values[i] = u < 0.3 ? 1 : 0;
      columns[4].values[i] = Math.floor(3 * rng.uniform());
      columns.forEach((c, f) => {
        if ((i + f) % 17 === 0) {
          c.missing[i] = 1;
          c.values[i] = NaN;
        }
      });
    }
    const label = Uint8Array.from({ length: n }, (_, i) => (columns[0].values[i] > 20 || i % 3 === 0 ? 1 : 0));
    const table: Table = { card, nRows: n, features: specs.map((spec, f) => ({ spec, ...columns[f] })), label };
    for (const layout of [table, rowMajor(table)]) {
      expectSameStatistics(layout, { featuresNeedingBounds: ['wide', 'count'], rangeFeatures: [] });
      const narrowed = expectSameStatistics(layout, { featuresNeedingBounds: ['wide', 'count'], rangeFeatures: ['wide', 'count', 'ratio'] });
      // The clipping mattered: every numeric feature has present values outside its final bounds.
      narrowed.featureBounds.slice(0, 3).forEach(([low, high], f) => {
        const present = columns[f].values.filter((v) => !Number.isNaN(v));
        expect(present.some((v) => v < low || v > high), specs[f].name).toBe(true);
      });
    }
  });
});

/** A table whose every real array counts how many elements are read (numeric indices only). */
function countingTable(table: Table): { table: Table; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const count = <T extends object>(array: T, label: string): T =>
    new Proxy(array, {
      get(target, prop) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) reads.set(label, (reads.get(label) ?? 0) + 1);
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const records = rowMajorRecords(table)!;
  return {
    reads,
    table: {
      ...table,
      features: recordColumns(table.features.map((c) => c.spec), { values: count(records.values, 'features'), width: records.width }, table.features.map((c) => c.missing)),
      label: table.label && count(table.label, 'label'),
      time: table.time && count(table.time, 'time'),
      event: table.event && count(table.event, 'event'),
    },
  };
}

describe('a default private run reads the records once', () => {
  it.each([
    ['physionet2012', 'DP bounds, then moments clipped to them'],
    ['rotterdam', 'time histogram, then moments per risk group'],
  ])('%s (%s): every value at most once before the steps', async (name) => {
    const { train } = await dataset(name);
    const { table, reads } = countingTable(rowMajor(train));
    await condense({ train: table, rows: 12, epsilon: 2, steps: 0 });
    const n = train.nRows;
    // One pass: each feature value once; the outcome once per record (and nothing read twice).
    expect(reads.get('features')).toBe(n * train.features.length);
    if (train.label) expect(reads.get('label')).toBe(n);
    else {
      expect(reads.get('time')).toBe(n);
      expect(reads.get('event')).toBe(n);
    }
  });
});

describe('the one pass leaves the privacy accounting as it was', () => {
  // Pinned from the multi-pass code (commit daf8772): seeded runs, ε = 2, 3 steps, 2 directions.
  it.each([
    ['physionet2012', {}, 1.9999998303751922, [['feature_bounds_histogram', 4.840953826904297], ['stratum_moments', 4.840953826904297], ['zero_order_steps', 1.1452264785766602]]],
    ['physionet2012', { dataRanges: true }, 1.9999986124917277, [['feature_bounds_histogram', 5.928932189941406], ['data_ranges_histogram', 5.928932189941406], ['stratum_moments', 5.928932189941406], ['zero_order_steps', 1.1352825164794922]]],
    ['rotterdam', {}, 1.9999969683731318, [['time_histogram', 9.161308288574219], ['stratum_moments', 9.161308288574219], ['zero_order_steps', 1.1867074966430664]]],
    ['support', { dataRanges: true, momentsClip: 0.7 }, 1.9999997038185582, [['data_ranges_histogram', 11.220268249511719], ['time_histogram', 11.220268249511719], ['stratum_moments', 11.220268249511719], ['zero_order_steps', 0.9091987609863281]]],
  ] as const)('%s %j: the same ledger entries and ε', async (name, extra, epsilon, entries) => {
    const { train } = await dataset(name);
    // Without the focused moments measurement (session 26), which splits the moments' entry in two.
    const { receipt } = await condense({ train, rows: 12, epsilon: 2, steps: 3, directions: 2, seed: 7, focusedMomentsShare: 0, ...extra });
    expect(receipt.entries.map((e) => [e.name, e.noise_multiplier])).toEqual(entries);
    expect(receipt.epsilon).toBe(epsilon);
  });
});

describe('survival risk groups split at a public grid edge, and the receipt says which', () => {
  it.each(['rotterdam', 'support'])('%s: events before the split time are group 0, later events group 1, censored group 2', async (name) => {
    const { train } = await dataset(name);
    const task = onePass(train, { featuresNeedingBounds: [], rangeFeatures: [] }).task as SurvivalTask;
    const split = task.riskGroupSplitTime!;
    const edges = Array.from({ length: LOGT_BINS + 1 }, (_, k) => timeEdge(k));
    expect(edges).toContain(split);
    // The nearest edge to the median in log time: no other edge is closer.
    const distance = (t: number) => Math.abs(Math.log(t / task.medianEventTime));
    expect(Math.min(...edges.map(distance))).toBe(distance(split));
    const strata = task.stratify(train);
    const counts = [0, 0, 0];
    for (let i = 0; i < train.nRows; i++) {
      const expected = train.event![i] ? (train.time![i] < split ? 0 : 1) : 2;
      expect(strata[i], `record ${i}`).toBe(expected);
      counts[expected]++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(0);
    const { receipt } = await condense({ train, rows: 12, epsilon: 2, steps: 0, seed: 3 });
    expect(receipt.parameters.riskGroupSplitTime).toBeGreaterThan(0);
    expect(edges).toContain(receipt.parameters.riskGroupSplitTime);
  });

  it('synthetic follow-up: early events before the split edge, late events after it, in proportion to the DP histogram', () => {
    // Events 2, 5, 3 in the first three bins: the median (about 40) lies in [10, 100), nearest the
    // edge 100 in log time, so 7 of the 10 events are early. Split at the median's halves instead,
    // the first late rows would get times between 40 and 100, on the early side of the split.
    const task = new SurvivalTask({ edges: Float64Array.of(1, 10, 100, 1000, 10000), events: Float64Array.of(2, 5, 3, 0), censored: Float64Array.of(0, 1, 1, 0) });
    expect(task.riskGroupSplitTime).toBe(100);
    const settings = resolveSettings({ train: { card: { task: 'survival', features: [] } } as never, rows: 30, epsilon: 3, learners: ['cox'] });
    const moments = [0, 1, 2].map(() => ({ count: 10, features: [] }));
    const { allocation, syntheticTarget } = task.outcomes(moments, settings);
    if (syntheticTarget.task !== 'survival') throw new Error('survival expected');
    let row = 0;
    for (let g = 0; g < 3; g++) {
      for (let r = 0; r < allocation[g]; r++, row++) {
        const t = syntheticTarget.time[row];
        expect(syntheticTarget.event[row], `row ${row}`).toBe(g < 2 ? 1 : 0);
        if (g === 0) expect(t, `row ${row}`).toBeLessThan(100);
        if (g === 1) expect(t, `row ${row}`).toBeGreaterThan(100);
      }
    }
    expect(Math.min(...allocation)).toBeGreaterThan(2);
  });
});

describe('the loose-bounds histogram (rangesShare) narrows only bounds the data fill a small part of', () => {
  // Three features with bounds [0, 100] and 2,000 records: one packed into its first bin, one spread
  // evenly, one zero-inflated (60 % at 0, the rest spread: its densest bin alone clears the noise).
  const n = 2000;
  const specs: FeatureSpec[] = ['packed', 'spread', 'spike'].map((name) => ({ name, type: 'numeric', bounds: [0, 100] }));
  const card = { name: 'loose', task: 'classification', target: { name: 'y', positive: 1 }, features: specs } as unknown as DatasetCard;
  const rng = new SeededRng(3);
  const columns = specs.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    columns[0][i] = 0.5 * rng.uniform();
    columns[1][i] = 100 * rng.uniform();
    columns[2][i] = i % 5 < 3 ? 0 : 100 * rng.uniform();
  }
  const table: Table = { card, nRows: n, features: specs.map((spec, f) => ({ spec, values: columns[f], missing: new Uint8Array(n) })), label: Uint8Array.from({ length: n }, (_, i) => i % 2) };
  const bounds = Object.fromEntries(specs.map((s) => [s.name, [0, 100] as [number, number]]));
  const privateContext = (seed: number): NoisyQueryContext => ({ isPrivate: true, ledger: new PrivacyLedger({ epsilon: 100, delta: 1e-5 }), noiseRng: new SeededRng(seed), scope: new DataAccessScope() });

  it('packed: narrowed; spread: kept; zero-inflated: kept, where the all-feature data ranges narrow it to its spike', () => {
    let spikeNarrowedByAll = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      // σ 20 over sensitivity √3: 35 records of noise per bin; the spread bins (62 records) stay below the threshold.
      const packed = privateDataRanges(table, bounds, privateContext(seed), 20, undefined, PACKED_CORE_SHARE);
      expect(packed.packed[1], `seed ${seed}`).toBeLessThanOrEqual(12.5);
      expect(packed.spread, `seed ${seed}`).toEqual([0, 100]);
      expect(packed.spike, `seed ${seed}`).toEqual([0, 100]);
      // The all-feature data ranges (no packed test) clamp 40 % of the spike feature's records away
      // (unless a noisy tail bin happens to clear the threshold and stretch its core).
      if (privateDataRanges(table, bounds, privateContext(seed), 20).spike[1] <= 12.5) spikeNarrowedByAll++;
    }
    expect(spikeNarrowedByAll).toBeGreaterThanOrEqual(3);
  });

  it('without noise the test reads exact counts: a feature packed into a few bins is narrowed, a spread one is not', () => {
    const exact = privateDataRanges(table, bounds, exactContext(), 0, undefined, PACKED_CORE_SHARE);
    expect(exact.packed[1]).toBeLessThanOrEqual(12.5);
    expect(exact.spread).toEqual([0, 100]);
  });
});

describe('rangesShare takes its share of the moments\' ρ: the run\'s ε and the preprocessing\'s precision are unchanged', () => {
  const sigma = (e: { noise_multiplier?: unknown }) => Number(e.noise_multiplier);
  const precision = (entries: { name: string; noise_multiplier?: unknown }[]) =>
    entries.filter((e) => e.name !== 'zero_order_steps').reduce((sum, e) => sum + 1 / sigma(e) ** 2, 0);
  it.each([
    ['pima', {}],
    ['pima', { featureFocus: 3, focusedMomentsShare: 0.5 }],
    ['rotterdam', {}],
  ] as const)('%s %j', async (name, extra) => {
    const { train } = await dataset(name);
    const run = (rangesShare: number) => condense({ train, rows: 12, epsilon: 2, steps: 3, directions: 2, seed: 7, rangesShare, ...extra });
    const off = await run(0);
    const on = await run(0.25);
    expect(off.receipt.entries.map((e) => e.name)).not.toContain('data_ranges_histogram');
    expect(on.receipt.entries[0].name).toBe('data_ranges_histogram');
    expect(on.receipt.entries.slice(1).map((e) => e.name)).toEqual(off.receipt.entries.map((e) => e.name));
    const moments = (r: typeof on) => sigma(r.receipt.entries.find((e) => e.name === 'stratum_moments')!);
    // σ/√0.25 for the histogram; the moments' σ/√(1 − s) (s: the focused share, if any) becomes σ/√(0.75·(1 − s)).
    const focused = 'focusedMomentsShare' in extra ? extra.focusedMomentsShare : 0;
    expect(sigma(on.receipt.entries[0]) / moments(off)).toBeCloseTo(Math.sqrt(1 - focused) / Math.sqrt(0.25), 9);
    expect(moments(on) / moments(off)).toBeCloseTo(1 / Math.sqrt(0.75), 9);
    expect(precision(on.receipt.entries) / precision(off.receipt.entries)).toBeCloseTo(1, 9);
    expect(on.receipt.epsilon).toBeLessThanOrEqual(2);
    expect(on.receipt.epsilon).toBeGreaterThan(1.999);
    expect(on.settings.rangesShare).toBe(0.25);
    expect(off.settings.rangesShare).toBeUndefined();
  });

  it('is not taken without noise, beside --data-ranges, or on a card that bounds no numeric feature', async () => {
    const { train } = await dataset('pima');
    const names = async (options: Record<string, unknown>, data = train) => (await condense({ train: data, rows: 12, steps: 2, directions: 2, seed: 7, rangesShare: 0.25, ...options } as never)).receipt.entries.map((e) => e.name);
    expect(await names({ epsilon: Infinity })).not.toContain('data_ranges_histogram');
    expect((await names({ epsilon: 2, dataRanges: true })).filter((n) => n === 'data_ranges_histogram')).toHaveLength(1);
    const physionet = (await dataset('physionet2012')).train;
    const withShare = await condense({ train: physionet, rows: 10, epsilon: 2, steps: 2, directions: 2, seed: 7, rangesShare: 0.25 });
    const without = await condense({ train: physionet, rows: 10, epsilon: 2, steps: 2, directions: 2, seed: 7, rangesShare: 0 });
    expect(withShare.receipt.entries).toEqual(without.receipt.entries);
    expect(formatTableCsv(withShare.synthetic)).toBe(formatTableCsv(without.synthetic));
  });
});
