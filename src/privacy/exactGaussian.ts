/**
 * Exact snapped Gaussian noise for releases: y = γ·round((x + σZ)/γ) with Z *exactly* N(0, 1)
 * and the rounding decided in exact arithmetic, so the released value has exactly the
 * distribution of the ideal mechanism "round the Gaussian mechanism's output to the grid" —
 * post-processing of the continuous Gaussian mechanism that the accountants analyse. No
 * floating-point residual is left to bound (README, "Floating-point noise").
 *
 * Z is never materialised as a double. It is s·(k + u): a sign s, an integer part k and a
 * fraction u ∈ [0, 1) whose binary digits are drawn lazily, 32 at a time, only as far as a
 * comparison needs them. k and u come from Karney's exact normal sampler ("Sampling exactly from
 * the normal distribution", ACM TOMS 42(1), 2016, algorithm N), which needs only random bits,
 * integer arithmetic and comparisons of lazy uniforms:
 *   N1  k ≥ 0 with P(k) ∝ e^{−k/2}: count successes of Bernoulli(e^{−1/2}) until one fails;
 *   N2  accept k with probability e^{−k(k−1)/2} (k(k−1) such trials must all succeed) — so far
 *       P(k) ∝ e^{−k²/2};
 *   N3  a lazy uniform u;
 *   N4  accept u with probability e^{−u(2k+u)/2}, as k + 1 trials of probability
 *       e^{−u(2k+u)/(2k+2)} (each a von Neumann run, below); on any rejection restart at N1 —
 *       the accepted (k, u) has density ∝ e^{−k²/2}·e^{−u(2k+u)/2} = e^{−(k+u)²/2};
 *   N5  a uniform sign.
 * Von Neumann's trick gives Bernoulli(e^{−p}) for p = a·c ≤ 1: draw uniforms z₁ > z₂ > … while
 * they stay below a and each passes an independent coin of probability c; with n the length of
 * that run, P(n ≥ m) = (ac)^m/m!, so P(n even) = Σ (−1)^m (ac)^m/m! = e^{−ac}.
 *
 * Rounding: with u known to lie in [A/2^L, (A+1)/2^L), x + σs(k + u) is monotone in u, so if both
 * ends of that interval round to the same grid point, so does every u inside it; otherwise 32 more
 * digits of u are drawn. Doubles are exact dyadic rationals, so the comparison runs on BigInt
 * numerators and is exact. Ties (an exact half-grid value) have probability zero.
 */
import type { Rng } from '../core/rng.js';
import { PrivacyParameterError } from './errors.js';

const TWO_POW_32 = 4294967296;

/** 32 uniformly random bits (the top bits of a 53-bit uniform when the generator has no word source). */
function randomWord(rng: Rng): number {
  const words = rng as Rng & { nextUint32?: () => number };
  return typeof words.nextUint32 === 'function' ? words.nextUint32() : Math.floor(rng.uniform() * TWO_POW_32);
}

/** A uniform on [0, 1) whose binary digits are drawn only when a comparison reaches them. */
class LazyUniform {
  private readonly words: number[] = [];
  constructor(private readonly rng: Rng) {}

  /** The i-th block of 32 digits after the binary point. */
  word(i: number): number {
    while (this.words.length <= i) this.words.push(randomWord(this.rng));
    return this.words[i];
  }

  /** Digits drawn so far. */
  get wordsDrawn(): number {
    return this.words.length;
  }

  /** u < other (two independent uniforms are equal with probability zero, so this terminates). */
  lessThan(other: LazyUniform): boolean {
    for (let i = 0; ; i++) {
      const a = this.word(i);
      const b = other.word(i);
      if (a !== b) return a < b;
    }
  }

  /** u < ½: its first digit is 0. */
  belowHalf(): boolean {
    return this.word(0) < 0x80000000;
  }
}

