/**
 * Poisson sampling — every record in [0, n) included independently with probability q — in
 * O(q·n + 1) expected time and random draws, exactly.
 *
 * Why it is exact (the argument the privacy accounting relies on). Let I_0, I_1, … be independent
 * Bernoulli(q) trials and G the number of failures before the first success:
 * P(G ≥ k) = r^k with r = 1 − q. After any success the remaining trials are again independent
 * Bernoulli(q) trials, independent of the past, so the gaps between successive successes are
 * independent copies of G. Drawing independent gaps G₁, G₂, … and including the indices G₁,
 * G₁ + 1 + G₂, … that fall below n therefore yields the inclusion vector (I_0 … I_{n−1}) with exactly
 * its joint distribution. Near the end only the gap truncated at the L = n − position records left
 * matters: "no more inclusions" has probability r^L, the probability of L failures.
 *
 * Each gap comes from one uniform U ∈ (0, 1), an unending string of fair bits drawn lazily:
 * G = max{k : U < r^k}, so P(G ≥ k) = P(U < r^k) = r^k. Every comparison "U < r^k" is decided
 * exactly: U is known to lie in the dyadic interval of its first P bits, r^k is enclosed in an
 * interval computed with bounded rounding error, and when the two overlap more bits of U are drawn
 * and r^k is recomputed to that precision with integer (BigInt) arithmetic and directed rounding.
 * A comparison stays undecided with probability at most the widths of the two intervals, which
 * shrink to 0, so it terminates with probability 1, and its answer is that of the exact U against the
 * exact r^k (q is a double, i.e. the dyadic rational M/2^E, so r = (2^E − M)/2^E is known exactly;
 * U = r^k has probability 0). The floating-point logarithm only *guesses* where to look; a bad guess
 * costs time, never exactness.
 *
 * Fast path: with the first 53 bits of U and r^k computed by binary powering of fl(1 − q) (each IEEE
 * product is correctly rounded, so the relative error is at most (k + 2·bits(k))·2⁻⁵³), the
 * comparison is decided unless U lies within about k·2⁻⁵² (relatively) of r^k — about once in 10⁸
 * gaps for k ≈ 10⁶. Typically two comparisons decide a gap.
 */
import type { Rng } from '../core/rng.js';
import { PrivacyParameterError } from './errors.js';

const TWO_POW_53 = 9007199254740992;
const TWO_POW_MINUS_52 = 2 ** -52;
/** Below this a binary power may have lost relative precision to subnormal numbers. */
const SMALLEST_TRUSTED_POWER = 2 ** -900;

/**
 * Draws Poisson samples of [0, n) at rate q into a buffer that grows on demand (so memory follows
 * the batch, not n). `sample` returns a view that is valid until the next call.
 */
export class PoissonSampler {
  readonly n: number;
  readonly q: number;
  private buffer: Int32Array;
  private readonly r: number;
  private readonly logR: number;
  /** q = qNumerator / 2^qExponent exactly (BigInt), for the exact comparisons. */
  private readonly qNumerator: bigint;
  private readonly qExponent: number;
  /** Exponent whose power r^k is still far above the subnormal range (a safe comparison point). */
  private readonly safeExponent: number;
  private readonly gap: LazyGap;

  constructor(n: number, q: number) {
    if (!(Number.isInteger(n) && n >= 0 && n <= 0x7fffffff)) throw new PrivacyParameterError(`n must be an integer in [0, 2^31) (got ${n})`);
    if (!(q >= 0 && q <= 1)) throw new PrivacyParameterError(`sampling rate must be in [0, 1] (got ${q})`);
    this.n = n;
    this.q = q;
    this.r = 1 - q;
    this.logR = Math.log1p(-q);
    let exponent = 0;
    let scaled = q;
    while (!Number.isInteger(scaled)) {
      scaled *= 2; // exact: power-of-two scaling of a double
      exponent++;
    }
    this.qNumerator = BigInt(scaled);
    this.qExponent = exponent;
    this.safeExponent = q > 0 && q < 1 ? Math.max(1, Math.floor((-600 * Math.LN2) / this.logR)) : 1;
    this.buffer = new Int32Array(Math.min(n, Math.max(16, Math.ceil(q * n + 6 * Math.sqrt(q * n) + 16))));
    this.gap = new LazyGap(this.qNumerator, this.qExponent);
  }

  /** One Poisson sample: the included indices in increasing order. */
  sample(rng: Rng): Int32Array {
    const { n, q } = this;
    let count = 0;
    if (q === 0 || n === 0) return this.buffer.subarray(0, 0);
    if (q === 1) {
      this.ensureCapacity(n);
      for (let i = 0; i < n; i++) this.buffer[i] = i;
      return this.buffer.subarray(0, n);
    }
    let position = 0;
    while (position < n) {
      const gap = this.drawGap(rng, n - position);
      if (gap < 0) break;
      position += gap;
      if (count === this.buffer.length) this.ensureCapacity(count + 1);
      this.buffer[count++] = position;
      position++;
    }
    return this.buffer.subarray(0, count);
  }

