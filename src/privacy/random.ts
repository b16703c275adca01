/**
 * Randomness for releases: a cryptographically secure generator, Gaussian noise with a guard
 * against floating-point attacks, and exact Poisson sampling.
 *
 * Which generator. Noise and batch sampling of a private release must be unpredictable, so they
 * come from `CryptoRng` (WebCrypto `getRandomValues`, available in Node ≥ 19 and every browser and
 * worker). `SeededRng` (core/rng.ts) is for reproducible research runs only; the ledger records
 * which kind was used and a receipt with a seeded generator is never a private release.
 *
 * Floating-point guard (the choice, and why). Naively adding a floating-point Gaussian sample to a
 * value leaks: the set of doubles reachable from x + Z differs in its low-order bits for different
 * x, which can reveal x exactly (Mironov 2012 for Laplace; Jin, McMurtry, Rubinstein & Ohrimenko
 * 2022 "Are we there yet? Timing and floating-point attacks on DP systems" for Gaussians). Every
 * released value is therefore *snapped*: y = γ·round((x + σZ)/γ), γ = the largest power of two
 * ≤ σ/64, clamped to ±2⁴⁴γ — the output carries no bits finer than γ, and the ideal mechanism
 * "round x + σZ to the grid" is post-processing of the Gaussian mechanism the accountants analyse.
 * For a release (a non-reproducible generator) the implementation *is* that ideal mechanism:
 * `exactGaussian.ts` draws Z exactly (Karney 2016) and decides the rounding in exact rational
 * arithmetic, so no floating-point residual is left and nothing is added to δ. We chose this over
 * a discrete Gaussian on integer-scaled sums (Canonne, Kamath & Steinke 2020) because the accountants
 * (RDP with fractional orders, PLD) and the Opacus reference values analyse the Poisson-subsampled
 * *continuous* Gaussian; a discrete Gaussian would need its own subsampled analysis. Seeded
 * research runs (never private releases) keep the faster Box–Muller draw, snapped the same way.
 * The grid adds variance γ²/12 ≤ σ²/49152 (+0.002% of the noise variance).
 *
 * Poisson sampling (`poissonSampling.ts`) is exact too, and skips from one included record to the
 * next instead of drawing a trial per record.
 */
import { PairedNormals, type Rng } from '../core/rng.js';
import { PrivacyParameterError } from './errors.js';
import { exactSnappedGaussianIndex } from './exactGaussian.js';

interface WebCryptoLike {
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
/** Words fetched per getRandomValues call (16 KiB; the API allows at most 64 KiB). */
const BUFFER_WORDS = 4096;

/** Cryptographically secure Rng over WebCrypto `getRandomValues`, buffered. Not reproducible. */
export class CryptoRng extends PairedNormals implements Rng {
  readonly reproducible = false;
  /** Marks this generator as suitable for private releases (checked by the ledger). */
  readonly cryptographicallySecure = true;
  private readonly source: WebCryptoLike;
  private readonly buffer = new Uint32Array(BUFFER_WORDS);
  private position = BUFFER_WORDS;

  constructor(source?: WebCryptoLike) {
    super();
    const fallback = (globalThis as { crypto?: WebCryptoLike }).crypto;
    const chosen = source ?? fallback;
    if (!chosen || typeof chosen.getRandomValues !== 'function') {
      throw new Error('CryptoRng: no WebCrypto getRandomValues in this environment');
    }
    this.source = chosen;
  }

  /** Next 32 uniformly random bits. */
  nextUint32(): number {
    if (this.position === BUFFER_WORDS) {
      this.source.getRandomValues(this.buffer);
      this.position = 0;
    }
    return this.buffer[this.position++];
  }

  /** Uniform on the grid {k/2⁵³ : 0 ≤ k < 2⁵³}. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }

  /**
   * Standard normals by the Box–Muller transform, the cosine draw first (public randomness; releases
   * use the exact sampler).
   */
  protected drawPair(out: Float64Array, at: number): void {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[at] = r * Math.cos(theta);
    out[at + 1] = r * Math.sin(theta);
  }

  /** Exactly uniform integer in [0, n) by rejection (no modulo bias); n ≤ 2⁵³. */
  int(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_53 && Number.isInteger(n))) throw new PrivacyParameterError(`int(n) needs an integer 1 ≤ n ≤ 2^53 (got ${n})`);
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const x = this.uniform() * TWO_POW_53;
      if (x < limit) return x % n;
    }
  }
}

/** Spacing of the snapping grid for noise std σ: the largest power of two ≤ σ/64. */
export function snappingGrid(sigma: number): number {
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new PrivacyParameterError(`noise std must be finite and > 0 (got ${sigma})`);
  return 2 ** Math.floor(Math.log2(sigma / 64));
}

