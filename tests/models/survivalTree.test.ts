import { describe, expect, it } from 'vitest';
import { matrix, type Matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { RandomSurvivalForestLearner, SurvivalTreeLearner } from '../../src/models/survival/forest.js';
import { findLeaf } from '../../src/models/survival/tree.js';
import { ModelInputError, type SurvivalTarget } from '../../src/models/types.js';

/** Mixed features: continuous, binary, 5-level integer, continuous with ties; tied times. */
function simulate(seed: number, n: number): { X: Matrix; target: SurvivalTarget } {
  const rng = new SeededRng(seed);
  const d = 4;
  const X = matrix(n, d);
  const time = new Float64Array(n), event = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x0 = rng.normal(), x1 = rng.uniform() < 0.4 ? 1 : 0, x2 = rng.int(5), x3 = Math.round(rng.normal() * 4) / 4;
    X.data.set([x0, x1, x2, x3], i * d);
    const eta = 0.8 * x0 + 0.7 * x1 - 0.3 * x2;
    const t = -Math.log(1 - rng.uniform()) / Math.exp(eta);
    const c = -Math.log(1 - rng.uniform()) * 1.5;
    time[i] = Math.max(0.1, Math.round(Math.min(t, c) * 10) / 10);
    event[i] = t <= c ? 1 : 0;
  }
  return { X, target: { task: 'survival', time, event } };
}

/** Standardised log-rank statistic of the split "rows in `left`" vs the rest, straight from the definition. */
function logRank(time: Float64Array, event: Uint8Array, weight: Float64Array, left: boolean[]): number {
  const eventTimes = [...new Set(Array.from(time).filter((_, i) => event[i] === 1 && weight[i] > 0))].sort((a, b) => a - b);
  let u = 0, v = 0;
  for (const t of eventTimes) {
    let d = 0, y = 0, dl = 0, yl = 0;
    for (let i = 0; i < time.length; i++) {
      if (time[i] >= t) {
        y += weight[i];
        if (left[i]) yl += weight[i];
      }
      if (time[i] === t && event[i] === 1) {
        d += weight[i];
        if (left[i]) dl += weight[i];
      }
    }
    u += dl - (yl * d) / y;
    if (y > 1) v += (yl / y) * (1 - yl / y) * ((d * (y - d)) / (y - 1));
  }
  return v > 0 ? Math.abs(u) / Math.sqrt(v) : -1;
}

/** Best root split by exhaustive search over every feature and midpoint (children ≥ minLeaf rows). */
function bruteForceRootSplit(X: Matrix, target: SurvivalTarget, weight: Float64Array, minLeaf: number) {
  let best = { statistic: -1, feature: -1, threshold: NaN };
  for (let f = 0; f < X.cols; f++) {
    const values = [...new Set(Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + f]))].sort((a, b) => a - b);
    for (let k = 0; k + 1 < values.length; k++) {
      const threshold = (values[k] + values[k + 1]) / 2;
      const left = Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + f] <= threshold);
      const nLeft = left.filter(Boolean).length;
      if (nLeft < minLeaf || X.rows - nLeft < minLeaf) continue;
      const s = logRank(target.time, target.event, weight, left);
      if (s > best.statistic + 1e-12) best = { statistic: s, feature: f, threshold };
    }
  }
  return best;
}

function rootSplit(model: { trees: readonly { feature: Int32Array; threshold: Float64Array }[] }) {
  return { feature: model.trees[0].feature[0], threshold: model.trees[0].threshold[0] };
}

