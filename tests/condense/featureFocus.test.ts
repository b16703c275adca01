/**
 * `featureFocus: k` (docs/RESULTS.md, "Session 25: focusing the steps on a few features"): on a
 * table of more than k features the steps move only the k features whose DP stratum means lie
 * furthest apart (in pooled DP sds); the others sit at their pooled DP value in every row and never
 * move. Post-processing of the released moments: the same ledger; 'off' (the default) and k ≥ d
 * are the run as before.
 */
import { describe, expect, it } from 'vitest';
import { formatTableCsv } from '../../src/data/format.js';
import type { Table } from '../../src/data/table.js';
import { condense, type CondenseOptions } from '../../src/condense/condense.js';
import { FeatureFocus, chooseFeatureFocus, featureSeparation, keptFeatures, topFeatures } from '../../src/condense/featureFocus.js';
import { defaultFeatureFocus } from '../../src/condense/settings.js';
import { Encoder } from '../../src/data/encoding.js';
import type { StratumMoments } from '../../src/condense/privateStatistics.js';
import type { DirectionEvaluator, DirectionRequest } from '../../src/condense/zerothOrder.js';
import { dataset } from './helpers.js';

const RUN = { rows: 20, epsilon: 3, steps: 8, directions: 3, batchSize: 64, seed: 4 };

