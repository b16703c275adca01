/**
 * Behaviour of the classification learners on small constructed data: exact trees where the answer
 * is known, invariances (weights = duplicated rows, split-strategy equivalence), missing values,
 * bad input and the single-class rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Matrix, matrix, matrixFromRows } from '../../src/core/matrix.js';
import { ScratchBuffers } from '../../src/core/scratch.js';
import { SeededRng } from '../../src/core/rng.js';
import { auroc, logLoss } from '../../src/metrics/classification.js';
import { CartLearner, TreeClassifierModel } from '../../src/models/classification/cart.js';
import { ConstantClassifier } from '../../src/models/classification/common.js';
import { ForestClassifierModel } from '../../src/models/classification/forest.js';
import { BoostedTreesModel, binColumns } from '../../src/models/classification/gbt.js';
import { LogisticModel, fitLogisticNewton } from '../../src/models/classification/logistic.js';
import { ClassificationTreeGrower, ColumnPresorter, presortColumns } from '../../src/models/classification/treeGrower.js';
import { createClassificationLearner } from '../../src/models/registry.js';
import {
  ForestBuilder,
  LEAF,
  TreeBuilder,
  completeForest,
  forestTree,
  leafOf,
  predictCompleteForestInto,
  predictForestInto,
  treeDepth,
} from '../../src/models/tree/flatTree.js';
import { type ClassificationTarget, ModelInputError } from '../../src/models/types.js';

const LEARNERS = ['logistic', 'cart', 'rf', 'gbt'] as const;

function target(y: number[] | Uint8Array): ClassificationTarget {
  return { task: 'classification', y: Uint8Array.from(y) };
}

/** n rows, d features ~ U(0,1); y = 1 when x0 + x1 + noise > 1 (learnable, not separable). */
function synthetic(n: number, d: number, seed: number, missingRate = 0): { X: Matrix; y: Uint8Array } {
  const rng = new SeededRng(seed);
  const X = matrix(n, d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X.data[i * d + j] = rng.uniform();
    y[i] = X.data[i * d] + X.data[i * d + 1] + 0.3 * rng.normal() > 1 ? 1 : 0;
    for (let j = 0; j < d; j++) if (rng.uniform() < missingRate) X.data[i * d + j] = NaN;
  }
  return { X, y };
}

function duplicateRows(X: Matrix, y: Uint8Array, counts: number[]): { X: Matrix; y: Uint8Array } {
  const rows: number[][] = [];
  const labels: number[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) {
      rows.push(Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));
      labels.push(y[i]);
    }
  });
  return { X: matrixFromRows(rows), y: Uint8Array.from(labels) };
}

function expectClose(a: Float64Array, b: Float64Array, tol: number): void {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  expect(max).toBeLessThanOrEqual(tol);
}

describe.each(LEARNERS)('%s: input validation and the single-class rule', (name) => {
  const learner = () => createClassificationLearner(name, {}, new SeededRng(1));
  const X = matrixFromRows([[1], [2], [3], [4]]);

  it('rejects bad input with a ModelInputError naming the learner', () => {
    expect(() => learner().fit(matrix(0, 2), target([]))).toThrow(ModelInputError);
    expect(() => learner().fit(matrix(0, 2), target([]))).toThrow(new RegExp(`^${name}: cannot fit on zero rows`));
    expect(() => learner().fit(X, target([0, 1, 2, 0]))).toThrow(/label of row 2 is 2/);
    expect(() => learner().fit(X, target([0, 1, 1]))).toThrow(/3 labels for 4 rows/);
    expect(() => learner().fit(X, target([0, 1, 1, 0]), Float64Array.of(1, NaN, 1, 1))).toThrow(/weight of row 1 is NaN/);
    expect(() => learner().fit(X, target([0, 1, 1, 0]), Float64Array.of(1, 1, -2, 1))).toThrow(/weight of row 2 is -2; weights must be non-negative/);
    expect(() => learner().fit(X, target([0, 1, 1, 0]), Float64Array.of(1, 1))).toThrow(/2 weights for 4 rows/);
    expect(() => learner().fit(X, target([0, 1, 1, 0]), new Float64Array(4))).toThrow(/all sample weights are zero/);
    expect(() => learner().fit(matrixFromRows([[1], [Infinity], [3], [4]]), target([0, 1, 1, 0]))).toThrow(/row 1, column 0 is Infinity/);
  });

  it('returns a constant model with a warning when the labels (with weight) hold one class', () => {
    for (const [y, w, p] of [
      [[1, 1, 1, 1], undefined, 1],
      [[0, 0, 0, 0], undefined, 0],
      [[0, 1, 1, 0], Float64Array.of(0, 1, 2, 0), 1],
    ] as const) {
      const model = learner().fit(X, target([...y]), w);
      expect(model).toBeInstanceOf(ConstantClassifier);
      expect(Array.from(model.predictProba(X))).toEqual([p, p, p, p]);
      expect(model.diagnostics.warnings[0]).toMatch(/all \d; the model predicts P\(y=1\) = \d/);
    }
  });

  it('is deterministic given the seed, predicts probabilities, and writes into `out`', () => {
    const { X: Xs, y } = synthetic(60, 4, 11, 0.1);
    const a = createClassificationLearner(name, {}, new SeededRng(5)).fit(Xs, target(y)).predictProba(Xs);
    const out = new Float64Array(60);
    const b = createClassificationLearner(name, {}, new SeededRng(5)).fit(Xs, target(y)).predictProba(Xs, out);
    expect(b).toBe(out);
    expect(Array.from(b)).toEqual(Array.from(a));
    for (const p of a) expect(p >= 0 && p <= 1).toBe(true);
    expect(auroc(y, a)).toBeGreaterThan(0.7); // training fit of a learnable signal
  });
});


