/**
 * Learners on degenerate training tables — what a small or perturbed synthetic table can look like
 * (issue 13): every row identical, one class or one category level gone after decoding, every row
 * censored, and a Cox likelihood that is monotone (separated data). Each case ends in the
 * documented fallback (see README "Learners on degenerate tables"), never a crash or NaN.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matrix, matrixFromRows } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { fitAndScore } from '../../src/condense/evaluation.js';
import { coxFiniteness, coxFinitenessCaveat } from '../../src/models/survival/coxFiniteness.js';
import { parseCard } from '../../src/data/card.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { ConstantClassifier } from '../../src/models/classification/common.js';
import { createLearner } from '../../src/models/registry.js';
import { fitCox } from '../../src/models/survival/cox.js';
import type { ClassificationLearner, SurvivalLearner } from '../../src/models/types.js';

const CLASSIFIERS = ['logistic', 'cart', 'rf', 'gbt'] as const;
const SURVIVAL_LEARNERS = ['cox', 'survtree', 'rsf'] as const;
const reference = JSON.parse(readFileSync(new URL('../fixtures/reference/cox_monotone.json', import.meta.url), 'utf8'));

const identicalRows = (n: number, d: number) => matrix(n, d, new Float64Array(n * d).fill(0.7));
const probe = matrixFromRows([[0, 1, 2], [5, -1, 3]]);
const classifier = (name: string) => createLearner(name, {}, new SeededRng(1)) as ClassificationLearner;
const survivalLearner = (name: string) => createLearner(name, {}, new SeededRng(1)) as SurvivalLearner;

describe('classification learners on degenerate tables', () => {
  it('identical rows with both classes: every learner predicts one probability, near the base rate', () => {
    const y = Uint8Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? 1 : 0)); // base rate 0.4
    for (const name of CLASSIFIERS) {
      const model = classifier(name).fit(identicalRows(10, 3), { task: 'classification', y });
      const [a, b] = model.predictProba(probe);
      expect(a, name).toBe(b);
      // rf averages bootstrap samples, so its leaf rates scatter around the base rate.
      expect(Math.abs(a - 0.4), name).toBeLessThan(name === 'rf' ? 0.05 : 1e-9);
    }
  });

  it('one class left: every learner returns the constant model with a warning', () => {
    for (const name of CLASSIFIERS) {
      const model = classifier(name).fit(identicalRows(6, 3), { task: 'classification', y: new Uint8Array(6).fill(1) });
      expect(model, name).toBeInstanceOf(ConstantClassifier);
      expect(Array.from(model.predictProba(probe))).toEqual([1, 1]);
      expect(model.diagnostics.warnings.join(' ')).toMatch(/all 1; the model predicts P\(y=1\) = 1/);
    }
  });

  it('a category level absent from the synthetic table still scores test rows that have it', () => {
    const card = parseCard({
      name: 'clinic', task: 'classification', label: 'y', positive: 1,
      features: [{ name: 'x', type: 'numeric', bounds: [0, 10] }, { name: 'site', type: 'categorical', categories: ['a', 'b', 'c'] }],
    });
    const read = (csv: string) => readTableFromTextSync(csv, card, { source: 'test.csv' }).table;
    const synthetic = read('x,site,y\n1,a,0\n2,a,0\n3,b,1\n4,b,1\n'); // level "c" vanished after decoding
    const test = read('x,site,y\n1,c,0\n4,c,1\n2,a,0\n3,b,1\n');
    for (const name of CLASSIFIERS) {
      const { scores } = fitAndScore(synthetic, test, name, new SeededRng(1));
      for (const s of scores) expect(Number.isFinite(s) && s >= 0 && s <= 1, name).toBe(true);
    }
  });
});

describe('survival learners on degenerate tables', () => {
  const times = Float64Array.from({ length: 10 }, (_, i) => i + 1);

  it('every row censored: S(t) = 1 and equal risk for every row, with a warning (R coxph: NA coefficients, loglik 0)', () => {
    const target = { task: 'survival' as const, time: times, event: new Uint8Array(10) };
    const X = matrixFromRows(Array.from({ length: 10 }, (_, i) => [i, i % 2, 10 - i]));
    for (const name of SURVIVAL_LEARNERS) {
      const model = survivalLearner(name).fit(X, target);
      const risk = model.predictRisk(probe);
      expect(risk[0], name).toBe(risk[1]);
      expect(Array.from(model.predictSurvival(probe, Float64Array.of(0.5, 5, 20))), name).toEqual([1, 1, 1, 1, 1, 1]);
      expect(model.diagnostics.warnings.join(' '), name).toMatch(/no events \(all rows censored or zero-weight\)/);
    }
    const cox = fitCox(X, target);
    expect(Array.from(cox.coefficients)).toEqual([0, 0, 0]);
    expect(reference.all_censored.coefficients_na).toBe(true);
    expect(cox.diagnostics.loglik).toBe(reference.all_censored.loglik[1]);
  });

  it('identical rows: Cox keeps every coefficient at 0 (singular), the trees are one leaf; all give the pooled Nelson–Aalen curve', () => {
    const target = { task: 'survival' as const, time: times, event: Uint8Array.from(times, (_, i) => i % 2) };
    const survival: number[][] = [];
    for (const name of SURVIVAL_LEARNERS) {
      const model = survivalLearner(name).fit(identicalRows(10, 3), target);
      const risk = model.predictRisk(probe);
      expect(risk[0], name).toBe(risk[1]);
      expect(model.diagnostics.warnings.join(' '), name).toMatch(name === 'cox' ? /singular; variable 1, 2, 3/ : /every tree is a single leaf/);
      survival.push(Array.from(model.predictSurvival(probe, Float64Array.of(5))));
    }
    // Cox and the single survival tree give the same pooled curve (Efron has no ties here: Breslow = Nelson–Aalen).
    expect(survival[0][0]).toBeCloseTo(survival[1][0], 12);
  });

  it('monotone likelihood: fitCox reproduces R coxph (same coefficients, log-likelihood and warning)', () => {
    const { age, treated, time, event } = reference.data;
    const X = matrixFromRows(age.map((a: number, i: number) => [a, treated[i]]));
    const model = fitCox(X, { task: 'survival', time: Float64Array.from(time), event: Uint8Array.from(event) });
    expect(model.diagnostics.iterations).toBe(reference.iterations);
    expect(model.diagnostics.loglik).toBeCloseTo(reference.loglik[1], 8);
    expect(model.coefficients[0]).toBeCloseTo(reference.coefficients[0], 6);
    expect(model.coefficients[1]).toBeCloseTo(reference.coefficients[1], 4);
    expect(model.diagnostics.divergentColumns).toEqual([1]);
    expect(reference.warning).toMatch(/Loglik converged before variable 2 ; coefficient may be infinite/);
    expect(model.diagnostics.warnings.join(' ')).toMatch(/Loglik converged before variable 2; coefficient may be infinite/);
    // A ridge penalty keeps the estimate finite and silences the check.
    const ridge = fitCox(X, { task: 'survival', time: Float64Array.from(time), event: Uint8Array.from(event) }, undefined, { ridge: 0.1 });
    expect(ridge.diagnostics.divergentColumns).toEqual([]);
  });
});

describe('the release check of a survival table (coxFiniteness)', () => {
  const card = parseCard({
    name: 'cohort', task: 'survival', time: 'time', event: 'event',
    features: [{ name: 'age', type: 'numeric', bounds: [18, 100] }, { name: 'treated', type: 'binary', categories: [0, 1] }],
  });
  const csvOf = (rows: number[][]) => 'age,treated,time,event\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  const { age, treated, time, event } = reference.data;
  const separated = age.map((a: number, i: number) => [a, treated[i], time[i], event[i]]);

  it('names the diverging column of a separated table, and says what to do', () => {
    const table = readTableFromTextSync(csvOf(separated), card, { source: 's.csv' }).table;
    expect(coxFiniteness(table)).toEqual({ finite: false, divergent: ['treated'], notConverged: false });
    expect(coxFinitenessCaveat(table)).toMatch(/no finite maximum-likelihood estimate \(monotone likelihood: the coefficient of treated diverges.*penalty/);
  });

  it('passes a table with a finite MLE, and leaves out rows with a missing value as coxph does', () => {
    // One treated patient survives past untreated events: no longer separated.
    const mixed = separated.map((r: number[], i: number) => (i === 3 ? [r[0], 1, r[2], r[3]] : r));
    const table = readTableFromTextSync(csvOf(mixed), card, { source: 'm.csv' }).table;
    expect(coxFiniteness(table).finite).toBe(true);
    expect(coxFinitenessCaveat(table)).toBeUndefined();
    const withMissing = readTableFromTextSync(csvOf([...mixed, ['', 1, 0.5, 1]]), card, { source: 'm.csv' }).table;
    expect(coxFiniteness(withMissing).finite).toBe(true);
  });
});