describe('survival tree: log-rank split search', () => {
  it('the root split is the exhaustive-search maximiser of |U|/√V (sorted and level features, ties, weights)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { X, target } = simulate(seed, 60);
      const weighted = seed % 2 === 0;
      const rng = new SeededRng(seed);
      const w = new Float64Array(60).map(() => (weighted ? 0.5 + rng.int(3) : 1));
      // The learner scales weights to mean 1; the brute force must use the same frequency scale.
      const mean = w.reduce((a, b) => a + b, 0) / 60;
      const scaled = w.map((v) => v / mean);
      const model = new SurvivalTreeLearner({ maxDepth: 1, minSamplesLeaf: 5 }, new SeededRng(0)).fit(X, target, weighted ? w : undefined);
      const expected = bruteForceRootSplit(X, target, scaled, 5);
      expect(rootSplit(model)).toEqual({ feature: expected.feature, threshold: expected.threshold });
      // Each feature on its own, so that every split kind (sorted sweep, level histogram) is checked.
      for (let f = 0; f < X.cols; f++) {
        const column = matrix(X.rows, 1, Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + f]));
        const single = new SurvivalTreeLearner({ maxDepth: 1, minSamplesLeaf: 3 }, new SeededRng(0)).fit(column, target, weighted ? w : undefined);
        const best = bruteForceRootSplit(column, target, scaled, 3);
        expect(rootSplit(single)).toEqual({ feature: best.feature, threshold: best.threshold });
      }
    }
  });

  it('leaves hold the Nelson–Aalen hazard; survival = exp(−H); risk = Σ H over the training event times', () => {
    const time = Float64Array.from([1, 2, 2, 3, 4, 5]), event = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    const X = matrix(6, 1, new Float64Array(6).fill(7)); // constant feature: no split, one leaf
    const model = new SurvivalTreeLearner({}, new SeededRng(1)).fit(X, { task: 'survival', time, event });
    expect(model.trees[0].leafCount).toBe(1);
    expect(model.diagnostics.warnings.join(' ')).toMatch(/no split/);
    const h = [1 / 6, 1 / 6 + 1 / 5, 1 / 6 + 1 / 5 + 1 / 3, 1 / 6 + 1 / 5 + 1 / 3 + 1]; // at 1, 2, 3, 5
    const times = Float64Array.from([0.5, 1, 2.5, 3, 4.5, 5, 9]);
    const s = model.predictSurvival(matrix(1, 1, Float64Array.from([7])), times);
    const expected = [0, h[0], h[1], h[2], h[2], h[3], h[3]].map((v) => Math.exp(-v));
    expected.forEach((v, k) => expect(s[k]).toBeCloseTo(v, 14));
    const risk = model.predictRisk(matrix(1, 1, Float64Array.from([7])));
    expect(risk[0]).toBeCloseTo(h[0] + h[1] + h[2] + h[3], 14);
  });
});

describe('survival tree: growth constraints and properties', () => {
  it('respects maxDepth and minSamplesLeaf; curves are non-increasing in [0, 1]', () => {
    const { X, target } = simulate(21, 200);
    for (const [maxDepth, minSamplesLeaf] of [[2, 3], [4, 10], [0, 3]] as const) {
      const model = new SurvivalTreeLearner({ maxDepth, minSamplesLeaf }, new SeededRng(2)).fit(X, target);
      const tree = model.trees[0];
      const depthOf = new Int32Array(tree.nodeCount);
      let maxSeen = 0;
      for (let node = 0; node < tree.nodeCount; node++) {
        if (tree.feature[node] >= 0) {
          depthOf[tree.left[node]] = depthOf[tree.right[node]] = depthOf[node] + 1;
          maxSeen = Math.max(maxSeen, depthOf[node] + 1);
        }
      }
      if (maxDepth > 0) expect(maxSeen).toBeLessThanOrEqual(maxDepth);
      expect(tree.leafCount).toBeGreaterThan(1);
      const rowsPerLeaf = new Int32Array(tree.leafCount);
      for (let i = 0; i < X.rows; i++) rowsPerLeaf[findLeaf(tree, X, i)]++;
      for (const c of rowsPerLeaf) expect(c).toBeGreaterThanOrEqual(minSamplesLeaf);
      const times = Float64Array.from([0.1, 0.3, 0.7, 1, 2, 5]);
      const s = model.predictSurvival(X, times);
      for (let i = 0; i < X.rows; i++) {
        for (let k = 0; k < times.length; k++) {
          const v = s[i * times.length + k];
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(k === 0 ? 1 : s[i * times.length + k - 1]);
        }
      }
    }
  });

  it('weights: scale-invariant, and integer weights of mean 1 equal replicated rows', () => {
    const { X, target } = simulate(5, 80);
    const rng = new SeededRng(9);
    const w = new Float64Array(80);
    for (let i = 0; i < 80; i += 2) {
      const k = rng.int(3); // pairs (k, 2 − k) keep the mean at exactly 1
      w[i] = k;
      w[i + 1] = 2 - k;
    }
    const learner = () => new SurvivalTreeLearner({ maxDepth: 3, minSamplesLeaf: 1 }, new SeededRng(4));
    const weighted = learner().fit(X, target, w);
    const scaledUp = learner().fit(X, target, w.map((v) => v * 7.5));
    const rows: number[] = [];
    w.forEach((k, i) => {
      for (let r = 0; r < k; r++) rows.push(i);
    });
    const Xr = matrix(rows.length, X.cols);
    rows.forEach((i, r) => Xr.data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols));
    const replicated = learner().fit(Xr, {
      task: 'survival',
      time: Float64Array.from(rows, (i) => target.time[i]),
      event: Uint8Array.from(rows, (i) => target.event[i]),
    });
    const times = Float64Array.from([0.2, 0.5, 1, 2]);
    const a = weighted.predictSurvival(X, times), b = scaledUp.predictSurvival(X, times), c = replicated.predictSurvival(X, times);
    for (let q = 0; q < a.length; q++) {
      expect(b[q]).toBeCloseTo(a[q], 12);
      expect(c[q]).toBeCloseTo(a[q], 12);
    }
  });

  it('is deterministic given the Rng seed; a NaN feature at prediction follows the heavier child', () => {
    const { X, target } = simulate(8, 120);
    const a = new RandomSurvivalForestLearner({ nTrees: 10 }, new SeededRng(3)).fit(X, target);
    const b = new RandomSurvivalForestLearner({ nTrees: 10 }, new SeededRng(3)).fit(X, target);
    const c = new RandomSurvivalForestLearner({ nTrees: 10 }, new SeededRng(4)).fit(X, target);
    expect(Array.from(a.predictRisk(X))).toEqual(Array.from(b.predictRisk(X)));
    expect(Array.from(a.predictRisk(X))).not.toEqual(Array.from(c.predictRisk(X)));
    const tree = new SurvivalTreeLearner({ maxDepth: 1 }, new SeededRng(1)).fit(X, target).trees[0];
    const f = tree.feature[0];
    const row = matrix(1, X.cols, X.data.slice(0, X.cols));
    row.data[f] = NaN;
    let leftRows = 0;
    for (let i = 0; i < X.rows; i++) if (X.data[i * X.cols + f] <= tree.threshold[0]) leftRows++;
    const heavier = leftRows >= X.rows - leftRows ? tree.left[0] : tree.right[0];
    expect(findLeaf(tree, row, 0)).toBe(tree.leafOf[heavier]);
  });
});

