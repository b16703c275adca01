/**
 * Random number generators. Every model and mechanism takes an explicit `Rng`, so a run is
 * reproducible given its seed, and a private release can swap in the cryptographically secure
 * source (`CryptoRng` in `privacy/random.ts`) without touching the callers.
 */
export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal draw. */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /**
   * Optional: `out[from … to)` filled with `normal()` draws, in order (the same numbers the calls
   * would give). A generator's own loop keeps each draw unboxed, where a caller's loop over
   * `normal()` through this interface allocates one heap number per draw.
   */
  fillNormal?(out: Float64Array, from: number, to: number): void;
  /** True for a seeded, reproducible generator (a run using one is not a private release). */
  readonly reproducible: boolean;
}

/**
 * Normals drawn two at a time by a subclass's `drawPair` and handed out one by one, the second kept
 * as a spare for the next `normal()`. Pairs are written into arrays, never returned: a double
 * returned from a call the optimiser does not inline is boxed (a heap allocation per draw).
 */
export abstract class PairedNormals {
  protected spareNormal = NaN;
  private readonly pair = new Float64Array(2);

  /** Two standard normals into out[at] and out[at + 1]. */
  protected abstract drawPair(out: Float64Array, at: number): void;

  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    this.drawPair(this.pair, 0);
    this.spareNormal = this.pair[1];
    return this.pair[0];
  }

  /** The draws of successive `normal()` calls: a pending spare first, then whole pairs in place. */
  fillNormal(out: Float64Array, from: number, to: number): void {
    let i = from;
    if (i < to && !Number.isNaN(this.spareNormal)) {
      out[i++] = this.spareNormal;
      this.spareNormal = NaN;
    }
    for (; i + 1 < to; i += 2) this.drawPair(out, i);
    if (i < to) out[i] = this.normal();
  }
}

/**
 * xoshiro128** (Blackman & Vigna) on 32-bit state words, seeded through splitmix32: fast, small,
 * good statistical quality, and identical in Node and the browser. Not for release randomness.
 */
export class SeededRng extends PairedNormals implements Rng {
  readonly reproducible = true;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    super();
    this.reseed(seed);
  }

  /**
   * Restart as `new SeededRng(seed)` would. Lets a caller keep one learner (and its warm buffers)
   * while giving each fit the random stream of a fresh learner with that seed.
   */
  reseed(seed: number): void {
    this.spareNormal = NaN;
    // The low 32 bits seed splitmix32 as they always did (so seeds below 2^32 keep their streams);
    // the high bits, when present, seed a second splitmix32 stream XORed into every state word, so
    // seeds up to 2^53 give distinct generators (a 32-bit cut made 2^32 the same as 0).
    const low = splitmix32((seed >>> 0) ^ 0x9e3779b9);
    const highBits = seed >= 2 ** 32 ? Math.floor(seed / 2 ** 32) : 0;
    const high = highBits > 0 ? splitmix32(highBits ^ 0x7f4a7c15) : () => 0;
    this.s0 = (low() ^ high()) >>> 0;
    this.s1 = (low() ^ high()) >>> 0;
    this.s2 = (low() ^ high()) >>> 0;
    this.s3 = (low() ^ high()) >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Marsaglia polar method: two normals per accepted pair. */
  protected drawPair(out: Float64Array, at: number): void {
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    out[at] = u * f;
    out[at + 1] = v * f;
  }

  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** An independent child stream (for per-tree or per-worker generators). */
  fork(): SeededRng {
    return new SeededRng(this.nextUint32() ^ Math.imul(this.nextUint32(), 0x27d4eb2d));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fill `out` with standard normal draws. */
export function fillNormal(rng: Rng, out: Float64Array, from = 0, to = out.length): Float64Array {
  if (rng.fillNormal) rng.fillNormal(out, from, to);
  else for (let i = from; i < to; i++) out[i] = rng.normal();
  return out;
}

/** Fisher–Yates shuffle of an index array in place. */
export function shuffleInPlace(rng: Rng, a: Int32Array | number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** splitmix32 (the 32-bit finaliser of MurmurHash3 on a Weyl sequence) from a 32-bit start. */
function splitmix32(start: number): () => number {
  let x = start | 0;
  return () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
