/**
 * One differentially private zero-order gradient estimate (DESIGN.md, "One DP zero-order step"),
 * in two parts:
 *
 * 1. `DirectionEvaluator.evaluateDirections` (no privacy, parallelisable): for K public Gaussian
 *    directions u_k over the synthetic parameters and K public seeds, train the learners on S + μu_k
 *    and S − μu_k and score every batch record r on both; return per record and direction the loss
 *    difference ℓ(A_k⁺, r) − ℓ(A_k⁻, r) and the sum ℓ(A_k⁺, r) + ℓ(A_k⁻, r). Everything the request
 *    holds is drawn up front, so an evaluator may run the 2K fits anywhere (inline, worker threads,
 *    a Web Worker) behind the same async interface and return the same numbers.
 * 2. `ZerothOrderStep.estimate` (the privatisation): each record's vector
 *      v_r = (differences_k)_{k=1..K}  ⊕  λ·ℓ̄_r
 *    — the last coordinate is the record's mean loss scaled by λ, a private channel for the progress
 *    display and the trace — goes through the `SubsampledGaussianSum` measurement (clip to C, sum,
 *    noise N(0, σ²C²)); the noisy sum is divided by the expected batch size q·n̂ (n̂ a DP count) and
 *    ĝ = (1/K) Σ_k ṽ_k / (2μ) · u_k is post-processing. The noise is one scalar per direction, so
 *    it does not grow with m·d.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import { fillNormal, type Rng } from '../core/rng.js';
import type { Target } from '../models/types.js';
import type { SubsampledGaussianSum } from '../privacy/measurements.js';
import type { LearnerRecipe, LossSpec, PerRecordLoss } from './objective.js';
import type { SyntheticParameters } from './syntheticSet.js';

/** Everything one evaluation needs, all drawn before it starts. */
export interface DirectionRequest {
  /** The current synthetic parameter vector θ (length p). */
  parameters: Float64Array;
  /** K directions, direction-major (K·p). */
  directions: Float64Array;
  /** One learner seed per direction, shared by the fits at θ + μu_k and θ − μu_k (common random numbers). */
  seeds: Int32Array;
  /** Smoothing radius μ of this step. */
  smoothing: number;
  /** The real batch (encoded), read only inside the zero-order mechanism. */
  batchX: Matrix;
  batchTarget: Target;
}

/** Per-record results, record-major (r·K + k). */
export interface DirectionEvaluation {
  /** ℓ(A_k⁺, r) − ℓ(A_k⁻, r). */
  differences: Float64Array;
  /** ℓ(A_k⁺, r) + ℓ(A_k⁻, r). */
  sums: Float64Array;
}

/** Runs the 2K fits of one step. Implementations: inline (here), worker threads, a Web Worker. */
export interface DirectionEvaluator {
  evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation>;
}

/** What is fixed for a whole run, all an evaluator elsewhere needs to rebuild the fits. */
export interface EvaluatorSetup {
  synthetic: SyntheticParameters;
  learners: readonly LearnerRecipe[];
  lossSpec: LossSpec;
  directions: number;
  /** Expected largest batch (buffers grow beyond it). */
  batchCapacity: number;
}

/**
 * Builds a run's evaluator once its setup is known (e.g. a worker-thread pool); `inline` is the
 * run's own inline evaluator, for evaluators that decide per step where to run.
 */
export type DirectionEvaluatorFactory = (setup: EvaluatorSetup, inline: InlineDirectionEvaluator) => DirectionEvaluator;

/** Evaluates the directions on the calling thread, into buffers it owns (valid until the next call). */
export class InlineDirectionEvaluator implements DirectionEvaluator {
  private readonly perturbed: Float64Array;
  private readonly hardened: Matrix;
  /** θ the learners were last anchored at (NaN: never). */
  private readonly anchoredAt: Float64Array;
  private lossPlus = new Float64Array(0);
  private lossMinus = new Float64Array(0);
  private differences = new Float64Array(0);
  private sums = new Float64Array(0);

  constructor(
    private readonly synthetic: SyntheticParameters,
    private readonly objective: PerRecordLoss,
    private readonly directions: number,
    /** Expected largest batch; buffers grow if a batch is larger. */
    maxBatch: number,
  ) {
    this.perturbed = new Float64Array(synthetic.size);
    this.hardened = matrix(synthetic.rows, synthetic.encoder.dim);
    this.anchoredAt = new Float64Array(synthetic.size).fill(NaN);
    this.allocate(maxBatch);
  }

