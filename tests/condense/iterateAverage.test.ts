/**
 * `iterateAverage: 'tail'` (docs/RESULTS.md, "Session 25: averaging the zero-order iterates"): the
 * released table is the uniform mean of the parameters after each step t > T/2 — read off the
 * iterates without feeding back into the steps, at no privacy cost, the same whichever evaluator
 * runs the fits; 'off' (the default) releases the last step's table as before.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { formatTableCsv } from '../../src/data/format.js';
import { condense } from '../../src/condense/condense.js';
import type { LossSpec } from '../../src/condense/objective.js';
import { ExponentialAverage, TailAverage, createIterateAverage } from '../../src/condense/optimiser.js';
import { resolveSettings } from '../../src/condense/settings.js';
import { planSteps, runSteps } from '../../src/condense/steps.js';
import { LOG_ROW_WEIGHT_BOUND, SyntheticParameters, initialiseUniform, stratumOfRows } from '../../src/condense/syntheticSet.js';
import { orderEventTimesByRisk } from '../../src/condense/timeOrder.js';
import { DataAccessScope } from '../../src/privacy/dataAccess.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import { dataset } from './helpers.js';

describe('TailAverage', () => {
  it('averages the parameters after steps t > T/2 and nothing else (T = 5: steps 3–5; T = 4: steps 3–4)', () => {
    for (const [T, tail] of [[5, [3, 4, 5]], [4, [3, 4]]] as const) {
      const average = new TailAverage(2, T);
      for (let t = 1; t <= T; t++) average.observe(t, Float64Array.of(t, -10 * t * t));
      const parameters = Float64Array.of(99, 99);
      average.writeInto(parameters);
      expect(average.count).toBe(tail.length);
      expect(parameters[0]).toBeCloseTo(tail.reduce((a, t) => a + t, 0) / tail.length, 14);
      expect(parameters[1]).toBeCloseTo(tail.reduce((a, t) => a - 10 * t * t, 0) / tail.length, 12);
    }
  });

  it('with a tail of one iterate (T ≤ 2) or none (T = 0) leaves the parameters as the last step left them', () => {
    for (const T of [0, 1, 2]) {
      const average = new TailAverage(1, T);
      for (let t = 1; t <= T; t++) average.observe(t, Float64Array.of(t));
      const parameters = Float64Array.of(-0.25);
      average.writeInto(parameters);
      expect(parameters[0]).toBe(-0.25);
    }
  });
});

describe('ExponentialAverage', () => {
  it('starts at the first tail iterate and follows e ← 0.98·e + 0.02·θ to the last (T = 6: steps 4–6)', () => {
    const average = new ExponentialAverage(1, 6);
    for (let t = 1; t <= 6; t++) average.observe(t, Float64Array.of(t * t));
    const parameters = Float64Array.of(0);
    average.writeInto(parameters);
    const d = 0.98;
    expect(parameters[0]).toBeCloseTo(d * (d * 16 + (1 - d) * 25) + (1 - d) * 36, 12);
  });

  it('createIterateAverage: none for off, one of each kind otherwise', () => {
    expect(createIterateAverage('off', 3, 10)).toBeUndefined();
    expect(createIterateAverage('tail', 3, 10)).toBeInstanceOf(TailAverage);
    expect(createIterateAverage('ema', 3, 10)).toBeInstanceOf(ExponentialAverage);
  });
});

describe('runSteps with tail averaging', () => {
  /** A small private run of T steps (logistic on pima, 12 rows with learned row weights), every iterate kept. */
  async function stepsOf(iterateAverage: 'off' | 'tail', T: number) {
    const { train, card } = await dataset('pima');
    const encoder = new Encoder(card);
    const y = new Uint8Array(12).fill(1, 6);
    const strata = stratumOfRows(Int32Array.of(6, 6));
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 12, new SeededRng(1)), { task: 'classification', y }, undefined, strata);
    const settings = resolveSettings({ train, learners: ['logistic'], rows: 12, epsilon: 3, steps: T, directions: 3, batchSize: 64, rowWeights: true, iterateAverage, seed: 1 });
    const lossSpec: LossSpec = { task: 'classification', kind: 'brier', pMin: 0.01, classWeights: [1, 1] };
    const ledger = new PrivacyLedger({ epsilon: 3, delta: 1e-5, accountant: 'rdp' });
    const plan = planSteps(settings, lossSpec, train.nRows, ledger);
    const kept: Float64Array[] = [];
    const trace = await runSteps({
      settings, plan, synthetic, lossSpec, train, encoder, ledger, scope: new DataAccessScope(),
      noiseRng: new SeededRng(2), publicRng: new SeededRng(3), checkAbort: () => {},
      checkpoints: { after: Array.from({ length: T + 1 }, (_, t) => t), keep: () => kept.push(synthetic.values.slice()) },
    });
    return { final: synthetic.values, kept, trace, epsilon: ledger.spent().epsilon, synthetic };
  }

  it('releases the mean of the raw iterates after steps 6–11 of T = 11, rows and log weights alike; the steps themselves are unchanged', async () => {
    const off = await stepsOf('off', 11);
    const tail = await stepsOf('tail', 11);
    // Every iterate before the last is the off run's: averaging never feeds back into the steps.
    for (let t = 0; t < 11; t++) expect(Array.from(tail.kept[t]), `iterate ${t}`).toEqual(Array.from(off.kept[t]));
    expect(tail.trace).toEqual(off.trace);
    expect(Array.from(off.final)).toEqual(Array.from(off.kept[11]));
    const mean = off.final.map((_, i) => off.kept.slice(6, 12).reduce((a, iterate) => a + iterate[i], 0) / 6);
    const rowsEnd = 12 * off.synthetic.encoder.dim;
    for (let i = 0; i < mean.length; i++) expect(tail.final[i], `coordinate ${i}`).toBeCloseTo(mean[i], 12);
    // The averaged table is the selection's last checkpoint, and it is not the last iterate.
    expect(Array.from(tail.kept[11])).toEqual(Array.from(tail.final));
    expect(Array.from(tail.final.subarray(0, rowsEnd))).not.toEqual(Array.from(off.final.subarray(0, rowsEnd)));
    expect(Array.from(tail.final.subarray(rowsEnd))).not.toEqual(Array.from(off.final.subarray(rowsEnd)));
    // The log weights stay in their box, the rows in the encoder's.
    for (const a of tail.final.subarray(rowsEnd)) expect(Math.abs(a)).toBeLessThanOrEqual(LOG_ROW_WEIGHT_BOUND);
    const box = tail.synthetic.values.slice();
    tail.synthetic.project(box);
    expect(Array.from(box)).toEqual(Array.from(tail.final));
    expect(tail.epsilon).toBe(off.epsilon);
  });

  it('with one step the average is the last iterate: the same run as off', async () => {
    const [off, tail] = [await stepsOf('off', 1), await stepsOf('tail', 1)];
    expect(Array.from(tail.final)).toEqual(Array.from(off.final));
  });
});

