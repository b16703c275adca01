import { describe, expect, it } from 'vitest';
import { kaplanMeier, kaplanMeierAt } from '../../src/metrics/survival.js';
import { loadSurvivalSplit, SURVIVAL_DATASETS, survivalReference } from '../models/survivalReference.js';

describe.each(SURVIVAL_DATASETS)('Kaplan–Meier on the %s training split against R survfit', (name) => {
  it('survival at the reference times', async () => {
    const { train } = await loadSurvivalSplit(name);
    const expected = survivalReference[name].kaplan_meier_train;
    const s = kaplanMeierAt(kaplanMeier(train.time, train.event), expected.times);
    expected.survival.forEach((v, k) => expect(Math.abs(s[k] - v)).toBeLessThan(1e-12));
  });
});