  private allocate(capacity: number): void {
    this.lossPlus = new Float64Array(capacity);
    this.lossMinus = new Float64Array(capacity);
    this.differences = new Float64Array(capacity * this.directions);
    this.sums = new Float64Array(capacity * this.directions);
  }

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    return this.evaluateNow(request);
  }

  /** The synchronous core of `evaluateDirections`. */
  evaluateNow(request: DirectionRequest): DirectionEvaluation {
    const K = request.seeds.length;
    const b = request.batchX.rows;
    if (b > this.lossPlus.length) this.allocate(Math.max(b, Math.ceil(1.5 * this.lossPlus.length)));
    this.evaluateRange(request, 0, K, this.differences, this.sums);
    return { differences: this.differences.subarray(0, b * K), sums: this.sums.subarray(0, b * K) };
  }

  /**
   * Directions `from` ≤ k < `to` only, written into columns k of the record-major outputs (r·K + k).
   * Each direction's numbers do not depend on which others the same evaluator computed (every fit
   * reseeds its learner), so any split of the K directions, or of the 2K evaluations
   * (`evaluateOne`), gives bit-identical results.
   */
  evaluateRange({ parameters, directions, seeds, smoothing, batchX, batchTarget }: DirectionRequest, from: number, to: number, differences: Float64Array, sums: Float64Array): void {
    const K = seeds.length;
    const b = batchX.rows;
    if (K !== this.directions) throw new RangeError(`evaluateDirections: ${K} seeds for an evaluator of ${this.directions} directions`);
    if (b > this.lossPlus.length) this.allocate(Math.max(b, Math.ceil(1.5 * this.lossPlus.length)));
    this.anchorAt(parameters);
    for (let k = from; k < to; k++) {
      this.lossAt(parameters, directions, k, smoothing, batchX, batchTarget, seeds[k], this.lossPlus);
      this.lossAt(parameters, directions, k, -smoothing, batchX, batchTarget, seeds[k], this.lossMinus);
      for (let r = 0; r < b; r++) {
        differences[r * K + k] = this.lossPlus[r] - this.lossMinus[r];
        sums[r * K + k] = this.lossPlus[r] + this.lossMinus[r];
      }
    }
  }

  /**
   * One evaluation of the step: the per-record loss of the fits at θ + μu_k (`sign` +1) or θ − μu_k
   * (−1), written into block k of the direction-major `out` (k·b + r: each evaluation's losses
   * contiguous, so threads writing different evaluations never share a cache line). The finest
   * unit a pool can hand out: 2K of them per step, so workers that claim them one at a time stay
   * evenly loaded when fits differ in cost. `combineAntitheticLosses` turns these blocks into, bit
   * for bit, the differences and sums `evaluateRange` computes (the same two roundings).
   */
  evaluateOne({ parameters, directions, seeds, smoothing, batchX, batchTarget }: DirectionRequest, k: number, sign: 1 | -1, out: Float64Array): void {
    const K = seeds.length;
    const b = batchX.rows;
    if (K !== this.directions) throw new RangeError(`evaluateDirections: ${K} seeds for an evaluator of ${this.directions} directions`);
    this.anchorAt(parameters);
    this.lossAt(parameters, directions, k, sign * smoothing, batchX, batchTarget, seeds[k], out.subarray(k * b, (k + 1) * b));
  }

  /**
   * Anchors the learners that warm-start (logistic regression) at the step's θ, once per step on
   * each thread: every fit of the step then starts from the same point whichever thread runs it,
   * so the results do not depend on how the 2K evaluations were spread.
   */
  private anchorAt(parameters: Float64Array): void {
    if (!this.objective.anchored) return;
    const at = this.anchoredAt;
    let same = true;
    for (let i = 0; i < parameters.length; i++) {
      if (at[i] !== parameters[i]) {
        same = false;
        break;
      }
    }
    if (same) return;
    at.set(parameters);
    this.objective.anchorAt(this.hardened, this.synthetic.materialise(parameters, this.hardened), this.synthetic.weightsOf(parameters));
  }

  /** Per-record loss of the learners trained on the synthetic set at θ + t·u_k. */
  private lossAt(parameters: Float64Array, u: Float64Array, k: number, t: number, batchX: Matrix, batchTarget: Target, seed: number, out: Float64Array): void {
    const z = this.perturbed;
    const offset = k * parameters.length;
    for (let i = 0; i < parameters.length; i++) z[i] = parameters[i] + t * u[offset + i];
    const target = this.synthetic.materialise(z, this.hardened);
    this.objective.evaluate(this.hardened, target, batchX, batchTarget, seed, out, this.synthetic.weightsOf(z));
  }
}

