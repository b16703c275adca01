/**
 * The per-record loss of DESIGN.md: train each learner on the (hardened) synthetic rows, predict the
 * real records of the batch, and score each record with a bounded loss. With several learners the
 * loss is their mean, so one clipped vector per record serves all of them.
 *
 * Boundedness matters for privacy only through clipping (the clip norm C bounds each record's
 * contribution whatever the loss), but bounded losses keep the unclipped signal informative:
 * - classification: class-balanced Brier w_y·(p − y)² (default) or cross-entropy −w_y·log p_y with p
 *   clipped to [pMin, 1 − pMin]; w_y = n / (2·n_y) from DP class counts, so an imbalanced outcome
 *   cannot be fitted by predicting the majority class;
 * - survival: the censored negative log-likelihood of the predicted survival curve on a time grid,
 *   probabilities clipped to pMin (`survivalNllPerRecord`).
 */
import type { Matrix } from '../core/matrix.js';
import { survivalNllPerRecord } from '../metrics/survival.js';
import { SeededRng } from '../core/rng.js';
import { createLearner } from '../models/registry.js';
import type { ClassificationTarget, FittedModel, Learner, SurvivalTarget, Target, Task } from '../models/types.js';

/** A learner by name and hyperparameters (its random stream is set per fit: see `PerRecordLoss.evaluate`). */
export interface LearnerRecipe {
  name: string;
  task: Task;
  params: Record<string, unknown>;
}

export type ClassificationLossKind = 'brier' | 'cross-entropy';

export interface ClassificationLossSpec {
  task: 'classification';
  kind: ClassificationLossKind;
  pMin: number;
  /** Weight of class 0 and class 1. */
  classWeights: [number, number];
}

export interface SurvivalLossSpec {
  task: 'survival';
  /** Ascending time grid (> 0) on which survival curves are compared. */
  grid: Float64Array;
  pMin: number;
}

export type LossSpec = ClassificationLossSpec | SurvivalLossSpec;

/** An upper bound on the per-record loss (used to scale the private loss channel). */
export function maxRecordLoss(spec: LossSpec): number {
  if (spec.task === 'survival') return -Math.log(spec.pMin);
  const w = Math.max(spec.classWeights[0], spec.classWeights[1]);
  return spec.kind === 'brier' ? w * (1 - spec.pMin) ** 2 : -w * Math.log(spec.pMin);
}

export class PerRecordLoss {
  /** One learner per recipe, kept across fits for its warm buffers, with the rng it draws from. */
  private readonly instances: { learner: Learner; rng: SeededRng }[];
  /** The models of the last `fit`, one per learner. */
  private readonly models: FittedModel[] = [];
  /** Whether some learner starts its fits from an anchor (`anchorAt`), to be set once per step. */
  readonly anchored: boolean;
  private probabilities: Float64Array;
  private curves: Float64Array;
  private single: Float64Array;

  constructor(
    readonly learners: readonly LearnerRecipe[],
    readonly spec: LossSpec,
    /** Expected largest batch; buffers grow if a batch is larger. */
    maxBatch: number,
  ) {
    if (learners.length === 0) throw new RangeError('PerRecordLoss: at least one learner is needed');
    for (const learner of learners) {
      if (learner.task !== spec.task) throw new RangeError(`learner "${learner.name}" is a ${learner.task} learner, the data are ${spec.task}`);
    }
    this.instances = learners.map((recipe) => {
      const rng = new SeededRng(0);
      return { learner: createLearner(recipe.name, recipe.params, rng), rng };
    });
    this.anchored = this.instances.some(({ learner }) => learner.task === 'classification' && learner.anchorAt !== undefined);
    this.probabilities = this.single = this.curves = new Float64Array(0);
    this.allocate(maxBatch);
  }

  private allocate(capacity: number): void {
    this.probabilities = new Float64Array(capacity);
    this.single = new Float64Array(capacity);
    this.curves = new Float64Array(this.spec.task === 'survival' ? capacity * this.spec.grid.length : 0);
  }

