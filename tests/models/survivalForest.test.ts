import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { harrellC } from '../../src/metrics/survival.js';
import { RandomSurvivalForestLearner } from '../../src/models/survival/forest.js';
import { loadSurvivalSplit, SURVIVAL_DATASETS, survivalReference } from './survivalReference.js';

/**
 * ranger 0.14 (200 trees, defaults, mean of 3 seeds) against our forest with the same defaults,
 * mean over seeds. Different random streams: a tolerance, not equality.
 */
describe.each(SURVIVAL_DATASETS)('random survival forest on %s against ranger', (name) => {
  it('test Harrell C within 0.015 of ranger (200 trees, mean over seeds)', async () => {
    const split = await loadSurvivalSplit(name);
    const seeds = name === 'support' ? [1, 2] : [1, 2, 3];
    const cs: number[] = [];
    for (const seed of seeds) {
      const model = new RandomSurvivalForestLearner({ nTrees: 200 }, new SeededRng(seed)).fit(split.trainX, split.train);
      cs.push(harrellC(split.test.time, split.test.event, model.predictRisk(split.testX)).cIndex);
    }
    const mean = cs.reduce((a, b) => a + b, 0) / cs.length;
    const expected = survivalReference[name].random_survival_forest_ranger_200_test_harrell_c;
    console.log(`rsf ${name}: C = ${cs.map((c) => c.toFixed(4)).join(', ')} (mean ${mean.toFixed(4)}), ranger ${expected.toFixed(4)}`);
    expect(Math.abs(mean - expected)).toBeLessThan(0.015);
  });
});