/**
 * Turns the blocks of per-evaluation losses written by `evaluateOne` (direction-major, k·b + r:
 * ℓ⁺ in `plus`, ℓ⁻ in `minus`) into an evaluation: record-major (r·K + k) ℓ⁺ − ℓ⁻ in `differences`
 * and ℓ⁺ + ℓ⁻ in `sums` (the first b·K values of each).
 */
export function combineAntitheticLosses(plus: Float64Array, minus: Float64Array, b: number, K: number, differences: Float64Array, sums: Float64Array): DirectionEvaluation {
  for (let k = 0; k < K; k++) {
    const block = k * b;
    for (let r = 0; r < b; r++) {
      const a = plus[block + r];
      const c = minus[block + r];
      differences[r * K + k] = a - c;
      sums[r * K + k] = a + c;
    }
  }
  return { differences: differences.subarray(0, b * K), sums: sums.subarray(0, b * K) };
}

export interface ZerothOrderSettings {
  directions: number;
  /** λ: weight of the loss channel coordinate; λ·(max loss) must equal lossChannelShare·C. */
  lossChannelWeight: number;
  /** Share of the clip norm reserved for the loss channel (in [0, 1)). */
  lossChannelShare: number;
}

export interface GradientEstimate {
  /** Noisy mean loss over the batch (from the private channel), at the current smoothing. */
  loss: number;
}

/** Public randomness of one step: K directions over p parameters, then K learner seeds. */
export function drawDirections(K: number, p: number, rng: Rng, directions = new Float64Array(K * p), seeds = new Int32Array(K)): { directions: Float64Array; seeds: Int32Array } {
  fillNormal(rng, directions, 0, K * p);
  for (let k = 0; k < K; k++) seeds[k] = rng.int(2 ** 31);
  return { directions, seeds };
}

/** Assembles the record vectors from an evaluation, privatises their sum, and forms the gradient. */
export class ZerothOrderStep {
  private recordVectors: Float64Array;
  private readonly summed: Float64Array;

  constructor(
    private readonly measurement: SubsampledGaussianSum,
    private readonly settings: ZerothOrderSettings,
    /** Expected largest batch; the buffer grows if a batch is larger. */
    maxBatch: number,
  ) {
    this.recordVectors = new Float64Array(maxBatch * (settings.directions + 1));
    this.summed = new Float64Array(settings.directions + 1);
  }

  /**
   * Write the gradient estimate for `directions` into `gradient` from the evaluation of a batch of
   * `records` records. `expectedBatchSize` is q·n̂; `noiseRng` draws the noise.
   */
  estimate(
    evaluation: DirectionEvaluation,
    records: number,
    directions: Float64Array,
    smoothing: number,
    expectedBatchSize: number,
    noiseRng: Rng,
    gradient: Float64Array,
  ): GradientEstimate {
    const { directions: K, lossChannelWeight, lossChannelShare } = this.settings;
    const width = K + 1;
    if (records * width > this.recordVectors.length) this.recordVectors = new Float64Array(Math.max(records, Math.ceil((1.5 * this.recordVectors.length) / width)) * width);
    const vectors = this.recordVectors;
    const { differences, sums } = evaluation;
    for (let r = 0; r < records; r++) {
      const base = r * width;
      // Mean over directions of the antithetic midpoint: a low-variance loss at the current S.
      let channel = 0;
      for (let k = 0; k < K; k++) {
        vectors[base + k] = differences[r * K + k];
        channel += (lossChannelWeight * 0.5 * sums[r * K + k]) / K;
      }
      vectors[base + K] = channel;
    }
    // λ is set so the loss coordinate of a loss inside its bound is at most share·C: the
    // measurement's clip of that coordinate then never bites, and the reported loss is not biased
    // by the clipping of the differences. Only the noisy sum comes back.
    const sum = this.measurement.release(vectors, records, { clipped: K, bounded: 1, boundedShare: lossChannelShare }, noiseRng, this.summed);
    // Scaled by the DP expected batch size q·n̂, never by the real batch size.
    const scale = 1 / Math.max(1, expectedBatchSize);
    const p = gradient.length;
    gradient.fill(0);
    for (let k = 0; k < K; k++) {
      const coefficient = (sum[k] * scale) / (2 * smoothing * K);
      const offset = k * p;
      for (let i = 0; i < p; i++) gradient[i] += coefficient * directions[offset + i];
    }
    return { loss: (sum[K] * scale) / lossChannelWeight };
  }

  /**
   * The measurement's output of the last step: the K + 1 noisy sums (before the 1/(q·n̂) scaling).
   * It is what a step releases, so tests and the audit's white-box adversary may read it.
   */
  get noisySums(): Float64Array {
    return this.summed;
  }
}