describe('featureSeparation and topFeatures', () => {
  // Two classes; a numeric, a binary and a categorical feature, with hand-computable scores.
  const stratum = (count: number, x: number, xSd: number, p: number, levels: number[]): StratumMoments => ({
    count,
    features: [{ mean: x, sd: xSd }, { mean: p, sd: Math.sqrt(p * (1 - p)) }, { mean: NaN, sd: NaN, levelProbabilities: Float64Array.from(levels) }],
  });
  const classes = [stratum(100, 10, 2, 0.5, [0.5, 0.5, 0]), stratum(100, 12, 2, 0.5, [0.1, 0.5, 0.4])];
  const pooled: StratumMoments = {
    count: 200,
    // Pooled sd of x: √(4 + 1) (within-class variance 4, between-class 1).
    features: [{ mean: 11, sd: Math.sqrt(5) }, { mean: 0.5, sd: 0.5 }, { mean: NaN, sd: NaN, levelProbabilities: Float64Array.of(0.3, 0.5, 0.2) }],
  };

  it('classification: |mean₁ − mean₀| / pooled sd; a categorical scores its most separated level indicator', () => {
    const score = featureSeparation(classes, pooled, 'classification');
    expect(score[0]).toBeCloseTo(2 / Math.sqrt(5), 12);
    expect(score[1]).toBe(0);
    // Level 0: |0.1 − 0.5| / √(0.3·0.7) = 0.873; level 2: 0.4 / √(0.2·0.8) = 1; level 1: 0.
    expect(score[2]).toBeCloseTo(1, 12);
    expect(topFeatures(score, 2)).toEqual([0, 2]);
    expect(topFeatures(score, 1)).toEqual([2]);
  });

  it('private classification: a numeric feature scores by the evidence of its difference, |mean₁ − mean₀| / √(noise₁² + noise₀²)', () => {
    // Feature a separates by 2 with little noise, feature b by 3 with much more: by the pooled sd b
    // would win, by the evidence a does (2 / √(0.5² + 0.5²) = 2.83 against 3 / √(2² + 2²) = 1.06).
    const noisy = (count: number, a: number, b: number): StratumMoments => ({
      count,
      features: [{ mean: a, sd: 2, meanNoiseSd: 0.5 }, { mean: b, sd: 2, meanNoiseSd: 2 }],
    });
    const both: StratumMoments = { count: 200, features: [{ mean: 11, sd: 2.2 }, { mean: 11.5, sd: 2.2 }] };
    const score = featureSeparation([noisy(100, 10, 10), noisy(100, 12, 13)], both, 'classification');
    expect(score[0]).toBeCloseTo(2 / Math.hypot(0.5, 0.5), 12);
    expect(score[1]).toBeCloseTo(3 / Math.hypot(2, 2), 12);
    expect(topFeatures(score, 1)).toEqual([0]);
    // Without the noise sds (a non-private run) the pooled-sd score applies: b wins.
    const exact = featureSeparation([stratum(100, 10, 2, 0.5, [1, 0, 0]), stratum(100, 12, 2, 0.5, [1, 0, 0])], pooled, 'classification');
    expect(exact[0]).toBeCloseTo(2 / Math.sqrt(5), 12);
  });

  it('survival: the largest |stratum mean − pooled mean| / pooled sd over the strata', () => {
    const strata = [...classes, stratum(50, 14, 2, 0.9, [0.3, 0.5, 0.2])];
    const score = featureSeparation(strata, pooled, 'survival');
    expect(score[0]).toBeCloseTo(3 / Math.sqrt(5), 12);
    expect(score[1]).toBeCloseTo(0.4 / 0.5, 12);
  });

  it('topFeatures: ties go to the earlier feature, the kept set is in card order', () => {
    expect(topFeatures(Float64Array.of(1, 3, 3, 0.5, 3), 2)).toEqual([1, 2]);
    expect(topFeatures(Float64Array.of(0.2, 0.1, 0.9), 2)).toEqual([0, 2]);
  });

  it('FeatureFocus: frozen values are the pooled DP values in Z; directions are zeroed on them only', () => {
    const card = {
      name: 'toy',
      task: 'classification' as const,
      label: 'y',
      features: [
        { name: 'x', type: 'numeric' as const, bounds: [0, 20] as [number, number] },
        { name: 'b', type: 'binary' as const },
        { name: 'c', type: 'categorical' as const, categories: ['u', 'v', 'w'] },
      ],
    } as unknown as Encoder['card'];
    const encoder = new Encoder(card);
    const rows = 2;
    // Keep x only: b (P(1) = 0.5: decoded 1) and the categorical (mode level 1) are frozen.
    const focus = new FeatureFocus(encoder, [0], pooled);
    const values = Float64Array.of(0.3, 0.2, 0.9, 0.1, 0, 0.7, 0.8, 0.4, 0.4, 0.2, /* a per-row block */ 5, 6);
    focus.freeze(values, rows);
    expect(Array.from(values)).toEqual([0.3, 1, 0, 1, 0, 0.7, 1, 0, 1, 0, 5, 6]);
    const directions = Float64Array.from({ length: 2 * values.length }, (_, i) => i + 1);
    focus.maskDirections(directions, 2, values.length, rows);
    const zeroed = (k: number) => Array.from(directions.subarray(k * 12, (k + 1) * 12), (v) => v === 0);
    for (const k of [0, 1]) expect(zeroed(k)).toEqual([false, true, true, true, true, false, true, true, true, true, false, false]);
    expect(focus.keptNames()).toEqual(['x']);
    // Numeric frozen: its pooled mean through the encoder's map (box [0, 1] of the bounds here).
    const numericFrozen = new FeatureFocus(encoder, [1, 2], pooled);
    const z = new Float64Array(5);
    numericFrozen.freeze(z, 1);
    expect(z[0]).toBeCloseTo(11 / 20, 15);
  });
});

/** The run, with an evaluator that records every step's parameters and directions. */
async function recordedRun(train: Table, options: Omit<CondenseOptions, 'train'>) {
  const requests: { parameters: Float64Array; directions: Float64Array }[] = [];
  const result = await condense(
    { train, ...options },
    {
      evaluator: (_setup, inline): DirectionEvaluator => ({
        evaluateDirections: (request: DirectionRequest) => {
          requests.push({ parameters: request.parameters.slice(), directions: request.directions.slice() });
          return inline.evaluateDirections(request);
        },
      }),
    },
  );
  return { result, requests };
}