/**
 * Whether `addGaussianNoise` uses the exact sampler (`exactGaussian.ts`): always for a release
 * generator (not reproducible); a seeded research generator may opt in with `exactNoise: true`
 * (the audit does, so that it attacks the release path). Other seeded runs — never private
 * releases — keep the faster Box–Muller draw.
 */
export function usesExactNoise(rng: Rng): boolean {
  return !rng.reproducible || (rng as Rng & { exactNoise?: boolean }).exactNoise === true;
}

/** Values are clamped to ±SNAP_RANGE·γ so that γ stays far above their floating-point spacing. */
const SNAP_RANGE = 2 ** 44;

/**
 * Add N(0, σ²) noise to every value IN PLACE and snap each noisy value to the grid of
 * `snappingGrid(σ)` (see the module comment; exactly, for a release generator); returns `values`. σ = 0 leaves the values unchanged
 * (a non-private run). This is the function to use for anything released from the real data.
 */
export function addGaussianNoise(values: Float64Array, sigma: number, rng: Rng): Float64Array {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new PrivacyParameterError(`noise std must be finite and ≥ 0 (got ${sigma})`);
  if (sigma === 0) return values;
  const gamma = snappingGrid(sigma);
  const bound = SNAP_RANGE * gamma;
  if (usesExactNoise(rng)) {
    const range = BigInt(SNAP_RANGE);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) continue; // stays non-finite: such a release is refused downstream
      const index = exactSnappedGaussianIndex(values[i], sigma, gamma, rng);
      values[i] = gamma * Number(index > range ? range : index < -range ? -range : index);
    }
    return values;
  }
  for (let i = 0; i < values.length; i++) {
    const noisy = values[i] + sigma * rng.normal();
    const snapped = gamma * Math.round(noisy / gamma);
    values[i] = snapped > bound ? bound : snapped < -bound ? -bound : snapped;
  }
  return values;
}

/**
 * Fill `out` with raw N(0, σ²) draws (no snapping). For public randomness only (e.g. search
 * directions); use `addGaussianNoise` for values derived from the real data.
 */
export function gaussianNoise(rng: Rng, sigma: number, out: Float64Array): Float64Array {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new PrivacyParameterError(`noise std must be finite and ≥ 0 (got ${sigma})`);
  for (let i = 0; i < out.length; i++) out[i] = sigma * rng.normal();
  return out;
}

/**
 * Exact Bernoulli(p) trial: compares the binary expansion of a uniform, 53 bits at a time, with
 * the (finite) binary expansion of p; the first differing chunk decides. One uniform on average.
 */
export function bernoulli(rng: Rng, p: number): boolean {
  if (!(p >= 0 && p <= 1)) throw new PrivacyParameterError(`probability must be in [0, 1] (got ${p})`);
  let rest = p;
  for (let round = 0; round < 40; round++) {
    if (rest === 0) return false;
    const scaled = rest * TWO_POW_53; // exact: power-of-two scaling
    const chunk = Math.floor(scaled);
    const drawn = Math.floor(rng.uniform() * TWO_POW_53);
    if (drawn < chunk) return true;
    if (drawn > chunk) return false;
    rest = scaled - chunk; // exact: the fractional part of a double
  }
  return false; // unreachable for doubles (≤ 1074 fractional bits)
}

/**
 * The exponential mechanism, by the Gumbel-max trick: index j with probability
 * ∝ exp(ε·scores[j] / (2·sensitivity)) (higher score is better), ε = Infinity taking the argmax.
 * Adding independent standard Gumbel noise −log(−log U) to ε·score/(2Δ) and taking the argmax
 * samples exactly that distribution. Like `addGaussianNoise`, every exponential-mechanism release
 * of the engine passes through here (the neighbouring-dataset test replaces it). The Gumbel draws
 * are floating point: unlike the Gaussian noise they are not snapped (a base-2 exact sampler,
 * Ilvento 2020, is not implemented).
 */
export function exponentialMechanismIndex(scores: ArrayLike<number>, epsilon: number, sensitivity: number, rng: Rng): number {
  if (!(epsilon >= 0) || !(sensitivity > 0)) throw new PrivacyParameterError(`exponential mechanism: ε must be ≥ 0 and the sensitivity > 0 (got ${epsilon}, ${sensitivity})`);
  let best = 0;
  let bestKey = -Infinity;
  for (let j = 0; j < scores.length; j++) {
    let key = scores[j];
    if (epsilon !== Infinity) {
      let u = rng.uniform();
      while (u === 0) u = rng.uniform();
      key = (epsilon / (2 * sensitivity)) * scores[j] - Math.log(-Math.log(u));
    }
    if (key > bestKey) {
      bestKey = key;
      best = j;
    }
  }
  return best;
}