/** Bernoulli(e^{−1/2}) by von Neumann's run with a = ½, c = 1. */
function bernoulliExpMinusHalf(rng: Rng): boolean {
  let n = 0;
  let previous: LazyUniform | null = null;
  for (;;) {
    const z = new LazyUniform(rng);
    if (!(previous === null ? z.belowHalf() : z.lessThan(previous))) break;
    previous = z;
    n++;
  }
  return n % 2 === 0;
}

/** Bernoulli(e^{−u(2k+u)/(2k+2)}): von Neumann's run with a = u, c = (2k + u)/(2k + 2). */
function bernoulliStepN4(k: number, u: LazyUniform, rng: Rng): boolean {
  let n = 0;
  let previous = u;
  for (;;) {
    const z = new LazyUniform(rng);
    if (!z.lessThan(previous)) break;
    // The coin: 2k of 2k+2 faces win, one more wins with probability u, the last loses.
    const face = rng.int(2 * k + 2);
    if (face === 2 * k + 1) break;
    if (face === 2 * k && !new LazyUniform(rng).lessThan(u)) break;
    previous = z;
    n++;
  }
  return n % 2 === 0;
}

/** An exact standard normal s·(k + u), u lazy (Karney's algorithm N). */
function exactStandardNormal(rng: Rng): { sign: 1 | -1; k: number; u: LazyUniform } {
  for (;;) {
    let k = 0;
    while (bernoulliExpMinusHalf(rng)) k++;
    let accepted = true;
    for (let i = 0; accepted && i < k * (k - 1); i++) accepted = bernoulliExpMinusHalf(rng);
    if (!accepted) continue;
    const u = new LazyUniform(rng);
    for (let i = 0; accepted && i <= k; i++) accepted = bernoulliStepN4(k, u, rng);
    if (!accepted) continue;
    return { sign: randomWord(rng) & 1 ? -1 : 1, k, u };
  }
}

/** A finite double as m·2^e with integer m (exact). */
function dyadic(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 1024 }; // any exponent: the term vanishes
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const m = exponent === 0 ? fraction : fraction | 0x10000000000000n;
  return { m: negative ? -m : m, e: exponent === 0 ? -1074 : exponent - 1075 };
}

/** m·2^e as a numerator over 2^base (base ≤ e). */
const scaled = (d: { m: bigint; e: number }, base: number): bigint => d.m << BigInt(d.e - base);

/**
 * The grid index round((x + σ·Z)/γ) for an exact standard normal Z, γ a power of two; exact.
 */
export function exactSnappedGaussianIndex(x: number, sigma: number, gamma: number, rng: Rng): bigint {
  if (!Number.isFinite(x)) throw new PrivacyParameterError(`a released value must be finite before noise (got ${x})`);
  const { sign, k, u } = exactStandardNormal(rng);
  const dx = dyadic(x);
  const ds = dyadic(sigma);
  const gammaExponent = Math.log2(gamma);
  if (!Number.isInteger(gammaExponent)) throw new PrivacyParameterError(`the snapping grid must be a power of two (got ${gamma})`);
  const dg = { m: 1n, e: gammaExponent };
  // round(t) = floor((2x + γ + 2σ·s·(k + u)) / 2γ); with u = A/2^L the numerator is dyadic.
  for (let words = 1; ; words++) {
    const L = 32 * words;
    let A = 0n;
    for (let i = 0; i < words; i++) A = (A << 32n) | BigInt(u.word(i));
    const base = Math.min(dx.e + 1, dg.e, ds.e + 1 - L);
    const fixedPart = scaled({ m: dx.m, e: dx.e + 1 }, base) + scaled(dg, base);
    const noiseAt = (numerator: bigint) => BigInt(sign) * scaled({ m: ds.m * ((BigInt(k) << BigInt(L)) + numerator), e: ds.e + 1 - L }, base);
    const shift = BigInt(dg.e + 1 - base);
    const low = (fixedPart + noiseAt(A)) >> shift;
    const high = (fixedPart + noiseAt(A + 1n)) >> shift;
    if (low === high) return low;
  }
}