describe('cart', () => {
  it('splits separable data once, at the midpoint, with pure leaves', () => {
    const X = matrixFromRows([[0.1], [0.2], [0.4], [0.7]]);
    const model = new CartLearner({}, new SeededRng(1)).fit(X, target([0, 0, 1, 1])) as TreeClassifierModel;
    const t = model.tree;
    expect(t.nodeCount).toBe(3);
    expect(t.feature[0]).toBe(0);
    expect(t.threshold[0]).toBeCloseTo(0.3, 15);
    expect(t.value[t.left[0]]).toBe(0);
    expect(t.value[t.right[0]]).toBe(1);
    expect(Array.from(model.predictProba(matrixFromRows([[0.29], [0.31]])))).toEqual([0, 1]);
  });

  it('leaves a constant feature unsplit and predicts the weighted positive fraction', () => {
    const X = matrixFromRows([[5], [5], [5], [5]]);
    const model = new CartLearner({}, new SeededRng(1)).fit(X, target([1, 0, 0, 1]), Float64Array.of(3, 1, 1, 1)) as TreeClassifierModel;
    expect(model.tree.nodeCount).toBe(1);
    expect(model.predictProba(X)[0]).toBeCloseTo(4 / 6, 15);
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const { X, y } = synthetic(200, 5, 2);
    for (const [maxDepth, minSamplesLeaf] of [
      [2, 1],
      [4, 7],
      [0, 15],
    ]) {
      const model = new CartLearner({ maxDepth, minSamplesLeaf }, new SeededRng(1)).fit(X, target(y)) as TreeClassifierModel;
      if (maxDepth > 0) expect(treeDepth(model.tree)).toBeLessThanOrEqual(maxDepth);
      const perLeaf = new Map<number, number>();
      for (let i = 0; i < X.rows; i++) perLeaf.set(leafOf(model.tree, X, i), (perLeaf.get(leafOf(model.tree, X, i)) ?? 0) + 1);
      for (const c of perLeaf.values()) expect(c).toBeGreaterThanOrEqual(minSamplesLeaf);
    }
  });

  it('learns XOR with either criterion (a split with no gain is still taken, as scikit-learn)', () => {
    const X = matrixFromRows([[0, 0], [0, 1], [1, 0], [1, 1]]);
    for (const criterion of ['gini', 'entropy']) {
      const model = createClassificationLearner('cart', { criterion, maxDepth: 2 }, new SeededRng(1)).fit(X, target([0, 1, 1, 0]));
      expect(Array.from(model.predictProba(X))).toEqual([0, 1, 1, 0]);
    }
  });

  it('integer sample weights are equivalent to duplicated rows', () => {
    const { X, y } = synthetic(30, 3, 4, 0.1);
    const counts = Array.from({ length: 30 }, (_, i) => 1 + (i % 3));
    const dup = duplicateRows(X, y, counts);
    const a = new CartLearner({ maxDepth: 4 }, new SeededRng(9)).fit(X, target(y), Float64Array.from(counts)).predictProba(X);
    const b = new CartLearner({ maxDepth: 4 }, new SeededRng(9)).fit(dup.X, target(dup.y)).predictProba(X);
    expectClose(a, b, 1e-12);
  });

  it('learns where missing values go: all-missing positives are split off and NaN predicts 1', () => {
    const X = matrixFromRows([[1], [2], [3], [NaN], [NaN]]);
    const model = new CartLearner({}, new SeededRng(1)).fit(X, target([0, 0, 0, 1, 1])) as TreeClassifierModel;
    expect(model.tree.threshold[0]).toBe(Infinity); // observed left, missing right
    expect(model.tree.missingGoesLeft[0]).toBe(0);
    expect(Array.from(model.predictProba(matrixFromRows([[NaN], [2.5]])))).toEqual([1, 0]);
  });

  it('tries missing values on both sides of a threshold and keeps the better', () => {
    // Missing rows are positive, like the large values: the best split sends them right with x > 2.5.
    const X = matrixFromRows([[1], [2], [3], [4], [NaN], [NaN]]);
    const right = new CartLearner({ maxDepth: 1 }, new SeededRng(1)).fit(X, target([0, 0, 1, 1, 1, 1])) as TreeClassifierModel;
    expect(right.tree.threshold[0]).toBe(2.5);
    expect(right.tree.missingGoesLeft[0]).toBe(0);
    // Missing rows negative, like the small values: sent left.
    const left = new CartLearner({ maxDepth: 1 }, new SeededRng(1)).fit(X, target([0, 0, 1, 1, 0, 0])) as TreeClassifierModel;
    expect(left.tree.threshold[0]).toBe(2.5);
    expect(left.tree.missingGoesLeft[0]).toBe(1);
    expect(left.predictProba(matrixFromRows([[NaN]]))[0]).toBe(0);
  });

  it('sends missing values to the larger child where training had none', () => {
    const X = matrixFromRows([[1], [2], [3], [4], [5]]);
    const model = new CartLearner({}, new SeededRng(1)).fit(X, target([0, 0, 1, 1, 1])) as TreeClassifierModel;
    expect(model.tree.threshold[0]).toBe(2.5);
    expect(model.tree.missingGoesLeft[0]).toBe(0); // right child has 3 rows
    expect(model.predictProba(matrixFromRows([[NaN]]))[0]).toBe(1);
  });

  it('grows the same tree with partitioned or filtered node rows (only the cost differs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (seed) => {
        const rng = new SeededRng(seed);
        const n = 5 + rng.int(60);
        const d = 1 + rng.int(8);
        const X = matrix(n, d);
        for (let k = 0; k < X.data.length; k++) X.data[k] = rng.uniform() < 0.1 ? NaN : Math.round(rng.uniform() * 6);
        const y = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0));
        const w = Float64Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 0 : 0.5 + rng.int(3)));
        const params = {
          criterion: rng.uniform() < 0.5 ? ('gini' as const) : ('entropy' as const),
          maxDepth: rng.int(6),
          minSamplesLeaf: 1 + rng.int(3),
          minSamplesSplit: 2,
          maxFeatures: 1 + rng.int(d),
        };
        const cols = presortColumns(X);
        const grower = new ClassificationTreeGrower(n, d);
        const a = grower.grow(cols, y, w, params, new SeededRng(seed), 'partition').finish();
        const b = grower.grow(cols, y, w, params, new SeededRng(seed), 'filter').finish();
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });
});

