/**
 * Privacy measurements as values: each one owns its noise multiplier σ and sensitivity (or clip
 * norm C and sampling rate q), knows the ledger entry that pays for it, and applies its noise. A
 * caller builds the value from public quantities first, charges it, and only then hands it the
 * sums computed from the real records — so what is released and what is charged cannot drift apart.
 *
 * - `SumQueryBuilder` derives the L2 sensitivity of a joint sum query from its parts (each part a
 *   block of the per-record vector with a known bound on its squared norm).
 * - `GaussianSumQuery`: one Gaussian release of such a vector of sums.
 * - `SubsampledGaussianSum`: T Poisson-subsampled releases of sums of per-record vectors, each
 *   clipped to norm C — the zero-order steps' mechanism.
 * - `calibrateJointGaussianQueries`: σ for k Gaussian queries that together cost a target ε under
 *   the chosen accountant.
 */
import type { Rng } from '../core/rng.js';
import { calibrateGaussianExact, calibrateNoiseMultiplier } from './calibrate.js';
import { PrivacyParameterError } from './errors.js';
import type { AccountantName, LedgerEntry, PrivacyLedger } from './ledger.js';
import { PoissonSampler } from './poissonSampling.js';
import { addGaussianNoise } from './random.js';

/**
 * The layout of a per-record contribution vector, built part by part. A part's bound is on the
 * squared L2 norm of the record's contribution to that part; the sensitivity under add/remove
 * adjacency is the square root of their sum. `disjointBlocks(k)` repeats the layout k times for
 * queries where each record contributes to exactly one block (strata): the width grows, the
 * sensitivity does not.
 */
export class SumQueryBuilder {
  private squaredBound = 0;
  private width = 0;
  private blocks = 1;

  /** Add a part of `width` coordinates whose squared norm per record is at most `squaredNormBound`; returns its offset. */
  part(width: number, squaredNormBound: number): number {
    if (!(Number.isInteger(width) && width >= 0) || !(squaredNormBound >= 0 && Number.isFinite(squaredNormBound))) {
      throw new PrivacyParameterError(`a sum-query part needs a width ≥ 0 and a finite squared-norm bound ≥ 0 (got ${width}, ${squaredNormBound})`);
    }
    const offset = this.width;
    this.width += width;
    this.squaredBound += squaredNormBound;
    return offset;
  }

  /** Each record contributes to exactly one of `count` copies of the layout. */
  disjointBlocks(count: number): this {
    this.blocks = count;
    return this;
  }

  /** Coordinates per block, and in total. */
  get blockWidth(): number {
    return this.width;
  }
  get totalWidth(): number {
    return this.width * this.blocks;
  }

  get l2Sensitivity(): number {
    return Math.sqrt(this.squaredBound);
  }

  build(labels: { name: string; purpose?: string }, noiseMultiplier: number): GaussianSumQuery {
    return new GaussianSumQuery(labels.name, labels.purpose, noiseMultiplier, this.l2Sensitivity);
  }
}

/** One Gaussian release of a vector of sums with a known L2 sensitivity. */
export class GaussianSumQuery {
  constructor(
    readonly name: string,
    readonly purpose: string | undefined,
    /** Noise standard deviation divided by the L2 sensitivity; 0 in a non-private run. */
    readonly noiseMultiplier: number,
    readonly l2Sensitivity: number,
  ) {}

  get noiseStd(): number {
    return this.noiseMultiplier * this.l2Sensitivity;
  }

  /**
   * Charge the ledger, register the generator, then add snapped Gaussian noise of std
   * noiseMultiplier·l2Sensitivity to `sums` in place; returns the entry charged. A refused charge
   * releases nothing. A non-private run (`isPrivate` false) records the query with noise
   * multiplier 0 (so the receipt's ε is ∞) and adds nothing.
   */
  release(sums: Float64Array, ledger: PrivacyLedger, rng: Rng, isPrivate = true): LedgerEntry {
    if (!isPrivate) return ledger.charge({ kind: 'gaussian', name: this.name, noiseMultiplier: 0, purpose: this.purpose });
    const entry = ledger.charge({ kind: 'gaussian', name: this.name, noiseMultiplier: this.noiseMultiplier, purpose: this.purpose });
    ledger.registerRandomness(rng);
    addGaussianNoise(sums, this.noiseStd, rng);
    return entry;
  }
}