  /**
   * Mean over learners of each batch record's loss, for models trained on (syntheticX,
   * syntheticTarget); writes `out[0 .. batchX.rows)`.
   *
   * Each learner's rng is reseeded with `randomSeed` before its fit, so the two fits of an
   * antithetic pair (S + μu and S − μu) use common random numbers: a random forest's bootstrap then
   * differs only through the synthetic rows, and the loss difference measures the direction, not
   * the dice. The learner itself is reused: its sort orders and tree buffers carry over between
   * fits (a CART fit on 20 rows × 8 features plus a 256-row prediction took about 54 µs from a
   * fresh learner, 10 µs from a reused one), and trees come out as a fresh learner with that seed would grow them.
   */
  evaluate(syntheticX: Matrix, syntheticTarget: Target, batchX: Matrix, batchTarget: Target, randomSeed: number, out: Float64Array, syntheticWeights?: Float64Array): Float64Array {
    this.fit(syntheticX, syntheticTarget, randomSeed, syntheticWeights);
    return this.score(batchX, batchTarget, out);
  }

  /**
   * The first half of `evaluate`: every learner fitted on the synthetic set (kept until the next
   * fit), with the synthetic rows' case weights when the set learns them (`rowWeights`).
   */
  fit(syntheticX: Matrix, syntheticTarget: Target, randomSeed: number, syntheticWeights?: Float64Array): void {
    for (let i = 0; i < this.instances.length; i++) {
      const { learner, rng } = this.instances[i];
      rng.reseed(randomSeed);
      this.models[i] =
        learner.task === 'classification'
          ? learner.fit(syntheticX, syntheticTarget as ClassificationTarget, syntheticWeights)
          : learner.fit(syntheticX, syntheticTarget as SurvivalTarget, syntheticWeights);
    }
  }

  /**
   * The second half of `evaluate`: each batch record's loss, averaged over the models of the last
   * `fit`; writes `out[0 .. batchX.rows)`. Scoring many batches after one fit gives, batch by
   * batch, the numbers `evaluate` would.
   */
  score(batchX: Matrix, batchTarget: Target, out: Float64Array): Float64Array {
    const n = batchX.rows;
    if (n > this.probabilities.length) this.allocate(Math.max(n, Math.ceil(1.5 * this.probabilities.length)));
    out.fill(0, 0, n);
    const share = 1 / this.learners.length;
    for (const model of this.models) {
      if (model.task === 'classification') {
        const p = model.predictProba(batchX, this.probabilities.subarray(0, n));
        this.classificationLoss(p, (batchTarget as ClassificationTarget).y, n, share, out);
      } else {
        const spec = this.spec as SurvivalLossSpec;
        const k = spec.grid.length;
        const curves = model.predictSurvival(batchX, spec.grid, this.curves.subarray(0, n * k));
        const target = batchTarget as SurvivalTarget;
        const loss = survivalNllPerRecord(curves, spec.grid, target.time, target.event, spec.pMin, this.single.subarray(0, n));
        for (let i = 0; i < n; i++) out[i] += share * loss[i];
      }
    }
    return out;
  }

  /** Anchors the learners that start their fits from a fixed point at (syntheticX, syntheticTarget). */
  anchorAt(syntheticX: Matrix, syntheticTarget: Target, syntheticWeights?: Float64Array): void {
    for (const { learner } of this.instances) {
      if (learner.task === 'classification' && learner.anchorAt) learner.anchorAt(syntheticX, syntheticTarget as ClassificationTarget, syntheticWeights);
    }
  }

  private classificationLoss(p: Float64Array, y: Uint8Array, n: number, share: number, out: Float64Array): void {
    const spec = this.spec as ClassificationLossSpec;
    const lo = spec.pMin;
    const hi = 1 - spec.pMin;
    const [w0, w1] = spec.classWeights;
    if (spec.kind === 'brier') {
      for (let i = 0; i < n; i++) {
        const q = p[i] >= lo ? (p[i] <= hi ? p[i] : hi) : lo; // NaN → lo
        const r = q - y[i];
        out[i] += share * (y[i] ? w1 : w0) * r * r;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const q = p[i] >= lo ? (p[i] <= hi ? p[i] : hi) : lo; // NaN → lo
        out[i] -= share * (y[i] ? w1 * Math.log(q) : w0 * Math.log(1 - q));
      }
    }
  }
}
