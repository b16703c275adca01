/**
 * The synthetic set: m rows of parameters in the encoded space Z plus fixed outcomes, and what a
 * learner sees of it. Outcomes are not optimised: classification labels are fixed per class and
 * survival times/events are fixed at private quantiles of the time distribution.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import type { Rng } from '../core/rng.js';
import type { Encoder } from '../data/encoding.js';
import type { Target } from '../models/types.js';
import type { StratumMoments } from './privateStatistics.js';

export interface SyntheticSet {
  /** m × encoder.dim parameters (row-major), always inside the encoder's box. */
  readonly parameters: Matrix;
  readonly target: Target;
  /** Stratum (class, or survival risk group) each row was initialised from. */
  readonly strata: Int32Array;
}

/**
 * Rows per stratum: `balanced` splits m evenly (remainder to the first strata); `proportional`
 * follows the (noisy) stratum counts, with at least `minimum` rows each.
 */
export function allocateRows(m: number, counts: readonly number[], mode: 'balanced' | 'proportional', minimum = 1): Int32Array {
  const k = counts.length;
  if (m < k * minimum) throw new RangeError(`cannot place ${m} synthetic rows in ${k} strata (need at least ${k * minimum})`);
  const out = new Int32Array(k);
  if (mode === 'balanced') {
    for (let s = 0; s < k; s++) out[s] = Math.floor(m / k) + (s < m % k ? 1 : 0);
    return out;
  }
  const total = counts.reduce((a, c) => a + Math.max(0, c), 0) || 1;
  const free = m - k * minimum;
  const exact = counts.map((c) => (Math.max(0, c) / total) * free);
  let placed = 0;
  for (let s = 0; s < k; s++) placed += out[s] = minimum + Math.floor(exact[s]);
  // Largest remainders get the rows left over.
  const order = exact.map((e, s) => [e - Math.floor(e), s] as const).sort((a, b) => b[0] - a[0]);
  for (let r = 0; placed < m; r++, placed++) out[order[r % k][1]]++;
  return out;
}

/**
 * Private initialisation: each stratum's rows are drawn around that stratum's DP means, with the DP
 * spread times `spreadFactor` (numeric), DP frequencies (binary, categorical). Only DP statistics are
 * read, so this is post-processing.
 */
export function initialiseFromMoments(
  encoder: Encoder,
  moments: readonly StratumMoments[],
  allocation: Int32Array,
  rng: Rng,
  spreadFactor: number,
): { parameters: Matrix; strata: Int32Array } {
  const m = allocation.reduce((a, c) => a + c, 0);
  const d = encoder.dim;
  const parameters = matrix(m, d);
  const strata = new Int32Array(m);
  const z = parameters.data;
  let row = 0;
  for (let s = 0; s < allocation.length; s++) {
    for (let r = 0; r < allocation[s]; r++, row++) {
      strata[row] = s;
      encoder.slices.forEach((slice, f) => {
        const mom = moments[s].features[f];
        const base = row * d + slice.start;
        if (slice.type === 'categorical') {
          const level = drawLevel(mom.levelProbabilities!, rng);
          for (let l = 0; l < slice.length; l++) z[base + l] = l === level ? 1 : 0;
        } else if (slice.type === 'binary') {
          z[base] = rng.uniform() < mom.mean ? 1 : 0;
        } else {
          const x = mom.mean + spreadFactor * mom.sd * rng.normal();
          z[base] = (x - encoder.centers[f]) / encoder.scales[f];
        }
      });
    }
  }
  encoder.project(parameters);
  return { parameters, strata };
}

/** Fallback initialisation: uniform in the encoder's box (uses public information only). */
export function initialiseUniform(encoder: Encoder, m: number, rng: Rng): Matrix {
  const parameters = matrix(m, encoder.dim);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < encoder.dim; j++) {
      parameters.data[i * encoder.dim + j] = encoder.lower[j] + rng.uniform() * (encoder.upper[j] - encoder.lower[j]);
    }
  }
  return parameters;
}

function drawLevel(p: Float64Array, rng: Rng): number {
  let u = rng.uniform();
  for (let l = 0; l < p.length; l++) {
    u -= p[l];
    if (u < 0) return l;
  }
  return p.length - 1;
}