describe('rf', () => {
  it('without bootstrap and with all features, one tree is the CART tree', () => {
    const { X, y } = synthetic(80, 4, 21, 0.05);
    const rf = createClassificationLearner('rf', { nTrees: 1, bootstrap: false, maxFeatures: 'all', maxDepth: 4 }, new SeededRng(2)).fit(X, target(y));
    const cart = createClassificationLearner('cart', { maxDepth: 4 }, new SeededRng(2)).fit(X, target(y));
    expect(Array.from(rf.predictProba(X))).toEqual(Array.from(cart.predictProba(X)));
  });

  it('averages its trees and generalises on a learnable problem', () => {
    const train = synthetic(300, 6, 31);
    const test = synthetic(300, 6, 32);
    const model = createClassificationLearner('rf', { nTrees: 50 }, new SeededRng(3)).fit(train.X, target(train.y)) as ForestClassifierModel;
    expect(model.forest.treeCount).toBe(50);
    const p = model.predictProba(test.X);
    // The forest's prediction is the mean of its trees' leaf probabilities.
    let mean = 0;
    for (let t = 0; t < 50; t++) mean += forestTree(model.forest, t).value[leafOf(forestTree(model.forest, t), test.X, 0)] / 50;
    expect(p[0]).toBeCloseTo(mean, 12);
    expect(auroc(test.y, p)).toBeGreaterThan(0.8);
    // Different seeds draw different bootstraps.
    const other = createClassificationLearner('rf', { nTrees: 50 }, new SeededRng(4)).fit(train.X, target(train.y)).predictProba(test.X);
    expect(Array.from(other)).not.toEqual(Array.from(p));
  });

  it('uses ⌊√d⌋ features per node by default and accepts counts and fractions', () => {
    expect(createClassificationLearner('rf', {}, new SeededRng(1)).params.maxFeatures).toBe('sqrt');
    expect(() => createClassificationLearner('rf', { maxFeatures: 0 }, new SeededRng(1))).toThrow(/maxFeatures/);
    expect(() => createClassificationLearner('rf', { maxFeatures: 'half' }, new SeededRng(1))).toThrow(/maxFeatures/);
    const { X, y } = synthetic(50, 9, 5);
    for (const maxFeatures of [1, 0.5, 'log2', 'all']) {
      expect(() => createClassificationLearner('rf', { nTrees: 3, maxFeatures }, new SeededRng(1)).fit(X, target(y))).not.toThrow();
    }
  });

  it('warns when a bootstrap sample draws only zero-weight rows', () => {
    const X = matrixFromRows([[1], [2], [3], [4], [5], [6], [7], [8]]);
    const w = Float64Array.of(1, 1, 0, 0, 0, 0, 0, 0);
    const model = createClassificationLearner('rf', { nTrees: 40 }, new SeededRng(1)).fit(X, target([0, 1, 0, 0, 0, 0, 0, 0]), w);
    expect(model.diagnostics.warnings.join(' ')).toMatch(/bootstrap sample\(s\) drew only zero-weight rows/);
  });
});

