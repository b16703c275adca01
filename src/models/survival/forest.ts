/**
 * The survival tree and random survival forest learners, both fitted models being an ensemble of
 * flat log-rank trees (`tree.ts`) that averages cumulative hazards:
 *   H(t | x) = mean over trees of the Nelson–Aalen H of x's leaf,   S(t | x) = exp(−H(t | x)),
 *   risk(x) = mean over trees of the leaf mortality (Σ of H over the training event times),
 * which is what ranger returns (`chf`, `survival = exp(−chf)`, and the summed chf it uses for its
 * C-index). Averaging the step functions at the requested times is the same as averaging on ranger's
 * common grid of training event times and then reading the step function.
 *
 * Random survival forest defaults follow ranger 0.14 for survival: bootstrap with replacement of n
 * rows (sample.fraction 1), mtry = ⌊√d⌋, min.node.size 3 (every child ≥ 3 rows), unlimited depth,
 * log-rank splitting. Case weights multiply the bootstrap counts (scikit-learn's convention, so the
 * fit depends continuously on the weights); they are not used as sampling probabilities (ranger's
 * `case.weights`).
 *
 * Known differences from ranger (hence a tolerance, not equality, in the reference test): ranger
 * counts a censored subject at risk up to the first death time ≥ its own time (its time-point
 * mapping), we use T_i ≥ t_k exactly; and the random streams differ.
 *
 * Randomness: each fit draws from the learner's Rng (bootstrap, then features per node), so
 * consecutive fits of one learner differ; to give two fits the same random streams (common random
 * numbers in the zero-order estimator) create their learners with identically seeded Rngs.
 */
import type { Matrix } from '../../core/matrix.js';
import type { Rng } from '../../core/rng.js';
import type { FitDiagnostics, SurvivalLearner, SurvivalModel, SurvivalTarget } from '../types.js';
import {
  checkFeatureCount,
  findLeaf,
  leafHazardsAt,
  normalisedWeights,
  SurvivalTrainingSet,
  SurvivalTreeBuilder,
  type FlatSurvivalTree,
  type SurvivalTreeGrowth,
} from './tree.js';
import { booleanParam, checkMaxFeatures, defineLearner, intParam, resolveMaxFeatures } from '../params.js';
import { noEventsWarning, validateSurvivalFit } from './validate.js';

export interface SurvivalEnsembleDiagnostics extends FitDiagnostics {
  trees: number;
  /** Mean number of leaves per tree. */
  meanLeaves: number;
  warnings: string[];
}

/** Fitted survival tree or forest: an average of flat trees over the same d features. */
export class SurvivalTreeEnsemble implements SurvivalModel {
  readonly task = 'survival' as const;

  constructor(
    readonly trees: readonly FlatSurvivalTree[],
    readonly featureCount: number,
    /** Training event times (the mortality grid; also a natural grid for predictSurvival). */
    readonly eventTimes: Float64Array,
    readonly diagnostics: SurvivalEnsembleDiagnostics,
  ) {}

  /** Mean leaf mortality (ranger's summed cumulative hazard): higher means earlier events. */
  predictRisk(X: Matrix, out: Float64Array = new Float64Array(X.rows)): Float64Array {
    checkFeatureCount('survival forest', X, this.featureCount);
    out.fill(0, 0, X.rows);
    for (const tree of this.trees) {
      for (let i = 0; i < X.rows; i++) out[i] += tree.leafMortality[findLeaf(tree, X, i)];
    }
    const scale = 1 / this.trees.length;
    for (let i = 0; i < X.rows; i++) out[i] *= scale;
    return out;
  }

  /** exp(−mean H(t)) at `times` (ascending), row-major. Leaf curves are read once per tree per call. */
  predictSurvival(X: Matrix, times: Float64Array, out: Float64Array = new Float64Array(X.rows * times.length)): Float64Array {
    checkFeatureCount('survival forest', X, this.featureCount);
    const nTimes = times.length, rows = X.rows;
    out.fill(0, 0, rows * nTimes);
    let leafHazards = new Float64Array(0);
    for (const tree of this.trees) {
      if (leafHazards.length < tree.leafCount * nTimes) leafHazards = new Float64Array(tree.leafCount * nTimes);
      leafHazardsAt(tree, times, leafHazards);
      for (let i = 0; i < rows; i++) {
        const src = findLeaf(tree, X, i) * nTimes, dst = i * nTimes;
        for (let k = 0; k < nTimes; k++) out[dst + k] += leafHazards[src + k];
      }
    }
    const scale = -1 / this.trees.length;
    for (let q = 0; q < rows * nTimes; q++) out[q] = Math.exp(out[q] * scale);
    return out;
  }
}