describe('condense with featureFocus', () => {
  it('the released table: every frozen feature equals its pooled DP value in every row; kept features vary; the receipt lists the kept features', async () => {
    const { train } = await dataset('pima');
    const { result, requests } = await recordedRun(train, { ...RUN, featureFocus: 3 });
    const kept = result.receipt.parameters.focusedFeatures as string[];
    expect(result.receipt.parameters.featureFocus).toBe(3);
    expect(result.settings.focusedFeatures).toEqual(kept);
    expect(kept).toHaveLength(3);
    result.synthetic.features.forEach((column, f) => {
      const name = column.spec.name;
      const values = new Set(column.values);
      if (kept.includes(name)) {
        expect(values.size, name).toBeGreaterThan(1);
        return;
      }
      const { mean, bounds } = result.released.features[f];
      const clamped = Math.min(bounds[1], Math.max(bounds[0], mean));
      const pooledValue = column.spec.type === 'integer' ? Math.round(clamped) : clamped;
      expect(values.size, name).toBe(1);
      expect([...values][0], name).toBeCloseTo(pooledValue, 9);
    });
    // Over the steps: each step's parameters hold the frozen coordinates at their start, and every
    // direction is 0 there (the probes never move them either).
    expect(requests).toHaveLength(RUN.steps);
    const d = result.encoder.dim;
    const frozen = result.encoder.slices.filter((s) => !kept.includes(s.feature)).map((s) => s.start);
    expect(frozen).toHaveLength(5);
    const first = requests[0].parameters;
    for (const { parameters, directions } of requests) {
      for (let i = 0; i < RUN.rows; i++) {
        for (const j of frozen) {
          expect(parameters[i * d + j]).toBe(first[j]);
          for (let k = 0; k < RUN.directions; k++) expect(directions[k * parameters.length + i * d + j]).toBe(0);
        }
      }
    }
    // The kept coordinates do move.
    const keptColumn = result.encoder.slices.find((s) => kept.includes(s.feature))!.start;
    expect(requests.at(-1)!.parameters[keptColumn]).not.toBe(first[keptColumn]);
  });

  it('the kept set is the top k by the separation of the released moments (ε = ∞: exact moments, checked by hand)', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, ...RUN, epsilon: Infinity, featureFocus: 3 });
    const y = train.label!;
    const score = train.features.map((column) => {
      const byClass = [0, 1].map((c) => {
        const xs = Array.from(column.values).filter((_, i) => y[i] === c && !column.missing[i]);
        return { n: xs.length, mean: xs.reduce((a, x) => a + x, 0) / xs.length };
      });
      const all = Array.from(column.values).filter((_, i) => !column.missing[i]);
      const mean = all.reduce((a, x) => a + x, 0) / all.length;
      const sd = Math.sqrt(all.reduce((a, x) => a + (x - mean) ** 2, 0) / all.length);
      return { name: column.spec.name, score: Math.abs(byClass[1].mean - byClass[0].mean) / sd };
    });
    const ranked = [...score].sort((a, b) => b.score - a.score);
    // The hand ranking is clear at the cut, so the small differences of the engine's pooling cannot flip it.
    expect(ranked[2].score - ranked[3].score).toBeGreaterThan(0.05);
    const top = new Set(ranked.slice(0, 3).map((s) => s.name));
    expect(new Set(result.receipt.parameters.focusedFeatures as string[])).toEqual(top);
    expect(result.receipt.parameters.focusedFeatures).toEqual(train.features.map((c) => c.spec.name).filter((n) => top.has(n)));
  });

  it("'off' is the default run byte for byte; k ≥ d is a no-op; focused runs spend the same ε through the same entries", async () => {
    const { train } = await dataset('pima');
    const [plain, off, wide, focused] = [
      await condense({ train, ...RUN }),
      await condense({ train, ...RUN, featureFocus: 'off' }),
      await condense({ train, ...RUN, featureFocus: 8 }),
      // The focus alone (without the focused moments measurement, which has its own entry: focusedMoments.test.ts).
      await condense({ train, ...RUN, featureFocus: 2, focusedMomentsShare: 0 }),
    ];
    for (const same of [off, wide]) {
      expect(formatTableCsv(same.synthetic)).toBe(formatTableCsv(plain.synthetic));
      expect(JSON.stringify(same.receipt.parameters)).toBe(JSON.stringify(plain.receipt.parameters));
      expect(JSON.stringify(same.trace)).toBe(JSON.stringify(plain.trace));
    }
    expect('featureFocus' in plain.receipt.parameters).toBe(false);
    expect(formatTableCsv(focused.synthetic)).not.toBe(formatTableCsv(plain.synthetic));
    expect(focused.receipt.epsilon).toBe(plain.receipt.epsilon);
    expect(focused.receipt.delta).toBe(plain.receipt.delta);
    expect(focused.receipt.entries).toEqual(plain.receipt.entries);
    expect(focused.released).toEqual(plain.released);
  });

  it('per-row blocks are never frozen: learned row weights and optimised survival times still move', async () => {
    const { train: pima } = await dataset('pima');
    const weighted = await condense({ train: pima, ...RUN, rowWeights: true, featureFocus: 2 });
    expect(new Set(weighted.synthetic.weight).size).toBeGreaterThan(1);
    const { train: rotterdam } = await dataset('rotterdam');
    const survival = await condense({ train: rotterdam, rows: 12, epsilon: 3, steps: 6, directions: 2, seed: 5, optimiseTimes: true, featureFocus: 3 });
    const quantile = await condense({ train: rotterdam, rows: 12, epsilon: 3, steps: 0, seed: 5, featureFocus: 3 });
    expect(Array.from(survival.synthetic.time!)).not.toEqual(Array.from(quantile.synthetic.time!));
    const kept = survival.receipt.parameters.focusedFeatures as string[];
    expect(kept).toHaveLength(3);
    for (const column of survival.synthetic.features) {
      if (!kept.includes(column.spec.name)) expect(new Set(column.values).size, column.spec.name).toBe(1);
    }
  });

  it('by default a table wider than 30 features is focused on min(30, ⌊m/2⌋), a table of 30 is not', async () => {
    expect([1, 2, 3, 10, 20, 21, 59, 60, 61, 200].map(defaultFeatureFocus)).toEqual([1, 1, 1, 5, 10, 10, 29, 30, 30, 30]);
    const run = { epsilon: 3, steps: 1, directions: 2, batchSize: 64, seed: 2 };
    const physionet = (await dataset('physionet2012')).train;
    for (const [rows, k] of [[10, 5], [60, 30]]) {
      const wide = await condense({ train: physionet, rows, ...run });
      expect(wide.receipt.parameters.featureFocus, `${rows} rows`).toBe(k);
      expect(wide.receipt.parameters.focusedFeatures).toHaveLength(k);
    }
    const thirty = await condense({ train: (await dataset('wdbc')).train, rows: 10, ...run });
    expect('featureFocus' in thirty.receipt.parameters).toBe(false);
    // An explicit k is both the size and the threshold: 10 focuses wdbc's 30 features.
    const ten = await condense({ train: (await dataset('wdbc')).train, rows: 10, ...run, featureFocus: 10 });
    expect(ten.receipt.parameters.featureFocus).toBe(10);
  });

  it('chooseFeatureFocus: none when off or when the table has at most k features', () => {
    const card = { name: 't', task: 'classification', label: 'y', features: [{ name: 'a', type: 'binary' }, { name: 'b', type: 'binary' }] } as unknown as Encoder['card'];
    const encoder = new Encoder(card);
    const m = (p: number): StratumMoments => ({ count: 10, features: [{ mean: p, sd: 0.5 }, { mean: 0.5, sd: 0.5 }] });
    expect(chooseFeatureFocus('off', encoder, [m(0.2), m(0.8)], m(0.5), 'classification')).toBeUndefined();
    expect(chooseFeatureFocus(2, encoder, [m(0.2), m(0.8)], m(0.5), 'classification')).toBeUndefined();
    expect(chooseFeatureFocus(1, encoder, [m(0.2), m(0.8)], m(0.5), 'classification')!.kept).toEqual([0]);
  });
});

