/**
 * LDLᵀ factorisation of a symmetric positive semi-definite matrix with a pivot tolerance, for the
 * Newton steps of the Cox fit. It follows the idea of R `survival`'s `cholesky2`/`chsolve2`: a pivot
 * below `tolerance · max|diag|` marks its variable as singular (collinear or constant column); that
 * variable's row and column are dropped from the factor and its solution component is set to 0,
 * so the Newton step leaves the coefficient where it is instead of exploding.
 *
 * Storage: a p × p row-major Float64Array whose lower triangle is read on input and overwritten by
 * the factor (strict lower part: L, diagonal: D). The upper triangle is ignored.
 */

/**
 * Factorises in place. `singular[i]` is set to 1 for dropped pivots (0 otherwise). Returns the rank.
 */
export function ldlFactor(a: Float64Array, p: number, tolerance: number, singular: Uint8Array): number {
  let maxDiagonal = 0;
  for (let i = 0; i < p; i++) {
    const d = Math.abs(a[i * p + i]);
    if (d > maxDiagonal) maxDiagonal = d;
  }
  const threshold = maxDiagonal * tolerance;
  let rank = 0;
  for (let i = 0; i < p; i++) {
    const pivot = a[i * p + i];
    if (!Number.isFinite(pivot) || pivot <= threshold) {
      singular[i] = 1;
      a[i * p + i] = 0;
      for (let j = i + 1; j < p; j++) a[j * p + i] = 0;
      continue;
    }
    singular[i] = 0;
    rank++;
    for (let j = i + 1; j < p; j++) a[j * p + i] /= pivot;
    // Schur complement update of the remaining lower triangle: a_kj -= l_ki · l_ji · d_i (k ≥ j > i).
    for (let j = i + 1; j < p; j++) {
      const scaledLji = a[j * p + i] * pivot;
      if (scaledLji === 0) continue;
      for (let k = j; k < p; k++) a[k * p + j] -= a[k * p + i] * scaledLji;
    }
  }
  return rank;
}

/** Solves (L D Lᵀ) x = b in place in `b`, with x_i = 0 for singular pivots. */
export function ldlSolve(factor: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let v = b[i];
    const row = i * p;
    for (let j = 0; j < i; j++) v -= factor[row + j] * b[j];
    b[i] = v;
  }
  for (let i = p - 1; i >= 0; i--) {
    const d = factor[i * p + i];
    if (d === 0) {
      b[i] = 0;
      continue;
    }
    let v = b[i] / d;
    for (let j = i + 1; j < p; j++) v -= factor[j * p + i] * b[j];
    b[i] = v;
  }
}

/**
 * In-place Cholesky factorisation of the symmetric positive definite q×q matrix `a` (row-major,
 * lower triangle used and overwritten by L). Returns false if a pivot is not positive.
 */
export function choleskyInPlace(a: Float64Array, q: number): boolean {
  for (let j = 0; j < q; j++) {
    const rowJ = j * q;
    let diag = a[rowJ + j];
    for (let k = 0; k < j; k++) diag -= a[rowJ + k] * a[rowJ + k];
    if (!(diag > 0)) return false;
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < q; i++) {
      const rowI = i * q;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = s * inv;
    }
  }
  return true;
}

/** Solve L Lᵀ x = b in place (b becomes x), with L from `choleskyInPlace`. */
export function choleskySolveInPlace(l: Float64Array, q: number, b: Float64Array): void {
  for (let i = 0; i < q; i++) {
    const row = i * q;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[row + k] * b[k];
    b[i] = s / l[row + i];
  }
  for (let i = q - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < q; k++) s -= l[k * q + i] * b[k];
    b[i] = s / l[i * q + i];
  }
}