export interface SurvivalTreeOptions {
  /** Maximum depth (root = 0); 0 = unlimited (ranger's max.depth convention). */
  maxDepth: number;
  /** Minimum rows per child (ranger's survival min.node.size). */
  minSamplesLeaf: number;
  /** Features tried per node: "all", "sqrt", "log2", a count ≥ 1 or a fraction in (0, 1) of d. */
  maxFeatures: number | string;
}

/** The condensation defaults of `survtree`: depth 4, leaves of 3 rows, every feature at every node. */
export const survtreeDefaults = { maxDepth: 4, minSamplesLeaf: 3, maxFeatures: 'all' } as const satisfies SurvivalTreeOptions;

/** Check the given parameters' ranges and fill in the defaults. */
export function resolveSurvtreeParams(learner: string, options: Partial<SurvivalTreeOptions>): SurvivalTreeOptions {
  return {
    maxDepth: intParam(learner, 'maxDepth', options.maxDepth ?? survtreeDefaults.maxDepth, 0),
    minSamplesLeaf: intParam(learner, 'minSamplesLeaf', options.minSamplesLeaf ?? survtreeDefaults.minSamplesLeaf, 1),
    maxFeatures: checkMaxFeatures(learner, options.maxFeatures ?? survtreeDefaults.maxFeatures) as number | string,
  };
}

/**
 * Growth limits from the serialisable hyperparameters: maxDepth 0 = unlimited (ranger's max.depth
 * convention); maxFeatures spelled as scikit-learn's max_features (shared with the classification
 * trees, so the CLI takes the same values for every tree learner).
 */
function growthOf(learner: string, maxDepth: number, minSamplesLeaf: number, maxFeatures: number | string, d: number): SurvivalTreeGrowth {
  return {
    maxDepth: maxDepth === 0 ? Infinity : maxDepth,
    minSamplesLeaf,
    maxFeatures: resolveMaxFeatures(learner, maxFeatures, d),
  };
}

function diagnosticsOf(learner: string, trees: FlatSurvivalTree[], eventWeight: number): SurvivalEnsembleDiagnostics {
  let leaves = 0;
  for (const t of trees) leaves += t.leafCount;
  const warnings: string[] = [];
  // Without events no log-rank split exists: one leaf with H = 0 (see validateSurvivalFit).
  if (eventWeight === 0) warnings.push(noEventsWarning(learner));
  else if (trees.every((t) => t.leafCount === 1)) warnings.push('no split was found: every tree is a single leaf (the Kaplan–Meier-like Nelson–Aalen curve of all rows)');
  return { trees: trees.length, meanLeaves: leaves / trees.length, warnings };
}

/** A single log-rank survival tree (no bootstrap). */
export class SurvivalTreeLearner implements SurvivalLearner {
  readonly name = 'survtree';
  readonly task = 'survival' as const;
  readonly params: Readonly<SurvivalTreeOptions>;

  constructor(options: Partial<SurvivalTreeOptions>, private readonly rng: Rng) {
    this.params = resolveSurvtreeParams(this.name, options);
  }

  fit(X: Matrix, target: SurvivalTarget, weights?: Float64Array): SurvivalTreeEnsemble {
    const eventWeight = validateSurvivalFit('survtree', X, target, weights);
    const data = new SurvivalTrainingSet(X, target);
    const count = new Int32Array(X.rows).fill(1);
    const { maxDepth, minSamplesLeaf, maxFeatures } = this.params;
    const growth = growthOf('survtree', maxDepth, minSamplesLeaf, maxFeatures, X.cols);
    const tree = new SurvivalTreeBuilder(data).grow(count, normalisedWeights(X.rows, weights), growth, this.rng);
    return new SurvivalTreeEnsemble([tree], X.cols, data.riskGrid, diagnosticsOf('survtree', [tree], eventWeight));
  }
}