describe('random survival forest', () => {
  it('one tree without bootstrap and with all features equals the unlimited-depth survival tree', () => {
    const { X, target } = simulate(13, 150);
    const forest = new RandomSurvivalForestLearner({ nTrees: 1, bootstrap: false, maxFeatures: 4 }, new SeededRng(1)).fit(X, target);
    const tree = new SurvivalTreeLearner({ maxDepth: 0 }, new SeededRng(2)).fit(X, target);
    const times = Float64Array.from([0.2, 0.6, 1.5]);
    expect(Array.from(forest.predictSurvival(X, times))).toEqual(Array.from(tree.predictSurvival(X, times)));
    expect(Array.from(forest.predictRisk(X))).toEqual(Array.from(tree.predictRisk(X)));
  });

  it('averages cumulative hazards over trees: survival = exp(−mean H), risk = mean mortality', () => {
    const { X, target } = simulate(17, 100);
    const forest = new RandomSurvivalForestLearner({ nTrees: 5 }, new SeededRng(6)).fit(X, target);
    const times = Float64Array.from([0.3, 1]);
    const s = forest.predictSurvival(X, times);
    const risk = forest.predictRisk(X);
    for (const i of [0, 50, 99]) {
      let mortality = 0;
      const h = [0, 0];
      for (const tree of forest.trees) {
        const leaf = findLeaf(tree, X, i);
        mortality += tree.leafMortality[leaf];
        for (let k = 0; k < 2; k++) {
          let value = 0;
          for (let c = tree.curveStart[leaf]; c < tree.curveStart[leaf + 1]; c++) if (tree.curveTimes[c] <= times[k]) value = tree.curveHazard[c];
          h[k] += value;
        }
      }
      expect(risk[i]).toBeCloseTo(mortality / 5, 12);
      for (let k = 0; k < 2; k++) expect(s[i * 2 + k]).toBeCloseTo(Math.exp(-h[k] / 5), 12);
    }
  });

  it('learns the signal: test C well above 1/2 on simulated data', async () => {
    const { harrellC } = await import('../../src/metrics/survival.js');
    const train = simulate(30, 400), test = simulate(31, 400);
    const forest = new RandomSurvivalForestLearner({ nTrees: 50 }, new SeededRng(7)).fit(train.X, train.target);
    expect(harrellC(test.target.time, test.target.event, forest.predictRisk(test.X)).cIndex).toBeGreaterThan(0.65);
  });

  it('rejects bad input and bad hyperparameters', () => {
    const { X, target } = simulate(1, 20);
    const rng = new SeededRng(1);
    expect(new SurvivalTreeLearner({}, rng).fit(X, { ...target, event: new Uint8Array(20) }).diagnostics.warnings.join(' ')).toMatch(/no events/);
    const bad = matrix(20, X.cols, X.data.slice());
    bad.data[5] = NaN;
    expect(() => new RandomSurvivalForestLearner({}, rng).fit(bad, target)).toThrow(ModelInputError);
    expect(() => new RandomSurvivalForestLearner({}, rng).fit(X, target, new Float64Array(20).fill(-1))).toThrow(/weight/);
    expect(() => new RandomSurvivalForestLearner({ nTrees: 0 }, rng)).toThrow(ModelInputError);
    expect(() => new SurvivalTreeLearner({ maxDepth: 1.5 }, rng)).toThrow(ModelInputError);
    const model = new SurvivalTreeLearner({}, rng).fit(X, target);
    expect(() => model.predictRisk(matrix(2, X.cols + 1))).toThrow(ModelInputError);
  });
});