describe('flat forests', () => {
  it('blocked fixed-depth prediction reaches the same leaf as walking the tree, missing values included', () => {
    const train = synthetic(150, 5, 121, 0.2);
    // 203 rows: four-row blocks plus a remainder.
    const test = synthetic(203, 5, 122, 0.2);
    for (const maxDepth of [0, 1, 4, 8]) {
      const cart = new CartLearner({ maxDepth }, new SeededRng(maxDepth)).fit(train.X, target(train.y)) as TreeClassifierModel;
      const p = cart.predictProba(test.X);
      for (let i = 0; i < test.X.rows; i++) expect(p[i]).toBe(cart.tree.value[leafOf(cart.tree, test.X, i)]);
      const rf = createClassificationLearner('rf', { nTrees: 7, maxDepth }, new SeededRng(5)).fit(train.X, target(train.y)) as ForestClassifierModel;
      const q = rf.predictProba(test.X);
      for (let i = 0; i < test.X.rows; i++) {
        let mean = 0;
        for (let t = 0; t < 7; t++) {
          const tree = forestTree(rf.forest, t);
          mean += tree.value[leafOf(tree, test.X, i)];
        }
        expect(q[i]).toBeCloseTo(mean / 7, 14);
      }
    }
  });

  it('the complete (heap) layout predicts exactly like pointer traversal, missing values included', () => {
    const train = synthetic(120, 5, 111, 0.15);
    const test = synthetic(200, 5, 112, 0.15);
    for (const maxDepth of [1, 3, 5]) {
      const model = createClassificationLearner('rf', { nTrees: 15, maxDepth, maxFeatures: 2 }, new SeededRng(1)).fit(train.X, target(train.y)) as ForestClassifierModel;
      const complete = completeForest(model.forest, 6)!;
      expect(complete.depth).toBe(Math.max(...Array.from({ length: 15 }, (_, t) => treeDepth(forestTree(model.forest, t)))));
      const a = new Float64Array(200);
      const b = new Float64Array(200);
      predictForestInto(model.forest, test.X, a, 1 / 15, 0.25);
      predictCompleteForestInto(complete, test.X, b, 1 / 15, 0.25);
      expectClose(b, a, 1e-15);
    }
    const deep = createClassificationLearner('rf', { nTrees: 3 }, new SeededRng(1)).fit(train.X, target(train.y)) as ForestClassifierModel;
    expect(completeForest(deep.forest, 2)).toBeUndefined(); // deeper than allowed: keep pointers
  });

  it('the complete layout of single-leaf trees (depth 0) predicts the sum of their leaf values', () => {
    const forestBuilder = new ForestBuilder();
    const leaf = new TreeBuilder(1);
    for (const value of [0.1, 0.2, 0.4]) {
      leaf.reset();
      leaf.addLeaf(value);
      forestBuilder.append(leaf);
    }
    const forest = forestBuilder.finish();
    const complete = completeForest(forest, 6)!;
    expect(complete.depth).toBe(0);
    const X = matrixFromRows([[1], [NaN], [-3]]);
    const a = new Float64Array(3);
    const b = new Float64Array(3);
    predictForestInto(forest, X, a, 2, 0.5);
    predictCompleteForestInto(complete, X, b, 2, 0.5);
    expect(Array.from(b)).toEqual(Array.from(a));
    expectClose(b, Float64Array.of(1.9, 1.9, 1.9), 1e-15);
  });
});