export interface RandomSurvivalForestOptions {
  nTrees: number;
  /** Features tried per node: "sqrt" = ⌊√d⌋ (ranger's mtry), "all", "log2", a count or a fraction. */
  maxFeatures: number | string;
  /** Minimum rows per child. */
  minSamplesLeaf: number;
  /** Maximum depth; 0 = unlimited. */
  maxDepth: number;
  /** Bootstrap n rows with replacement per tree; false grows every tree on all rows. */
  bootstrap: boolean;
}

/** ranger's defaults: 100 bootstrapped trees, mtry ⌊√d⌋, min node size 3, unlimited depth. */
export const rsfDefaults = { nTrees: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3, maxDepth: 0, bootstrap: true } as const satisfies RandomSurvivalForestOptions;

/** Check the given parameters' ranges and fill in the defaults. */
export function resolveRsfParams(learner: string, options: Partial<RandomSurvivalForestOptions>): RandomSurvivalForestOptions {
  return {
    nTrees: intParam(learner, 'nTrees', options.nTrees ?? rsfDefaults.nTrees, 1),
    maxFeatures: checkMaxFeatures(learner, options.maxFeatures ?? rsfDefaults.maxFeatures) as number | string,
    minSamplesLeaf: intParam(learner, 'minSamplesLeaf', options.minSamplesLeaf ?? rsfDefaults.minSamplesLeaf, 1),
    maxDepth: intParam(learner, 'maxDepth', options.maxDepth ?? rsfDefaults.maxDepth, 0),
    bootstrap: booleanParam(learner, 'bootstrap', options.bootstrap ?? rsfDefaults.bootstrap),
  };
}

export class RandomSurvivalForestLearner implements SurvivalLearner {
  readonly name = 'rsf';
  readonly task = 'survival' as const;
  readonly params: Readonly<RandomSurvivalForestOptions>;

  constructor(options: Partial<RandomSurvivalForestOptions>, private readonly rng: Rng) {
    this.params = resolveRsfParams(this.name, options);
  }

  fit(X: Matrix, target: SurvivalTarget, weights?: Float64Array): SurvivalTreeEnsemble {
    const eventWeight = validateSurvivalFit('rsf', X, target, weights);
    const n = X.rows, d = X.cols;
    const { maxDepth, minSamplesLeaf, maxFeatures } = this.params;
    const growth = growthOf('rsf', maxDepth, minSamplesLeaf, maxFeatures, d);
    const data = new SurvivalTrainingSet(X, target);
    const builder = new SurvivalTreeBuilder(data);
    const caseWeight = normalisedWeights(n, weights);
    const count = new Int32Array(n), weight = new Float64Array(n);
    const trees: FlatSurvivalTree[] = [];
    for (let t = 0; t < this.params.nTrees; t++) {
      if (this.params.bootstrap) {
        count.fill(0);
        for (let k = 0; k < n; k++) count[this.rng.int(n)]++;
      } else count.fill(1);
      for (let i = 0; i < n; i++) weight[i] = count[i] * caseWeight[i];
      // A bootstrap sample without events still yields a valid tree (a single leaf with H = 0).
      trees.push(builder.grow(count, weight, growth, this.rng));
    }
    return new SurvivalTreeEnsemble(trees, d, data.riskGrid, diagnosticsOf('rsf', trees, eventWeight));
  }
}

export const survtreeSpec = defineLearner<SurvivalTreeOptions>({
  name: 'survtree',
  task: 'survival',
  description: 'Survival tree with log-rank splits and Nelson–Aalen leaves (maxDepth 0 = unlimited)',
  defaults: survtreeDefaults,
  create: (params, rng) => new SurvivalTreeLearner(params, rng),
});

export const rsfSpec = defineLearner<RandomSurvivalForestOptions>({
  name: 'rsf',
  task: 'survival',
  description: 'Random survival forest (ranger defaults: bootstrap, mtry ⌊√d⌋, min node size 3, log-rank; maxDepth 0 = unlimited)',
  defaults: rsfDefaults,
  create: (params, rng) => new RandomSurvivalForestLearner(params, rng),
});
