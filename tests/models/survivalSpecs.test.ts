import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { createLearner } from '../../src/models/registry.js';
import { survivalLearnerSpecs } from '../../src/models/survival/index.js';
import { ModelInputError, type SurvivalLearner } from '../../src/models/types.js';

function toyData() {
  const rng = new SeededRng(1);
  const n = 60, d = 3;
  const X = matrix(n, d);
  const time = new Float64Array(n), event = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X.data[i * d + j] = rng.normal();
    time[i] = (-Math.log(1 - rng.uniform()) / Math.exp(X.data[i * d])) + 0.01;
    event[i] = rng.uniform() < 0.7 ? 1 : 0;
  }
  return { X, target: { task: 'survival' as const, time, event } };
}

describe('survivalLearnerSpecs', () => {
  it('registers cox, survtree and rsf with the condensation defaults', () => {
    const byName = Object.fromEntries(survivalLearnerSpecs.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['cox', 'rsf', 'survtree']);
    expect(byName.cox.defaults).toMatchObject({ ties: 'efron', ridge: 0 });
    expect(byName.survtree.defaults).toMatchObject({ maxDepth: 4 });
    expect(byName.rsf.defaults).toMatchObject({ nTrees: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3 });
    for (const spec of survivalLearnerSpecs) {
      expect(spec.task).toBe('survival');
      // Defaults must be serialisable as they are (receipts, CLI help).
      expect(JSON.parse(JSON.stringify(spec.defaults))).toEqual(spec.defaults);
    }
  });

  it('creates learners that fit and predict, passing parameters through', () => {
    const { X, target } = toyData();
    const times = Float64Array.from([0.2, 0.5, 1]);
    for (const spec of survivalLearnerSpecs) {
      const learner = spec.create({}, new SeededRng(2)) as SurvivalLearner;
      expect(learner.name).toBe(spec.name);
      const model = learner.fit(X, target);
      expect(model.predictRisk(X)).toHaveLength(60);
      expect(model.predictSurvival(X, times)).toHaveLength(180);
    }
    const cox = survivalLearnerSpecs.find((s) => s.name === 'cox')!;
    expect((cox.create({ ties: 'breslow', ridge: 2 }, new SeededRng(1)) as SurvivalLearner).params).toMatchObject({ ties: 'breslow', ridge: 2 });
    const rsf = survivalLearnerSpecs.find((s) => s.name === 'rsf')!;
    const forest = (rsf.create({ nTrees: 7, maxFeatures: 2 }, new SeededRng(1)) as SurvivalLearner).fit(X, target);
    expect(forest.diagnostics).toMatchObject({ trees: 7 });
  });

  it('rejects unknown parameters and invalid values with ModelInputError', () => {
    const get = (name: string) => survivalLearnerSpecs.find((s) => s.name === name)!;
    // Names and value types are checked once, by the registry; ranges by the learner's own resolution.
    expect(() => createLearner('cox', { tie: 'efron' }, new SeededRng(1))).toThrow(/no parameter "tie"/);
    expect(() => createLearner('rsf', { bootstrap: 1 }, new SeededRng(1))).toThrow(ModelInputError);
    expect(() => get('cox').create({ ties: 'exact' }, new SeededRng(1))).toThrow(ModelInputError);
    expect(() => get('survtree').create({ maxDepth: -1 }, new SeededRng(1))).toThrow(ModelInputError);
    expect(() => get('rsf').create({ maxFeatures: 'cube' }, new SeededRng(1))).toThrow(ModelInputError);
    expect(() => get('rsf').create({ bootstrap: 1 as unknown as boolean }, new SeededRng(1))).toThrow(ModelInputError);
  });
});