describe('gbt', () => {
  it('with nothing to split, predicts the weighted positive fraction (base score = weighted log-odds)', () => {
    const X = matrixFromRows([[1], [1], [1], [1], [1]]);
    const w = Float64Array.of(1, 2, 1, 1, 3);
    const model = createClassificationLearner('gbt', {}, new SeededRng(1)).fit(X, target([1, 0, 0, 1, 1]), w) as BoostedTreesModel;
    expect(model.baseScore).toBeCloseTo(Math.log(5 / 3), 14);
    expect(model.predictProba(X)[0]).toBeCloseTo(5 / 8, 14);
    expect(model.diagnostics.warnings[0]).toMatch(/no split had positive gain/);
  });

  it('reduces the training loss as rounds are added', () => {
    const { X, y } = synthetic(120, 5, 41);
    let previous = Infinity;
    for (const nRounds of [1, 5, 20, 60]) {
      const p = createClassificationLearner('gbt', { nRounds }, new SeededRng(1)).fit(X, target(y)).predictProba(X);
      const loss = logLoss(y, p);
      expect(loss).toBeLessThan(previous);
      previous = loss;
    }
  });

  it('fits the same model with histograms or sorted rows, for any binning', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (seed) => {
        const rng = new SeededRng(seed);
        const n = 8 + rng.int(80);
        const d = 1 + rng.int(5);
        const X = matrix(n, d);
        for (let k = 0; k < X.data.length; k++) X.data[k] = rng.uniform() < 0.1 ? NaN : rng.uniform() < 0.3 ? rng.int(4) : rng.uniform();
        const y = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
        // Continuous weights: with a few distinct weights, different partitions often have exactly
        // equal gradient sums, and exact gain ties may be broken differently by the two finders.
        const w = Float64Array.from({ length: n }, () => (rng.uniform() < 0.2 ? 0 : 0.5 + 2 * rng.uniform()));
        if (!y.some((v, i) => v === 1 && w[i] > 0) || !y.some((v, i) => v === 0 && w[i] > 0)) return;
        const params = {
          nRounds: 5,
          maxDepth: rng.int(4),
          maxLeaves: rng.uniform() < 0.5 ? 0 : 2 + rng.int(6),
          minSamplesLeaf: 1 + rng.int(3),
          minChildWeight: rng.uniform() < 0.5 ? 0 : 0.3,
          lambda: rng.uniform(),
          maxBins: rng.uniform() < 0.5 ? 255 : 2 + rng.int(10),
        };
        const fit = (splitFinding: string) =>
          createClassificationLearner('gbt', { ...params, splitFinding }, new SeededRng(1)).fit(X, target(y), w) as BoostedTreesModel;
        const a = fit('histogram');
        const b = fit('sorted');
        // Same candidates in the same order, so the same partitions of the training rows. (Split
        // features, sides or even node counts may differ where two candidates tie exactly in gain
        // — typically one partition reached through two features — because the two finders sum g
        // and h in different orders; tied splits partition the rows alike, so the training margins
        // agree on the rows with positive weight.)
        const ma = a.decisionFunction(X);
        const mb = b.decisionFunction(X);
        for (let i = 0; i < n; i++) if (w[i] > 0) expect(Math.abs(ma[i] - mb[i])).toBeLessThan(1e-9);
      }),
      { numRuns: 120 },
    );
  });

  it('bins few distinct values exactly (midpoints) and many by quantiles', () => {
    const X = matrixFromRows([[1, 0], [3, 1], [3, 2], [6, 3], [NaN, 4], [10, 5]]);
    const w = Float64Array.of(1, 1, 1, 1, 1, 0); // the zero-weight row does not shape the bins
    const binned = binColumns(presortColumns(X), w, 4);
    expect(Array.from(binned.edges.subarray(binned.edgeStart[0], binned.edgeStart[1]))).toEqual([2, 4.5]);
    expect(Array.from(binned.codes.subarray(0, 6))).toEqual([0, 1, 1, 2, 255, 2]); // 10 > 4.5 → last bin
    // Feature 1 has 5 weighted distinct values > maxBins 4: midpoint quantiles at 1/4, 2/4, 3/4.
    expect(Array.from(binned.edges.subarray(binned.edgeStart[1], binned.edgeStart[2]))).toEqual([1, 2, 3]);
  });

  it('learns a missing-value direction: rows missing x behave like large x', () => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = i / 40;
      rows.push([i % 4 === 0 && x > 0.5 ? NaN : x]);
      y.push(x > 0.5 ? 1 : 0);
    }
    const model = createClassificationLearner('gbt', { nRounds: 30 }, new SeededRng(1)).fit(matrixFromRows(rows), target(y));
    const [missing, small, large] = model.predictProba(matrixFromRows([[NaN], [0.1], [0.9]]));
    expect(missing).toBeCloseTo(large, 12);
    expect(missing).toBeGreaterThan(small + 0.5);
  });

  it('integer weights equal duplicated rows; subsampling depends on the seed', () => {
    const { X, y } = synthetic(40, 3, 51, 0.1);
    const counts = Array.from({ length: 40 }, (_, i) => 1 + (i % 2));
    const dup = duplicateRows(X, y, counts);
    const a = createClassificationLearner('gbt', { nRounds: 10 }, new SeededRng(1)).fit(X, target(y), Float64Array.from(counts)).predictProba(X);
    const b = createClassificationLearner('gbt', { nRounds: 10 }, new SeededRng(1)).fit(dup.X, target(dup.y)).predictProba(X);
    expectClose(a, b, 1e-12);
    const s1 = createClassificationLearner('gbt', { subsample: 0.5 }, new SeededRng(1)).fit(X, target(y)).predictProba(X);
    const s1again = createClassificationLearner('gbt', { subsample: 0.5 }, new SeededRng(1)).fit(X, target(y)).predictProba(X);
    const s2 = createClassificationLearner('gbt', { subsample: 0.5 }, new SeededRng(2)).fit(X, target(y)).predictProba(X);
    expect(Array.from(s1again)).toEqual(Array.from(s1));
    expect(Array.from(s2)).not.toEqual(Array.from(s1));
  });

  it('respects maxDepth and maxLeaves', () => {
    const { X, y } = synthetic(200, 4, 61);
    const deep = createClassificationLearner('gbt', { nRounds: 3, maxDepth: 2 }, new SeededRng(1)).fit(X, target(y)) as BoostedTreesModel;
    for (let t = 0; t < 3; t++) expect(treeDepth(forestTree(deep.forest, t))).toBeLessThanOrEqual(2);
    const leafy = createClassificationLearner('gbt', { nRounds: 3, maxDepth: 0, maxLeaves: 5, minChildWeight: 0 }, new SeededRng(1)).fit(X, target(y)) as BoostedTreesModel;
    for (let t = 0; t < 3; t++) {
      const tree = forestTree(leafy.forest, t);
      expect(Array.from(tree.feature).filter((f) => f === LEAF).length).toBe(5);
    }
  });
});