describe('condense with iterateAverage', () => {
  const RUN = { rows: 20, epsilon: 3, steps: 8, directions: 2, batchSize: 64, seed: 4 };

  it("'off' is the default run byte for byte; 'tail' spends the same ε through the same entries and says so in the receipt", async () => {
    const { train } = await dataset('pima');
    const [plain, off, tail] = [await condense({ train, ...RUN }), await condense({ train, ...RUN, iterateAverage: 'off' }), await condense({ train, ...RUN, iterateAverage: 'tail' })];
    expect(formatTableCsv(off.synthetic)).toBe(formatTableCsv(plain.synthetic));
    expect(JSON.stringify(off.receipt.parameters)).toBe(JSON.stringify(plain.receipt.parameters));
    expect(JSON.stringify(off.trace)).toBe(JSON.stringify(plain.trace));
    expect('iterateAverage' in plain.receipt.parameters).toBe(false);

    expect(tail.receipt.parameters.iterateAverage).toBe('tail');
    expect(tail.settings.iterateAverage).toBe('tail');
    expect(tail.receipt.epsilon).toBe(plain.receipt.epsilon);
    expect(tail.receipt.delta).toBe(plain.receipt.delta);
    expect(tail.receipt.entries).toEqual(plain.receipt.entries);
    expect(tail.trace).toEqual(plain.trace);
    expect(formatTableCsv(tail.synthetic)).not.toBe(formatTableCsv(plain.synthetic));
  });

  it('survival: the event times are ordered by the risk of the averaged table', async () => {
    const { train } = await dataset('rotterdam');
    const run = { train, rows: 24, epsilon: 3, steps: 6, directions: 2, seed: 5, iterateAverage: 'tail' as const };
    const [quantile, risk, off] = [await condense({ ...run, timeOrder: 'quantile' }), await condense(run), await condense({ ...run, iterateAverage: 'off', timeOrder: 'quantile' })];
    // The quantile-order run releases the averaged rows with their times in row order; the default
    // orders those rows' times by their own risk.
    expect(formatTableCsv(quantile.synthetic)).not.toBe(formatTableCsv(off.synthetic));
    quantile.synthetic.features.forEach((c, f) => expect(Array.from(risk.synthetic.features[f].values)).toEqual(Array.from(c.values)));
    // The rows per risk group, read off the released table: early events lie before the DP split time.
    const { time, event } = quantile.synthetic;
    const split = quantile.receipt.parameters.riskGroupSplitTime as number;
    const early = time!.filter((t, i) => event![i] === 1 && t < split).length;
    const events = event!.reduce((a, e) => a + e, 0);
    const allocation = Int32Array.of(early, events - early, time!.length - events);
    expect(Math.min(...allocation)).toBeGreaterThan(1);
    expect(Array.from(risk.synthetic.time!)).toEqual(Array.from(orderEventTimesByRisk(quantile.synthetic, allocation).time!));
    expect(Array.from(risk.synthetic.time!)).not.toEqual(Array.from(quantile.synthetic.time!));
  });

  it('the steps = 0 baseline and the gate path without steps are untouched', async () => {
    const { train } = await dataset('pima');
    for (const [extra, path] of [[{ steps: 0 }, 'no-steps'], [{ noiseFigureLimit: 1e-9, repeatShare: 1 }, 'repeated-moments']] as const) {
      const [off, tail] = [await condense({ train, ...RUN, ...extra }), await condense({ train, ...RUN, ...extra, iterateAverage: 'tail' })];
      expect(tail.settings.budgetPath).toBe(path);
      expect(tail.trace).toEqual([]);
      expect(formatTableCsv(tail.synthetic)).toBe(formatTableCsv(off.synthetic));
      expect(tail.receipt.entries).toEqual(off.receipt.entries);
    }
  });
});
