import { describe, expect, it } from 'vitest';
import { matrixFromRows } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import {
  createClassificationLearner,
  createLearner,
  createSurvivalLearner,
  getLearnerSpec,
  learnerSpecs,
} from '../../src/models/registry.js';
import { ModelInputError } from '../../src/models/types.js';

const rng = () => new SeededRng(1);

describe('learner registry', () => {
  it('creates every learner with its own defaults as resolved parameters (defaults written once)', () => {
    for (const spec of learnerSpecs()) {
      const learner = createLearner(spec.name, {}, rng()) as { params: Record<string, unknown> };
      expect(learner.params).toEqual(spec.defaults);
    }
  });

  it('lists the classification and survival learners by task', () => {
    expect(learnerSpecs('classification').map((s) => s.name)).toEqual(['logistic', 'cart', 'rf', 'gbt']);
    expect(learnerSpecs('survival').map((s) => s.name)).toEqual(expect.arrayContaining(['cox', 'survtree', 'rsf']));
    expect(learnerSpecs().length).toBe(learnerSpecs('classification').length + learnerSpecs('survival').length);
    for (const spec of learnerSpecs()) {
      expect(spec.description.length).toBeGreaterThan(10);
      expect(getLearnerSpec(spec.name)).toBe(spec);
    }
  });

  it('has the condensation defaults', () => {
    expect(getLearnerSpec('logistic').defaults).toMatchObject({ C: 1 });
    expect(getLearnerSpec('cart').defaults).toMatchObject({ maxDepth: 5, minSamplesLeaf: 1, criterion: 'gini' });
    expect(getLearnerSpec('rf').defaults).toMatchObject({ nTrees: 100, maxFeatures: 'sqrt', bootstrap: true });
    expect(getLearnerSpec('gbt').defaults).toMatchObject({ nRounds: 50, maxDepth: 3, learningRate: 0.1 });
  });

  it('creates each classification learner with its defaults as resolved parameters', () => {
    for (const spec of learnerSpecs('classification')) {
      const learner = createLearner(spec.name, undefined, rng());
      expect(learner.name).toBe(spec.name);
      expect(learner.task).toBe('classification');
      expect(learner.params).toEqual(spec.defaults);
    }
    expect(createLearner('cart', { maxDepth: 3, criterion: 'entropy' }, rng()).params).toMatchObject({ maxDepth: 3, criterion: 'entropy' });
  });

  it('rejects an unknown learner, listing the valid names', () => {
    expect(() => getLearnerSpec('xgboost')).toThrow(ModelInputError);
    expect(() => createLearner('xgboost', {}, rng())).toThrow(/unknown learner "xgboost"; valid learners: logistic, cart, rf, gbt, /);
  });

  it('rejects unknown parameters, listing the valid ones', () => {
    expect(() => createLearner('cart', { maxDepht: 3 }, rng())).toThrow(
      'learner "cart" has no parameter "maxDepht"; valid parameters: criterion, maxDepth, minSamplesLeaf, minSamplesSplit, maxFeatures',
    );
    expect(() => createLearner('cox', { nTrees: 3 }, rng())).toThrow(ModelInputError);
  });

  it('rejects values of the wrong type or out of range', () => {
    expect(() => createLearner('cart', { maxDepth: '3' }, rng())).toThrow(/parameter "maxDepth" must be a number, got "3"/);
    expect(() => createLearner('rf', { bootstrap: 1 }, rng())).toThrow(/parameter "bootstrap" must be a boolean/);
    expect(() => createLearner('cart', { maxDepth: -1 }, rng())).toThrow(/cart: parameter "maxDepth" = -1 is invalid; expected an integer >= 0/);
    expect(() => createLearner('cart', { criterion: 'mse' }, rng())).toThrow(/expected one of "gini", "entropy"/);
    expect(() => createLearner('logistic', { C: 0 }, rng())).toThrow(/parameter "C" = 0 is invalid/);
    expect(() => createLearner('gbt', { subsample: 1.5 }, rng())).toThrow(/"subsample" = 1.5 is invalid/);
    expect(() => createLearner('gbt', { maxBins: 300 }, rng())).toThrow(/"maxBins" = 300 is invalid; expected an integer in \[2, 255\]/);
    // maxFeatures takes a keyword or a number.
    expect(createLearner('rf', { maxFeatures: 3 }, rng()).params.maxFeatures).toBe(3);
  });

  it('typed constructors refuse a learner of the other task', () => {
    expect(createClassificationLearner('gbt', {}, rng()).task).toBe('classification');
    expect(() => createClassificationLearner('cox', {}, rng())).toThrow(/learner "cox" is a survival learner; classification learners: logistic, cart, rf, gbt/);
    expect(() => createSurvivalLearner('cart', {}, rng())).toThrow(/learner "cart" is a classification learner/);
  });

  it('every registered learner fits and predicts a toy problem with its defaults', () => {
    const X = matrixFromRows(Array.from({ length: 24 }, (_, i) => [i / 24, ((i * 7) % 24) / 24]));
    const y = Uint8Array.from({ length: 24 }, (_, i) => (i >= 12 ? 1 : 0));
    const time = Float64Array.from({ length: 24 }, (_, i) => 24 - i);
    const event = Uint8Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    for (const spec of learnerSpecs()) {
      const learner = createLearner(spec.name, {}, rng());
      if (learner.task === 'classification') {
        const p = learner.fit(X, { task: 'classification', y }).predictProba(X);
        expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
      } else {
        const s = learner.fit(X, { task: 'survival', time, event }).predictSurvival(X, Float64Array.of(5, 10, 20));
        expect(s.length).toBe(72);
        expect(s.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    }
  });
});