  /** The next gap G (failures before a success), or −1 if none of the `left` records is included. */
  private drawGap(rng: Rng, left: number): number {
    const gap = this.gap;
    gap.start(rng);
    // G' = max{k ∈ [0, left] : U < r^k}; below(0) is true. G' = left means no inclusion.
    let low = 0;
    let high = left + 1; // stands for "known false"
    const u = (gap.head + 0.5) / TWO_POW_53;
    let guess = Math.floor(Math.log(u) / this.logR);
    if (!(guess >= 0)) guess = 0;
    if (guess > left) guess = left;
    if (this.below(guess)) {
      low = guess;
      if (guess + 1 < high) {
        if (this.below(guess + 1)) low = guess + 1;
        else high = guess + 1;
      }
    } else high = guess;
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2);
      if (this.below(mid)) low = mid;
      else high = mid;
    }
    return low === left ? -1 : low;
  }

  /** Exactly: is the current gap's uniform U below r^k? */
  private below(k: number): boolean {
    if (k === 0) return true;
    const gap = this.gap;
    // Far powers first compare at the safe exponent: U ≥ r^safe implies U ≥ r^k for every k ≥ safe.
    if (k > this.safeExponent && !this.below(this.safeExponent)) return false;
    const power = binaryPower(this.r, k);
    if (power >= SMALLEST_TRUSTED_POWER) {
      const operations = k + 2 * (32 - Math.clz32(k)) + 4;
      const bound = operations * TWO_POW_MINUS_52;
      const lowPower = power * (1 - 2 * bound);
      const highPower = power * (1 + 2 * bound);
      if ((gap.head + 1) / TWO_POW_53 <= lowPower) return true;
      if (gap.head / TWO_POW_53 >= highPower) return false;
    }
    return gap.exactlyBelow(k);
  }

  private ensureCapacity(size: number): void {
    if (size <= this.buffer.length) return;
    const grown = new Int32Array(Math.max(size, Math.ceil(this.buffer.length * 1.5)));
    grown.set(this.buffer);
    this.buffer = grown;
  }
}

/**
 * r^k by binary powering in floating point: at most 2·bits(k) correctly rounded products, so with
 * fl(1 − q) as the base the relative error is below (k + 2·bits(k))·2⁻⁵³ (see the module comment;
 * `PoissonSampler.below` uses twice that as its margin).
 */
function binaryPower(base: number, exponent: number): number {
  let result = 1;
  let square = base;
  let e = exponent;
  for (;;) {
    if (e % 2 === 1) result *= square;
    e = Math.floor(e / 2);
    if (e === 0) return result;
    square *= square;
  }
}

/**
 * The uniform U of one gap as lazily drawn bits: `head` holds the first 53, `tail` the further
 * `tailBits` (drawn only when a comparison needs them), and exact comparisons with r^k.
 */
class LazyGap {
  head = 0;
  private tail = 0n;
  private tailBits = 0;
  private rng: Rng | undefined;

  constructor(private readonly qNumerator: bigint, private readonly qExponent: number) {}

  start(rng: Rng): void {
    this.rng = rng;
    this.head = Math.floor(rng.uniform() * TWO_POW_53);
    this.tail = 0n;
    this.tailBits = 0;
  }

  /**
   * U < r^k decided with BigInt fixed point at P = 53 + tailBits bits: r^k ∈ [low, high]/2^P by
   * binary powering with downward and upward rounding, U ∈ [V, V + 1)/2^P. Draw 53 more bits of U
   * (and double the precision later on) until the intervals separate.
   */
  exactlyBelow(k: number): boolean {
    if (this.tailBits === 0) this.drawTail(53);
    for (;;) {
      const precision = 53 + this.tailBits;
      const value = (BigInt(this.head) << BigInt(this.tailBits)) | this.tail;
      const [low, high] = this.powerInterval(k, precision);
      if (value + 1n <= low) return true;
      if (value >= high) return false;
      this.drawTail(this.tailBits < 106 ? 53 : this.tailBits);
    }
  }

  private drawTail(bits: number): void {
    const rng = this.rng!;
    for (let drawn = 0; drawn < bits; drawn += 53) {
      this.tail = (this.tail << 53n) | BigInt(Math.floor(rng.uniform() * TWO_POW_53));
      this.tailBits += 53;
    }
  }

  /** [low, high] with low/2^P ≤ r^k ≤ high/2^P, where r = (2^E − M)/2^E exactly. */
  private powerInterval(k: number, precision: number): [bigint, bigint] {
    const p = BigInt(precision);
    const e = BigInt(this.qExponent);
    const numerator = (1n << e) - this.qNumerator; // r = numerator / 2^E
    let baseLow: bigint;
    let baseHigh: bigint;
    if (precision >= this.qExponent) {
      baseLow = baseHigh = numerator << (p - e);
    } else {
      baseLow = numerator >> (e - p);
      baseHigh = baseLow + ((baseLow << (e - p)) === numerator ? 0n : 1n);
    }
    const one = 1n << p;
    const roundUp = one - 1n;
    let low = one;
    let high = one;
    let e2 = k;
    for (;;) {
      if (e2 % 2 === 1) {
        low = (low * baseLow) >> p;
        high = (high * baseHigh + roundUp) >> p;
      }
      e2 = Math.floor(e2 / 2);
      if (e2 === 0) return [low, high];
      baseLow = (baseLow * baseLow) >> p;
      baseHigh = (baseHigh * baseHigh + roundUp) >> p;
    }
  }
}

/**
 * Poisson sampling: every index in [0, n) included independently with probability q (exact, see
 * the module comment). Returns the selected indices in increasing order, in a new array.
 */
export function poissonSample(n: number, q: number, rng: Rng): Int32Array {
  return new PoissonSampler(n, q).sample(rng).slice();
}