/** A released vector of noisy sums and the standard deviation of its (independent, per-coordinate) noise. */
export interface GaussianMeasurement {
  sums: Float64Array;
  /** 0 for exact sums (a non-private run). */
  noiseStd: number;
}

/**
 * Two independent Gaussian measurements of the same sums, combined by inverse-variance weighting:
 * (a/σa² + b/σb²) / (1/σa² + 1/σb²), whose noise has variance 1 / (1/σa² + 1/σb²) — the smallest
 * of any unbiased linear combination. Post-processing: it costs nothing beyond the two charges,
 * and since Gaussian mechanisms compose exactly under RDP/zCDP (ρ = Δ²/(2σ²) adds up), the
 * combination is as accurate as one measurement that had spent both budgets at once. An exact
 * measurement (σ = 0) wins outright.
 */
export function combineGaussianMeasurements(a: GaussianMeasurement, b: GaussianMeasurement): GaussianMeasurement {
  if (a.sums.length !== b.sums.length) throw new PrivacyParameterError(`cannot combine measurements of different lengths (${a.sums.length}, ${b.sums.length})`);
  if (!(a.noiseStd >= 0 && b.noiseStd >= 0)) throw new PrivacyParameterError('noise standard deviations must be ≥ 0');
  if (a.noiseStd === 0 || b.noiseStd === 0) return a.noiseStd === 0 ? { sums: a.sums.slice(), noiseStd: 0 } : { sums: b.sums.slice(), noiseStd: 0 };
  const wa = 1 / (a.noiseStd * a.noiseStd);
  const wb = 1 / (b.noiseStd * b.noiseStd);
  const sums = new Float64Array(a.sums.length);
  for (let i = 0; i < sums.length; i++) sums[i] = (wa * a.sums[i] + wb * b.sums[i]) / (wa + wb);
  return { sums, noiseStd: 1 / Math.sqrt(wa + wb) };
}

/** A released vector of noisy sums whose coordinates carry different (independent) noise stds. */
export interface CoordinateMeasurement {
  sums: Float64Array;
  /** Per coordinate; 0 for an exact coordinate. */
  noiseStd: Float64Array;
}

/** A measurement with one noise std, as one with a std per coordinate. */
export function perCoordinate(m: GaussianMeasurement): CoordinateMeasurement {
  return { sums: m.sums.slice(), noiseStd: new Float64Array(m.sums.length).fill(m.noiseStd) };
}

/**
 * `combineGaussianMeasurements` coordinate by coordinate, for measurements whose coordinates carry
 * different noise stds (the focused moments measurement improves some coordinates only): each
 * coordinate is the inverse-variance combination of its two measurements, by the same rule.
 */
export function combineGaussianCoordinates(a: CoordinateMeasurement, b: CoordinateMeasurement): CoordinateMeasurement {
  const n = a.sums.length;
  if (b.sums.length !== n || a.noiseStd.length !== n || b.noiseStd.length !== n) throw new PrivacyParameterError(`cannot combine measurements of different lengths (${n}, ${b.sums.length})`);
  const sums = new Float64Array(n);
  const noiseStd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = combineGaussianMeasurements({ sums: a.sums.subarray(i, i + 1), noiseStd: a.noiseStd[i] }, { sums: b.sums.subarray(i, i + 1), noiseStd: b.noiseStd[i] });
    sums[i] = c.sums[0];
    noiseStd[i] = c.noiseStd;
  }
  return { sums, noiseStd };
}

/**
 * Noise multiplier shared by `queries` Gaussian sum queries (each normalised to its sensitivity)
 * that together are (ε, δ)-DP under `accountant`. Under RDP: the RDP calibration of `queries`
 * compositions. Under PLD: k Gaussians of multiplier σ compose exactly to one of multiplier σ/√k, so
 * σ = √k · (the tight single-Gaussian calibration), widened by one part in 10¹² so rounding errs
 * toward privacy.
 */
export function calibrateJointGaussianQueries(request: { epsilon: number; delta: number; queries: number; accountant: AccountantName }): number {
  const { epsilon, delta, queries, accountant } = request;
  if (!(Number.isInteger(queries) && queries >= 1)) throw new PrivacyParameterError(`queries must be a positive integer (got ${queries})`);
  if (accountant === 'pld') return calibrateGaussianExact(epsilon, delta) * Math.sqrt(queries) * (1 + 1e-12);
  return calibrateNoiseMultiplier({ targetEpsilon: epsilon, delta, samplingRate: 1, steps: queries }).noiseMultiplier;
}

