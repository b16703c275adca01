/**
 * One differentially private zero-order gradient estimate (DESIGN.md, "One DP zero-order step").
 *
 * For K Gaussian directions u_k over the synthetic parameters, the learners are trained on S + μu_k
 * and S − μu_k (no real data touched). Each batch record r then yields the vector
 *   v_r = (ℓ(A_k⁺, r) − ℓ(A_k⁻, r))_{k=1..K}  ⊕  λ·ℓ̄_r,
 * whose last coordinate is the record's mean loss scaled by λ — a private channel for the progress
 * display and the trace, so that not even the reported loss reads the data outside the mechanism.
 * λ is set so the loss coordinate never exceeds share·C, and the K differences are clipped to
 * C·√(1 − share²), so v_r has L2 norm at most C; the vectors are summed, Gaussian noise N(0, σ²C²) is added to
 * every coordinate, and the sum is divided by the expected batch size q·n̂ (n̂ a DP count). Adding or
 * removing one patient changes the sum by at most C in L2, so each step is the Poisson-subsampled
 * Gaussian mechanism with noise multiplier σ. The gradient estimate
 *   ĝ = (1/K) Σ_k ṽ_k / (2μ) · u_k
 * is post-processing. The noise is one scalar per direction, so it does not grow with m·d.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { Target } from '../models/types.js';
import { addGaussianNoise } from '../privacy/index.js';
import type { PerRecordLoss } from './objective.js';
import type { SyntheticParameters } from './syntheticSet.js';

export interface ZerothOrderSettings {
  directions: number;
  smoothing: number;
  /** Clip norm C of the per-record vector; Infinity disables clipping (non-private ablation). */
  clipNorm: number;
  /** σ; 0 adds no noise. */
  noiseMultiplier: number;
  /** λ: weight of the loss channel coordinate; λ·(max loss) must equal lossChannelShare·C. */
  lossChannelWeight: number;
  /** Share of the clip norm reserved for the loss channel (in [0, 1)). */
  lossChannelShare: number;
}

export interface GradientEstimate {
  /** Noisy mean loss over the batch (from the private channel), at the current smoothing. */
  loss: number;
  /** Fraction of batch records whose vector was clipped. */
  clippedFraction: number;
}

export class ZerothOrderEstimator {
  private readonly perturbed: Float64Array;
  private readonly hardened: Matrix;
  private readonly directionsBuffer: Float64Array;
  private lossPlus: Float64Array;
  private lossMinus: Float64Array;
  private recordVectors: Float64Array;
  private readonly summed: Float64Array;

  constructor(
    private readonly synthetic: SyntheticParameters,
    private readonly objective: PerRecordLoss,
    private readonly settings: ZerothOrderSettings,
    /** Expected largest batch; buffers grow if a batch is larger. */
    maxBatch: number,
  ) {
    const p = synthetic.size;
    const k = settings.directions;
    this.perturbed = new Float64Array(p);
    this.hardened = matrix(synthetic.rows, synthetic.encoder.dim);
    this.directionsBuffer = new Float64Array(k * p);
    this.lossPlus = new Float64Array(maxBatch);
    this.lossMinus = new Float64Array(maxBatch);
    this.recordVectors = new Float64Array(maxBatch * (k + 1));
    this.summed = new Float64Array(k + 1);
  }

  /**
   * Write the gradient estimate at `parameters` (a vector of the synthetic set's size) into
   * `gradient`. `expectedBatchSize` is q·n̂; `directionRng` draws the (public) directions,
   * `noiseRng` the noise.
   */
  estimate(
    parameters: Float64Array,
    batchX: Matrix,
    batchTarget: Target,
    expectedBatchSize: number,
    directionRng: Rng,
    noiseRng: Rng,
    gradient: Float64Array,
    smoothing = this.settings.smoothing,
  ): GradientEstimate {
    const { directions: K, clipNorm, noiseMultiplier, lossChannelWeight, lossChannelShare } = this.settings;
    const p = parameters.length;
    const b = batchX.rows;
    const width = K + 1;
    const u = this.directionsBuffer;
    if (b > this.lossPlus.length) this.growBatchBuffers(b);
    const vectors = this.recordVectors;
    for (let i = 0; i < K * p; i++) u[i] = directionRng.normal();

    for (let k = 0; k < K; k++) {
      const seed = directionRng.int(2 ** 31);
      this.lossAt(parameters, u, k, smoothing, batchX, batchTarget, seed, this.lossPlus);
      this.lossAt(parameters, u, k, -smoothing, batchX, batchTarget, seed, this.lossMinus);
      for (let r = 0; r < b; r++) {
        vectors[r * width + k] = this.lossPlus[r] - this.lossMinus[r];
        // Mean over directions of the antithetic midpoint: a low-variance loss at the current S.
        if (k === 0) vectors[r * width + K] = 0;
        vectors[r * width + K] += (lossChannelWeight * 0.5 * (this.lossPlus[r] + this.lossMinus[r])) / K;
      }
    }

    // The loss coordinate is at most λ·(max loss) = share·C by construction, so only the K loss
    // differences are clipped, to C·√(1 − share²): the whole vector then has norm ≤ C and the
    // reported loss is not biased by the clipping of the differences.
    const summed = this.summed.fill(0);
    const differenceClip = clipNorm * Math.sqrt(1 - lossChannelShare * lossChannelShare);
    let clipped = 0;
    for (let r = 0; r < b; r++) {
      const base = r * width;
      let norm2 = 0;
      for (let k = 0; k < K; k++) norm2 += vectors[base + k] * vectors[base + k];
      const norm = Math.sqrt(norm2);
      const factor = norm > differenceClip ? differenceClip / norm : 1;
      if (factor < 1) clipped++;
      for (let k = 0; k < K; k++) summed[k] += factor * vectors[base + k];
      summed[K] += vectors[base + K];
    }
    if (noiseMultiplier > 0) addGaussianNoise(summed, noiseMultiplier * clipNorm, noiseRng);
    const scale = 1 / Math.max(1, expectedBatchSize);
    for (let k = 0; k < width; k++) summed[k] *= scale;

    gradient.fill(0);
    for (let k = 0; k < K; k++) {
      const coefficient = summed[k] / (2 * smoothing * K);
      const offset = k * p;
      for (let i = 0; i < p; i++) gradient[i] += coefficient * u[offset + i];
    }
    return { loss: summed[K] / lossChannelWeight, clippedFraction: b ? clipped / b : 0 };
  }

  private growBatchBuffers(b: number): void {
    const capacity = Math.max(b, Math.ceil(1.5 * this.lossPlus.length));
    this.lossPlus = new Float64Array(capacity);
    this.lossMinus = new Float64Array(capacity);
    this.recordVectors = new Float64Array(capacity * (this.settings.directions + 1));
  }

  /** Per-record loss of the learners trained on the synthetic set at θ + t·u_k. */
  private lossAt(parameters: Float64Array, u: Float64Array, k: number, t: number, batchX: Matrix, batchTarget: Target, seed: number, out: Float64Array): void {
    const z = this.perturbed;
    const offset = k * parameters.length;
    for (let i = 0; i < parameters.length; i++) z[i] = parameters[i] + t * u[offset + i];
    const target = this.synthetic.materialise(z, this.hardened);
    this.objective.evaluate(this.hardened, target, batchX, batchTarget, seed, out);
  }
}
