/**
 * A dense row-major matrix of doubles: the one shape in which feature data travels between layers
 * (design matrices, synthetic rows, model inputs). Missing values are NaN.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major: element (i, j) at `data[i * cols + j]`. */
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (data && data.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${data.length} values, expected ${rows}x${cols}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

export function matrixFromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  const m = matrix(n, d);
  for (let i = 0; i < n; i++) {
    if (rows[i].length !== d) throw new RangeError(`matrixFromRows: row ${i} has ${rows[i].length} values, expected ${d}`);
    for (let j = 0; j < d; j++) m.data[i * d + j] = rows[i][j];
  }
  return m;
}

/** Rows `indices` of `m`, copied into a new matrix. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = matrix(indices.length, m.cols);
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r] * m.cols;
    out.data.set(m.data.subarray(src, src + m.cols), r * m.cols);
  }
  return out;
}

export function getColumn(m: Matrix, j: number, out = new Float64Array(m.rows)): Float64Array {
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

export function cloneMatrix(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}

/** Select elements of a typed array by index. */
export function takeFloat(values: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}

export function takeUint8(values: Uint8Array, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}
