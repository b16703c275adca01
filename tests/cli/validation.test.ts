/**
 * Issue 13, defects 3, 4 and 9: options, budgets and seeds are checked before any record is read,
 * and wrong usage exits 2 with one line naming the option.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './runCli.js';
import { SeededRng } from '../../src/core/rng.js';
import { BudgetTooSmallError, budgetIsFeasible, checkBudget, minimumEpsilon } from '../../src/condense/budgetCheck.js';
import { parseCard } from '../../src/data/card.js';

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), 'dpc-validation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Wrong usage: exit 2, one line on stderr, nothing written. */
function expectUsageError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(readdirSync(dir)).toEqual([]);
}

const condense = (...args: string[]) => run('condense', '--dataset', 'pima', '--quiet', '--out', join(dir, 'o.csv'), ...args);

describe('defect 3: budgets too small for the preprocessing say the minimum ε and the options that change it', () => {
  it.each([['--epsilon', '0.01'], ['--epsilon', '1e-9']])('%s %s', async (option, value) => {
    const r = await condense(option, value);
    expectUsageError(r, /^error: --epsilon: ε = [0-9e.-]+ at δ = 0\.00001 is too small for this run: .*the smallest ε for this input and these settings is 0\.0117\. Raise --epsilon, or --delta/);
  });

  it('--delta 1e-300 raises the floor: ε = 1 on a survival card fails clearly, ε = 3 passes the check', async () => {
    const r = await run('condense', '--dataset', 'metabric', '--quiet', '--out', join(dir, 'o.csv'), '--delta', '1e-300', '--epsilon', '1');
    expectUsageError(r, /at δ = 1e-300 is too small .*smallest ε .* is 2\.23\./);
  });

  it('the minimum is exact: feasible at it, infeasible just below, and falls as δ grows', () => {
    const plan = { delta: 1e-5, preprocessingShare: 0.3, preprocessingQueries: 3, steps: 300, accountant: 'rdp' as const };
    const minimum = minimumEpsilon(plan);
    expect(budgetIsFeasible({ ...plan, epsilon: minimum })).toBe(true);
    expect(budgetIsFeasible({ ...plan, epsilon: minimum * 0.99 })).toBe(false);
    expect(minimumEpsilon({ ...plan, delta: 1e-3 })).toBeLessThan(minimum);
    expect(() => checkBudget({ ...plan, epsilon: minimum / 2 })).toThrow(BudgetTooSmallError);
    expect(() => checkBudget({ ...plan, epsilon: Infinity })).not.toThrow();
    // Under 'pld' the preprocessing is calibrated exactly, but the steps still by RDP against it.
    const pld = { ...plan, accountant: 'pld' as const };
    expect(budgetIsFeasible({ ...pld, epsilon: minimumEpsilon(pld) })).toBe(true);
    expect(budgetIsFeasible({ ...pld, epsilon: minimumEpsilon(pld) * 0.99 })).toBe(false);
  });
});

describe('defect 4: --rows (and other sizes) have a documented ceiling', () => {
  it('rejects --rows above the hard cap, naming the option, before reading anything', async () => {
    expectUsageError(await condense('--rows', '1e9'), /^error: --rows: condense: rows must be ≤ 10000 \(got 1000000000\)$/m);
    expectUsageError(await condense('--rows', '1000000'), /^error: --rows: condense: rows must be ≤ 10000/);
    expectUsageError(await condense('--directions', '1e9'), /^error: --directions: condense: directions must be ≤ 1000/);
    expectUsageError(await condense('--steps', '1e12'), /^error: --steps: condense: steps must be ≤ 100000/);
  });

  it('rejects more synthetic rows than input records, before any budget is spent', async () => {
    const data = join(dir, '..', `small-${process.pid}.csv`);
    const card = join(dir, '..', `small-${process.pid}.json`);
    writeFileSync(data, 'age,dead\n' + Array.from({ length: 30 }, (_, i) => `${20 + i},${i % 2}`).join('\n') + '\n');
    writeFileSync(card, JSON.stringify({ name: 's', task: 'classification', label: 'dead', positive: 1, features: [{ name: 'age', type: 'numeric', bounds: [0, 120] }] }));
    try {
      const r = await run('condense', '--data', data, '--card', card, '--rows', '31', '--quiet', '--out', join(dir, 'o.csv'));
      expectUsageError(r, /^error: --rows 31: more synthetic rows than the input has records/);
      // Without --rows the default size (20 rows for classification) is named as the default.
      const small = join(dir, '..', `tiny-${process.pid}.csv`);
      writeFileSync(small, 'age,dead\n' + Array.from({ length: 12 }, (_, i) => `${20 + i},${i % 2}`).join('\n') + '\n');
      try {
        const d = await run('condense', '--data', small, '--card', card, '--quiet', '--out', join(dir, 'o.csv'));
        expectUsageError(d, /^error: --rows \(default 20 for classification data\): more synthetic rows than the input has records; .*pass a smaller --rows$/m);
      } finally {
        rmSync(small);
      }
    } finally {
      rmSync(data);
      rmSync(card);
    }
  });
});