/** How a per-record vector is split for clipping: see `SubsampledGaussianSum.release`. */
export interface RecordVectorLayout {
  /** Leading coordinates, clipped jointly to norm C·√(1 − share²). */
  clipped: number;
  /**
   * Trailing coordinates, clipped jointly to norm `boundedShare`·C. The caller scales them so that
   * this clip does not bite for values inside their stated bound (so they are not biased), but the
   * bound on the whole vector (norm ≤ C) holds whatever they are.
   */
  bounded: number;
  boundedShare: number;
}

/**
 * T releases of Σ_r clip(v_r) + N(0, σ²C²) on Poisson batches of rate q: the Poisson-subsampled
 * Gaussian mechanism with noise multiplier σ, charged as one ledger entry for all T steps. With
 * C = ∞ (non-private ablation) nothing is clipped, and σ must then be 0.
 */
export class SubsampledGaussianSum {
  constructor(
    readonly name: string,
    readonly purpose: string,
    readonly noiseMultiplier: number,
    readonly clipNorm: number,
    readonly samplingRate: number,
    readonly steps: number,
  ) {
    if (!(noiseMultiplier >= 0) || !(clipNorm > 0) || !(samplingRate > 0 && samplingRate <= 1) || !(Number.isInteger(steps) && steps >= 0)) {
      throw new PrivacyParameterError(`invalid subsampled Gaussian sum (σ ${noiseMultiplier}, C ${clipNorm}, q ${samplingRate}, T ${steps})`);
    }
    if (noiseMultiplier > 0 && !Number.isFinite(clipNorm)) throw new PrivacyParameterError('noise needs a finite clip norm');
  }

  /** Charge all T steps to the ledger (before the first release). */
  charge(ledger: PrivacyLedger): LedgerEntry {
    return ledger.charge({
      kind: 'subsampled_gaussian',
      name: this.name,
      noiseMultiplier: this.noiseMultiplier,
      samplingRate: this.samplingRate,
      steps: this.steps,
      purpose: this.purpose,
    });
  }

  /** The sampler of this measurement's Poisson batches from n records (draw each batch with the secret generator). */
  batchSampler(n: number): PoissonSampler {
    return new PoissonSampler(n, this.samplingRate);
  }

  /**
   * Clip each of the `records` vectors in `vectors` (record-major, `layout.clipped + layout.bounded`
   * wide), sum them into `out`, and add N(0, σ²C²) to every coordinate; returns `out`.
   *
   * The bound is true by construction, whatever the vectors hold: both blocks are clipped (so a
   * record adds at most C in L2 norm), and a vector with a NaN or infinite entry (or a norm that
   * overflows) adds the zero vector. Only the noisy sum leaves: not the batch size, not how many
   * vectors were clipped or dropped — those are exact functions of the batch.
   */
  release(vectors: Float64Array, records: number, layout: RecordVectorLayout, rng: Rng, out: Float64Array): Float64Array {
    const K = layout.clipped;
    const width = K + layout.bounded;
    const sum = out.fill(0);
    const clipTo = this.clipNorm * Math.sqrt(1 - layout.boundedShare * layout.boundedShare);
    const boundedClipTo = this.clipNorm * layout.boundedShare;
    for (let r = 0; r < records; r++) {
      const base = r * width;
      const factor = clipFactor(vectors, base, base + K, clipTo);
      const boundedFactor = clipFactor(vectors, base + K, base + width, boundedClipTo);
      if (Number.isNaN(factor) || Number.isNaN(boundedFactor)) continue;
      for (let k = 0; k < K; k++) sum[k] += factor * vectors[base + k];
      for (let k = K; k < width; k++) sum[k] += boundedFactor * vectors[base + k];
    }
    if (this.noiseMultiplier > 0) addGaussianNoise(sum, this.noiseMultiplier * this.clipNorm, rng);
    return sum;
  }
}

/**
 * The factor that scales `values[from..to)` to L2 norm at most `limit` (1 when it is within), or
 * NaN when the block has a non-finite entry or its squared norm overflows.
 */
function clipFactor(values: Float64Array, from: number, to: number, limit: number): number {
  let norm2 = 0;
  for (let i = from; i < to; i++) norm2 += values[i] * values[i];
  if (!Number.isFinite(norm2)) return NaN;
  const norm = Math.sqrt(norm2);
  return norm > limit ? limit / norm : 1;
}