describe('logistic', () => {
  /** Independent penalised-objective gradient (intercept unpenalised). */
  function gradient(X: Matrix, y: Uint8Array, w: Float64Array, coef: Float64Array, intercept: number, C: number): number[] {
    const g = new Array(X.cols + 1).fill(0);
    for (let i = 0; i < X.rows; i++) {
      let eta = intercept;
      for (let j = 0; j < X.cols; j++) eta += X.data[i * X.cols + j] * coef[j];
      const r = w[i] * (1 / (1 + Math.exp(-eta)) - y[i]);
      for (let j = 0; j < X.cols; j++) g[j] += r * X.data[i * X.cols + j];
      g[X.cols] += r;
    }
    for (let j = 0; j < X.cols; j++) g[j] += coef[j] / C;
    return g;
  }

  it('reaches a zero gradient of the penalised objective, with weights, for several C', () => {
    const { X, y } = synthetic(80, 5, 71);
    const w = Float64Array.from({ length: 80 }, (_, i) => 0.5 + (i % 4));
    for (const C of [0.01, 1, 100]) {
      const model = createClassificationLearner('logistic', { C }, new SeededRng(1)).fit(X, target(y), w) as LogisticModel;
      expect(model.diagnostics.converged).toBe(true);
      for (const g of gradient(X, y, w, model.coef, model.intercept, C)) expect(Math.abs(g)).toBeLessThan(1e-8);
    }
  });

  it('tends to the unpenalised maximum-likelihood solution as C grows (saturated two-group model)', () => {
    // x ∈ {0, 1}; P(y=1 | x=0) = 1/4, P(y=1 | x=1) = 2/3: MLE intercept logit(1/4), slope logit(2/3) − logit(1/4).
    const X = matrixFromRows([[0], [0], [0], [0], [1], [1], [1]]);
    const model = createClassificationLearner('logistic', { C: 1e9 }, new SeededRng(1)).fit(X, target([1, 0, 0, 0, 1, 1, 0])) as LogisticModel;
    expect(model.intercept).toBeCloseTo(Math.log(1 / 3), 6);
    expect(model.coef[0]).toBeCloseTo(Math.log(2) - Math.log(1 / 3), 6);
  });

  it('gives a constant column coefficient 0 (the unpenalised intercept absorbs it)', () => {
    const { X, y } = synthetic(50, 2, 81);
    const withConstant = matrix(50, 3);
    for (let i = 0; i < 50; i++) withConstant.data.set([X.data[2 * i], 7, X.data[2 * i + 1]], 3 * i);
    const model = createClassificationLearner('logistic', {}, new SeededRng(1)).fit(withConstant, target(y)) as LogisticModel;
    expect(Math.abs(model.coef[1])).toBeLessThan(1e-9);
  });

  it('treats missing values as 0 in fitting and prediction, with a warning', () => {
    const X = matrixFromRows([[1, NaN], [2, 1], [3, 0], [4, 1], [0.5, 2]]);
    const zeroed = matrixFromRows([[1, 0], [2, 1], [3, 0], [4, 1], [0.5, 2]]);
    const y = target([0, 0, 1, 1, 0]);
    const a = createClassificationLearner('logistic', {}, new SeededRng(1)).fit(X, y) as LogisticModel;
    const b = createClassificationLearner('logistic', {}, new SeededRng(1)).fit(zeroed, y) as LogisticModel;
    expect(Array.from(a.coef)).toEqual(Array.from(b.coef));
    expect(a.diagnostics.warnings[0]).toMatch(/1 missing value\(s\) in X contribute 0/);
    expect(Array.from(a.predictProba(X))).toEqual(Array.from(b.predictProba(zeroed)));
  });

  it('says when it stops before converging', () => {
    const { X, y } = synthetic(60, 4, 91);
    const model = createClassificationLearner('logistic', { maxIter: 1 }, new SeededRng(1)).fit(X, target(y)) as LogisticModel;
    expect(model.diagnostics.converged).toBe(false);
    expect(model.diagnostics.iterations).toBe(1);
    expect(model.diagnostics.warnings.join(' ')).toMatch(/did not converge in 1 Newton iterations/);
  });

  it('a fit depends on its inputs alone, not on earlier fits (direction evaluations on any thread agree bit for bit)', () => {
    const first = synthetic(40, 5, 7);
    const second = synthetic(40, 5, 8);
    const used = createClassificationLearner('logistic', {}, new SeededRng(1));
    used.fit(first.X, target(first.y));
    const afterAnother = used.fit(second.X, target(second.y)) as LogisticModel;
    const fresh = createClassificationLearner('logistic', {}, new SeededRng(1)).fit(second.X, target(second.y)) as LogisticModel;
    expect(Array.from(afterAnother.coef)).toEqual(Array.from(fresh.coef));
    expect(afterAnother.intercept).toBe(fresh.intercept);
  });

  it('an anchored fit depends on its inputs and the anchor only, and converges to the cold fit', () => {
    const base = synthetic(40, 5, 7);
    const near = synthetic(40, 5, 8);
    const other = synthetic(40, 5, 9);
    const a = createClassificationLearner('logistic', {}, new SeededRng(1));
    a.anchorAt!(base.X, target(base.y));
    const fromA = a.fit(near.X, target(near.y)) as LogisticModel;
    const b = createClassificationLearner('logistic', {}, new SeededRng(1));
    b.fit(other.X, target(other.y));
    b.anchorAt!(base.X, target(base.y));
    b.fit(other.X, target(other.y));
    const fromB = b.fit(near.X, target(near.y)) as LogisticModel;
    expect(Array.from(fromB.coef)).toEqual(Array.from(fromA.coef));
    expect(fromB.intercept).toBe(fromA.intercept);
    const cold = createClassificationLearner('logistic', {}, new SeededRng(1)).fit(near.X, target(near.y)) as LogisticModel;
    expectClose(fromA.coef, cold.coef, 1e-8);
  });

  it('integer weights equal duplicated rows', () => {
    const { X, y } = synthetic(30, 3, 101);
    const counts = Array.from({ length: 30 }, (_, i) => 1 + (i % 3));
    const dup = duplicateRows(X, y, counts);
    const a = fitLogisticNewton(X, y, Float64Array.from(counts), { C: 1, maxIter: 100, tol: 1e-12 });
    const b = fitLogisticNewton(dup.X, dup.y, new Float64Array(dup.y.length).fill(1), { C: 1, maxIter: 100, tol: 1e-12 });
    expectClose(a.coef, b.coef, 1e-9);
    expect(a.intercept).toBeCloseTo(b.intercept, 9);
  });
});