describe('defect 9: consistent exit codes and messages', () => {
  it('an unknown learner exits 2 like an unknown dataset (condense and evaluate)', async () => {
    expectUsageError(await condense('--model', 'nope'), /^error: unknown learner "nope"; valid learners: /);
    expectUsageError(await condense('--dataset', 'nope'), /^error: unknown dataset "nope"/);
    const e = await run('evaluate', '--synthetic', join(dir, 'x.csv'), '--dataset', 'pima', '--models', 'nope');
    expect(e.code).toBe(2);
  });

  it('--card nope.json exits 1 with the same message in describe and condense', async () => {
    const csv = join(dir, '..', `nocard-${process.pid}.csv`);
    writeFileSync(csv, 'a,y\n1,0\n');
    try {
      const d = await run('describe', csv, '--card', join(dir, 'nope.json'));
      const c = await run('condense', '--data', csv, '--card', join(dir, 'nope.json'), '--quiet', '--out', join(dir, 'o.csv'));
      expect(d.code).toBe(1);
      expect(c.code).toBe(1);
      expect(d.stderr).toMatch(/nope\.json: file not found/);
      expect(c.stderr).toBe(d.stderr);
    } finally {
      rmSync(csv);
    }
  });

  it('card validation errors are one line', () => {
    const bad = { name: 'x', task: 'classification', label: 'y', features: [{ name: 'a', type: 'numeric', bounds: [2, 1] }] };
    expect(() => parseCard(bad, 'bad.json')).toThrow(/^bad\.json: invalid dataset card: features\.0: .*low < high; positive: [^\n]+$/);
  });

  it('--seed takes any integer up to 2^53, distinct beyond 32 bits, and rejects the rest', async () => {
    const draws = (seed: number) => Array.from({ length: 4 }, ((rng) => () => rng.uniform())(new SeededRng(seed)));
    expect(draws(2 ** 32)).not.toEqual(draws(0));
    expect(draws(2 ** 53)).not.toEqual(draws(2 ** 53 - 2 ** 32));
    expect(draws(2 ** 32 + 5)).not.toEqual(draws(5));
    expect(draws(2 ** 40)).toEqual(draws(2 ** 40));
    for (const bad of ['-1', '1.5', '9007199254740993', '9007199254740994', 'x']) expectUsageError(await condense('--seed', bad), /^error: --seed: (condense: seed must be|"\d+" is beyond 2\^53|invalid value)/);
  });

  it('--epsilon 1e400 is a typo, not a request for a non-private run', async () => {
    expectUsageError(await condense('--epsilon', '1e400'), /^error: --epsilon: invalid value "1e400"$/m);
  });
});

describe('defect 9: the receipt records the seed and does not call an absurd ε private', () => {
  it('seed 2^32 + 1 is in the receipt; ε = 1e9 is above the documented ceiling, so not a private release', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpc-receipt-'));
    try {
      const r = await run('condense', '--dataset', 'pima', '--quiet', '--out', join(out, 's.csv'), '--steps', '1', '--directions', '2', '--epsilon', '1e9', '--seed', '4294967297');
      expect(r.code, r.stderr).toBe(0);
      const receipt = JSON.parse(readFileSync(join(out, 's.receipt.json'), 'utf8'));
      expect(receipt.parameters.seed).toBe(4294967297);
      expect(receipt.private_release).toBe(false);
      expect(receipt.reasons_not_private.join(' ')).toMatch(/ε = 1000000000 is above 20/);
      expect(r.stdout).toMatch(/private release: NO — ε = 1000000000 is above 20/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
