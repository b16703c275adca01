// TEMPORARY scratch (to be deleted): loads CSVs directly while the bundled loader rejects them.
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { harrellC, kaplanMeier, kaplanMeierAt } from '../../src/metrics/survival.js';
import { fitCox } from '../../src/models/survival/cox.js';
import { RandomSurvivalForestLearner } from '../../src/models/survival/forest.js';
import { SeededRng } from '../../src/core/rng.js';
import { survivalReference } from './survivalReference.js';

function load(name: 'metabric' | 'support') {
  const lines = readFileSync(`datasets/${name}.csv`, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  const test = new Set<number>(JSON.parse(readFileSync(`datasets/${name}.split.json`, 'utf8')).test);
  const feats = survivalReference[name].features;
  const build = (idx: number[]) => {
    const X = matrix(idx.length, feats.length);
    const time = new Float64Array(idx.length), event = new Uint8Array(idx.length);
    idx.forEach((r, i) => {
      feats.forEach((f, j) => {
        const [col, lvl] = f.split('=');
        const v = rows[r][header.indexOf(col)];
        X.data[i * feats.length + j] = lvl === undefined ? v : v === Number(lvl) ? 1 : 0;
      });
      time[i] = rows[r][header.indexOf('time')];
      event[i] = rows[r][header.indexOf('event')];
    });
    return { X, target: { task: 'survival' as const, time, event } };
  };
  const all = rows.map((_, i) => i);
  return { train: build(all.filter((i) => !test.has(i))), test: build(all.filter((i) => test.has(i))) };
}

for (const name of ['metabric', 'support'] as const) {
  it(`scratch ${name}`, () => {
    const ref = survivalReference[name];
    const { train, test } = load(name);
    for (const ties of ['efron', 'breslow'] as const) {
      const e = ties === 'efron' ? ref.cox_efron : ref.cox_breslow;
      const t0 = performance.now();
      const m = fitCox(train.X, train.target, undefined, { ties });
      const ms = performance.now() - t0;
      const maxRel = Math.max(...e.coef.map((b, j) => Math.abs(m.coefficients[j] - b) / Math.abs(b)));
      const h = m.baselineCumulativeHazardAt(e.baseline_cumhaz_times);
      const c = harrellC(test.target.time, test.target.event, m.predictRisk(test.X));
      console.log(name, ties, `${ms.toFixed(1)}ms iters ${m.diagnostics.iterations}/${e.iterations} maxRel ${maxRel.toExponential(2)} ll ${(m.diagnostics.loglik - e.loglik).toExponential(2)} ll0 ${(m.diagnostics.loglikNull - e.loglik_null).toExponential(2)}`,
        'H', Array.from(h).map((v, k) => (v - e.baseline_cumhaz[k]).toExponential(2)).join(' '), 'C', (c.cIndex - e.test_harrell_c).toExponential(2), JSON.stringify(c.pairs), JSON.stringify(e.test_pair_counts), m.diagnostics.warnings);
    }
    const km = kaplanMeierAt(kaplanMeier(train.target.time, train.target.event), ref.kaplan_meier_train.times);
    console.log('KM', Array.from(km).map((v, k) => (v - ref.kaplan_meier_train.survival[k]).toExponential(2)).join(' '));
    const t0 = performance.now();
    const cs = [];
    for (const seed of [1, 2]) {
      const f = new RandomSurvivalForestLearner({ nTrees: 200 }, new SeededRng(seed)).fit(train.X, train.target);
      cs.push(harrellC(test.target.time, test.target.event, f.predictRisk(test.X)).cIndex);
    }
    console.log('rsf', name, cs, 'ranger', ref.random_survival_forest_ranger_200_test_harrell_c, `${(performance.now() - t0).toFixed(0)}ms`);
  });
}