describe('unlocated features (`unlocated`)', () => {
  it('keptFeatures never keeps a frozen feature: a focus takes the next ones, and where no focus acts every other feature is kept', () => {
    const m = (a: number, b: number, c: number): StratumMoments => ({ count: 10, features: [a, b, c].map((mean) => ({ mean, sd: 1 })) });
    const [classes, pooled] = [[m(0, 0, 0), m(3, 2, 1)], m(1.5, 1, 0.5)];
    // Feature 0 separates most, then 1, then 2.
    expect(keptFeatures(2, 3, classes, pooled, 'classification', 2)).toEqual([0, 1]);
    expect(keptFeatures(2, 3, classes, pooled, 'classification', 2, [0])).toEqual([1, 2]);
    // A table no wider than the focus acts on: nothing kept without frozen features, all others with.
    expect(keptFeatures(3, 3, classes, pooled, 'classification', 3)).toBeUndefined();
    expect(keptFeatures(3, 3, classes, pooled, 'classification', 3, [1])).toEqual([0, 2]);
    expect(keptFeatures('off', 3, classes, pooled, 'classification', Infinity, [2])).toEqual([0, 1]);
  });

  it('by default (rule U) a feature the DP bounds histogram could not locate is released constant, listed in the receipt and a caveat; the ledger is unchanged', async () => {
    const { train } = await dataset('physionet2012');
    const run = { train, rows: 10, epsilon: 0.5, steps: 2, directions: 2, batchSize: 64, seed: 7 };
    const moving = await condense({ ...run, unlocated: 'move' });
    const frozen = await condense(run);
    const names = frozen.receipt.parameters.unlocatedFeatures as string[];
    expect(names.length).toBeGreaterThan(0);
    expect('unlocatedFeatures' in moving.receipt.parameters).toBe(false);
    expect(frozen.receipt.entries).toEqual(moving.receipt.entries);
    // Both runs tell the recipient which features could not be located, and what that means for their values.
    expect(frozen.caveats.find((c) => c.includes('too sparse'))).toContain(`constant that carries no information: ${names.join(', ')}`);
    expect(frozen.receipt.warnings).toEqual(expect.arrayContaining(frozen.caveats));
    expect(moving.caveats.find((c) => c.includes('too sparse'))).toContain('confined to [0, 1]');
    // Their bounds are the fallback, so the statistics show them at [0, 1]; no focused feature is among them.
    const bounds = frozen.released.features.filter((f) => names.includes(f.name)).map((f) => f.bounds);
    expect(bounds.every((b) => b[0] === 0 && b[1] === 1)).toBe(true);
    expect((frozen.receipt.parameters.focusedFeatures as string[]).some((name) => names.includes(name))).toBe(false);
    const csv = formatTableCsv(frozen.synthetic).trim().split('\n');
    const header = csv[0].split(',');
    for (const name of names) {
      const column = header.indexOf(name);
      expect(new Set(csv.slice(1).map((line) => line.split(',')[column])).size, name).toBe(1);
    }
  });

  it('with no focus (off, or a narrow table) only the unlocated features are frozen; the receipt lists no focus', async () => {
    const { train } = await dataset('physionet2012');
    const run = { train, rows: 10, epsilon: 0.5, steps: 2, directions: 2, batchSize: 64, seed: 7, featureFocus: 'off' as const };
    const frozen = await condense(run);
    const names = frozen.receipt.parameters.unlocatedFeatures as string[];
    expect(names.length).toBeGreaterThan(0);
    expect('featureFocus' in frozen.receipt.parameters).toBe(false);
    const csv = formatTableCsv(frozen.synthetic).trim().split('\n');
    const header = csv[0].split(',');
    const distinct = (name: string) => new Set(csv.slice(1).map((line) => line.split(',')[header.indexOf(name)])).size;
    for (const name of names) expect(distinct(name), name).toBe(1);
    // Every other numeric feature still varies between rows (the start's spread and the steps move it).
    const others = train.card.features.filter((f) => f.type === 'numeric' && !names.includes(f.name)).map((f) => f.name);
    expect(others.filter((name) => distinct(name) > 1).length).toBeGreaterThan(others.length / 2);
  });
});