describe('fitLogisticNewton work buffers', () => {
  it('a fit reusing buffers left dirty by fits of other sizes equals a fit with fresh buffers, bit for bit', () => {
    const scratch = new ScratchBuffers();
    const params = { C: 1, maxIter: 100, tol: 1e-10 };
    for (const [n, d, seed] of [[120, 5, 1], [40, 3, 2], [80, 6, 3], [40, 3, 4]] as const) {
      const { X, y } = synthetic(n, d, seed);
      const w = new Float64Array(n).fill(1);
      for (let i = 0; i < n; i += 3) w[i] = 2;
      const reused = fitLogisticNewton(X, y, w, params, undefined, scratch);
      const fresh = fitLogisticNewton(X, y, w, params);
      expect(Array.from(reused.coef)).toEqual(Array.from(fresh.coef));
      expect(reused.intercept).toBe(fresh.intercept);
      expect(reused.diagnostics).toEqual(fresh.diagnostics);
    }
  });
});

describe('ColumnPresorter', () => {
  it('ColumnPresorter re-sorts warm starts to the same result as a fresh sort', () => {
    const presorter = new ColumnPresorter();
    const rng = new SeededRng(3);
    for (let trial = 0; trial < 5; trial++) {
      const { X } = synthetic(40, 3, 100 + trial, 0.15);
      for (let k = 0; k < X.data.length; k++) if (rng.uniform() < 0.2) X.data[k] = Math.round(X.data[k] * 4); // ties
      const warm = presorter.sort(X);
      expect(Array.from(warm.order)).toEqual(Array.from(presortColumns(X).order));
      expect(warm.hasMissing).toBe(true);
    }
    // Without missing values (the finite re-sort), ties included.
    for (let trial = 0; trial < 5; trial++) {
      const { X } = synthetic(40, 3, 200 + trial);
      for (let k = 0; k < X.data.length; k++) if (rng.uniform() < 0.3) X.data[k] = Math.round(X.data[k] * 4);
      const warm = presorter.sort(X);
      expect(warm.hasMissing).toBe(false);
      expect(Array.from(warm.order)).toEqual(Array.from(presortColumns(X).order));
    }
  });
});
