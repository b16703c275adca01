/**
 * Fast Fourier transform and linear convolution of real sequences, for composing privacy loss
 * distributions. Radix-2, iterative, in place on split real/imaginary Float64Arrays; twiddle
 * factors are computed directly as cos/sin(2πk/n) (not by recurrence) so their error is one
 * rounding each, and cached per size.
 *
 * Round-off: for a radix-2 FFT of length n, ‖ŷ − y‖₂ ≤ c·log₂(n)·u·‖y‖₂ with a small constant c
 * (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., Thm 24.2; u = 2⁻⁵³). A
 * convolution is three transforms and a pointwise product; the resulting L1 error of the
 * convolution of nonnegative a, b with ‖a‖₁, ‖b‖₁ ≤ 1 is at most about
 *   3c·log₂(n)·u·√n·min(‖a‖₂, ‖b‖₂)
 * (‖·‖₁ ≤ √n‖·‖₂ on the output). `convolve` returns that bound with c = 8, a generous constant; the
 * tests check it against direct summation.
 */

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const half = n >> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / n;
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    t = { cos, sin };
    if (twiddleCache.size > 8) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

/** Smallest power of two ≥ m. */
export function nextPowerOfTwo(m: number): number {
  let n = 1;
  while (n < m) n *= 2;
  return n;
}

/**
 * In-place discrete Fourier transform y_k = Σ_j x_j e^{∓2πi jk/n} (minus sign forward; the
 * inverse includes the 1/n factor). n = re.length must be a power of two.
 */
export function fftInPlace(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n || (n & (n - 1)) !== 0) throw new Error('fftInPlace: length must be a power of two and re/im equal');
  if (n <= 1) return;
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const { cos, sin } = twiddles(n);
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += stride) {
        const wr = cos[t];
        const wi = sign * sin[t];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  if (inverse) {
    const scale = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }
}

function norm2(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Below this many multiply-adds the direct sum is cheaper than three transforms (and exact to rounding). */
const DIRECT_LIMIT = 1 << 16;
const UNIT_ROUNDOFF = 2 ** -53;

export interface Convolution {
  /** (a ∗ b)[k] = Σ_i a[i] b[k−i], length a.length + b.length − 1. */
  values: Float64Array;
  /** Bound on the L1 norm of the round-off error of `values` (0 for the direct sum's tiny error). */
  roundoffL1: number;
}

/**
 * Linear convolution of two real sequences. Uses one complex FFT for both inputs (a in the real
 * part, b in the imaginary part; their spectra are separated by conjugate symmetry), a product and
 * one inverse FFT; short inputs are convolved directly.
 */
export function convolve(a: Float64Array, b: Float64Array): Convolution {
  const m = a.length + b.length - 1;
  if (a.length === 0 || b.length === 0) return { values: new Float64Array(0), roundoffL1: 0 };
  if (a.length * b.length <= DIRECT_LIMIT) {
    const values = new Float64Array(m);
    for (let i = 0; i < a.length; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      for (let j = 0; j < b.length; j++) values[i + j] += ai * b[j];
    }
    // Each output is a sum of ≤ min(len) nonnegative products: relative error ≤ len·u.
    let total = 0;
    for (let k = 0; k < m; k++) total += Math.abs(values[k]);
    return { values, roundoffL1: total * Math.min(a.length, b.length) * UNIT_ROUNDOFF * 2 };
  }
  const n = nextPowerOfTwo(m);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  re.set(a);
  im.set(b);
  fftInPlace(re, im);
  // With Z = FFT(a + i b): A_k = (Z_k + conj Z_{n−k})/2, B_k = (Z_k − conj Z_{n−k})/(2i), so
  // A_k B_k = (Z_k² − (conj Z_{n−k})²)/(4i). Pairs (k, n−k) are updated together.
  for (let k = 0; k <= n >> 1; k++) {
    const kk = (n - k) & (n - 1);
    const zr = re[k], zi = im[k];
    const wr = re[kk], wi = -im[kk]; // conj Z_{n−k}
    // (Z_k² − W²)/(4i) with W = conj Z_{n−k}; dividing by i maps (x + iy) to (y − ix).
    const dr = zr * zr - zi * zi - (wr * wr - wi * wi);
    const di = 2 * zr * zi - 2 * wr * wi;
    // Partner: (Z_{n−k}² − (conj Z_k)²)/(4i).
    const pr = re[kk], pi = im[kk];
    const vr = zr, vi = -zi;
    const er = pr * pr - pi * pi - (vr * vr - vi * vi);
    const ei = 2 * pr * pi - 2 * vr * vi;
    re[k] = di / 4;
    im[k] = -dr / 4;
    re[kk] = ei / 4;
    im[kk] = -er / 4;
  }
  fftInPlace(re, im, true);
  const values = re.slice(0, m);
  const roundoffL1 = 24 * Math.log2(n) * UNIT_ROUNDOFF * Math.sqrt(n) * Math.min(norm2(a), norm2(b));
  return { values, roundoffL1 };
}
