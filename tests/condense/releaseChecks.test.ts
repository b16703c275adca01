/**
 * Issue 13's known bugs of survival releases: gbsg (a split with no training rows) was condensed
 * from noise alone and, for some seeds, failed inside a learner with "cox: time[0] = NaN"; a
 * survival release whose standard Cox fit diverges now says so in the receipt and on stderr.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASETS_DIR } from '../../src/node/bundled.js';
import { condense } from '../../src/condense/condense.js';
import { runCondenseJob, type JobEvent } from '../../src/job/run.js';
import { coxFinitenessCaveat } from '../../src/models/survival/coxFiniteness.js';
import { SurvivalTask } from '../../src/condense/task.js';
import { resolveSettings } from '../../src/condense/settings.js';
import { DataError } from '../../src/data/errors.js';
import { runCli } from '../cli/runCli.js';
import { dataset } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dpc-release-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A DP time histogram on 4 log bins with the given event and censoring counts. */
function histogram(events: number[], censored: number[]) {
  return { edges: Float64Array.of(1, 10, 100, 1000, 10000), events: Float64Array.from(events), censored: Float64Array.from(censored) };
}

describe('gbsg: a split with no training rows', () => {
  it('condense and synthesise refuse it before any budget is spent, naming the split file (exit 1)', async () => {
    for (const args of [['condense', '--dataset', 'gbsg'], ['synthesise', '--method', 'mst', '--dataset', 'gbsg']]) {
      const { code, stderr } = await runCli(...args, '--out', join(dir, 'g.csv'), '--seed', '4');
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/^error: gbsg\.split\.json: no training rows: the split marks every row as test data \(gbsg is for evaluation only/);
    }
  });

  it('evaluate --dataset gbsg says how to score a release on an external cohort (was "cox: cannot fit on zero rows")', async () => {
    const { code, stderr } = await runCli('evaluate', '--synthetic', join(DATASETS_DIR, 'rotterdam.csv'), '--dataset', 'gbsg');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: gbsg\.split\.json: no training rows.*--test gbsg\.csv\n$/);
  });

  it('the browser job refuses it too (the seed-4 "cox: time[0] = NaN" report)', async () => {
    const read = (f: string) => readFileSync(join(DATASETS_DIR, f), 'utf8');
    const events: JobEvent[] = [];
    const request = {
      dataset: { card: read('gbsg.json'), csv: read('gbsg.csv'), split: read('gbsg.split.json'), sources: { csv: 'gbsg.csv', split: 'gbsg.split.json' } },
      options: { rows: 20, epsilon: 3, learners: ['cox'], seed: 4 },
    };
    await runCondenseJob(1, request, (e) => events.push(e), new AbortController().signal);
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    if (last.type === 'error') expect(last.error).toMatchObject({ kind: 'data', file: 'gbsg.split.json', message: expect.stringMatching(/no training rows/) });
  });

  it('root cause of the NaN: an empty DP event-time histogram is a clear DataError, never NaN follow-up times', () => {
    const settings = resolveSettings({ train: { card: { task: 'survival', features: [] } } as never, rows: 12, epsilon: 3, learners: ['cox'] });
    expect(() => new SurvivalTask(histogram([0, 0, 0, 0], [0, 3, 0, 0])).outcomes([], settings)).toThrow(DataError);
    expect(() => new SurvivalTask(histogram([0, 0, 0, 0], [0, 3, 0, 0])).outcomes([], settings)).toThrow(/histogram of event times is empty.*larger --epsilon/);
    // No censoring seen: censored rows take event-time quantiles; every follow-up time is finite.
    const moments = [0, 1, 2].map(() => ({ count: 10, features: [] }));
    const outcomes = new SurvivalTask(histogram([0, 5, 5, 0], [0, 0, 0, 0])).outcomes(moments, settings);
    const target = outcomes.syntheticTarget;
    if (target.task !== 'survival') throw new Error('survival expected');
    expect(target.time.length).toBe(12);
    for (const t of target.time) expect(Number.isFinite(t) && t >= 10 && t <= 1000).toBe(true);
  });
});

describe('a survival release whose Cox fit diverges carries a caveat', () => {
  it('in the receipt warnings and on stderr, from the released rows only', async () => {
    const out = join(dir, 'r.csv');
    // 10 rows for 9 design columns: coxph cannot fit it (R: "Ran out of iterations and did not converge").
    const { code, stderr } = await runCli('condense', '--dataset', 'rotterdam', '--model', 'cox', '--rows', '10', '--steps', '2', '--directions', '2', '--seed', '1', '--out', out, '--quiet', '--workers', '1');
    expect(code, stderr).toBe(0);
    const receipt = JSON.parse(readFileSync(join(dir, 'r.receipt.json'), 'utf8'));
    const caveat = receipt.warnings.find((w: string) => /unpenalised Cox fit on the synthetic table/.test(w));
    expect(caveat).toBeDefined();
    expect(stderr).toContain(`warning: ${caveat}`);
    // The caveat is a function of the released table alone.
    const { train } = await dataset('rotterdam');
    const result = await condense({ train, rows: 10, epsilon: 3, learners: ['cox'], steps: 2, directions: 2, seed: 1 });
    expect(result.caveats).toEqual([caveat]);
    expect(coxFinitenessCaveat(result.synthetic)).toBe(caveat);
  });

  it('not when the fit is finite (a larger table), nor for classification', async () => {
    const { train } = await dataset('rotterdam');
    const large = await condense({ train, rows: 50, epsilon: 3, learners: ['cox'], steps: 2, directions: 2, seed: 2 });
    // Whether a short run's table has a finite Cox fit depends on the draw; this seed's has one.
    expect(coxFinitenessCaveat(large.synthetic)).toBeUndefined();
    expect(large.caveats).toEqual([]);
    expect(large.receipt.warnings.some((w) => /Cox fit/.test(w))).toBe(false);
    const pima = await dataset('pima');
    expect((await condense({ train: pima.train, rows: 10, epsilon: 3, learners: ['cart'], steps: 1, directions: 2, seed: 1 })).caveats).toEqual([]);
  });
});
