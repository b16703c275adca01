/**
 * The synthetic set: m rows of parameters in the encoded space Z plus fixed outcomes, and what a
 * learner sees of it. Outcomes are not optimised: classification labels are fixed per class and
 * survival times/events are fixed at private quantiles of the time distribution.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import { shuffleInPlace, type Rng } from '../core/rng.js';
import { Encoder, type EncoderState } from '../data/encoding.js';
import type { SurvivalTarget, Target } from '../models/types.js';
import { normalQuantile } from '../privacy/analysis/special.js';
import type { StratumMoments } from './privateStatistics.js';

export interface SyntheticSetState {
  encoder: EncoderState;
  rows: number;
  target: Target;
  logTimeBox?: [number, number];
  weightStrata?: Int32Array;
}

/**
 * Bound of the learned log row weights: a row's raw weight e^a lies in [1/4, 4], so after the
 * per-stratum normalisation no row counts more than 16 times another of its stratum — enough to
 * let a row fade or stand in for a few, not enough to let the DP noise empty a stratum.
 */
export const LOG_ROW_WEIGHT_BOUND = Math.log(4);

/**
 * The optimised parameter vector: the m × dim encoded rows (row-major), followed — for survival
 * with `optimiseTimes` — by the m log follow-up times, then — with `rowWeights` — by the m log row
 * weights. Event flags (and classification labels) stay fixed. `materialise` turns any such vector
 * (the current one, or a perturbed copy) into what a learner is trained on, `weightsOf` into the
 * learner's case weights.
 */
export class SyntheticParameters {
  readonly values: Float64Array;
  readonly rows: number;
  private readonly rowSize: number;
  private readonly times?: Float64Array;
  /** Where the log row weights start in the parameter vector (absent without row weights). */
  private readonly weightOffset?: number;
  private readonly weights?: Float64Array;
  /** Per stratum, the sum of its rows' raw weights (reused buffer), and its row count. */
  private readonly stratumSums?: Float64Array;
  private readonly stratumRows?: Float64Array;

  constructor(
    readonly encoder: Encoder,
    initialRows: Matrix,
    readonly target: Target,
    /** Bounds of the log follow-up times when they are optimised (survival only). */
    private readonly logTimeBox?: [number, number],
    /**
     * With learned row weights: each row's stratum (0-based). Weights are normalised to mean 1
     * within each stratum, so the strata keep the balance the allocation gave them.
     */
    readonly weightStrata?: Int32Array,
  ) {
    this.rows = initialRows.rows;
    this.rowSize = initialRows.data.length;
    const optimiseTimes = logTimeBox !== undefined && target.task === 'survival';
    const timeBlock = optimiseTimes ? this.rows : 0;
    if (weightStrata && weightStrata.length !== this.rows) throw new RangeError(`SyntheticParameters: ${weightStrata.length} weight strata for ${this.rows} rows`);
    this.values = new Float64Array(this.rowSize + timeBlock + (weightStrata ? this.rows : 0));
    this.values.set(initialRows.data);
    if (optimiseTimes) {
      const time = (target as SurvivalTarget).time;
      for (let i = 0; i < this.rows; i++) this.values[this.rowSize + i] = Math.log(time[i]);
      this.times = new Float64Array(this.rows);
    }
    if (weightStrata) {
      // Log weights start at 0: every row counts once, as without weights.
      this.weightOffset = this.rowSize + timeBlock;
      this.weights = new Float64Array(this.rows);
      this.stratumSums = new Float64Array(weightStrata.reduce((a, s) => Math.max(a, s + 1), 0));
      this.stratumRows = new Float64Array(this.stratumSums.length);
      for (const s of weightStrata) this.stratumRows[s]++;
    }
    this.project(this.values);
  }

  /** What `fromState` needs to rebuild this set in another thread (plain, structured-cloneable data). */
  toState(): SyntheticSetState {
    return { encoder: this.encoder.toState(), rows: this.rows, target: this.target, logTimeBox: this.times ? this.logTimeBox : undefined, weightStrata: this.weightStrata };
  }

  /** A set that materialises parameter vectors exactly like the one `state` came from. */
  static fromState(state: SyntheticSetState): SyntheticParameters {
    const encoder = Encoder.fromState(state.encoder);
    return new SyntheticParameters(encoder, matrix(state.rows, encoder.dim), state.target, state.logTimeBox, state.weightStrata);
  }

  get size(): number {
    return this.values.length;
  }

  /** Per-row coordinates after the encoded rows: 0, 1 or 2 blocks of m (log times, log weights). */
  get perRowBlocks(): number {
    return (this.times ? 1 : 0) + (this.weights ? 1 : 0);
  }

  /** The encoded rows of a parameter vector, as a matrix view (no copy). */
  rowsOf(values: Float64Array): Matrix {
    return matrix(this.rows, this.encoder.dim, values.subarray(0, this.rowSize));
  }

  /** Clamp a parameter vector into the encoder's box (and the log-time and log-weight boxes) in place. */
  project(values: Float64Array): void {
    this.encoder.project(this.rowsOf(values));
    if (this.times) {
      const [lo, hi] = this.logTimeBox!;
      for (let i = this.rowSize; i < this.rowSize + this.rows; i++) values[i] = Math.min(hi, Math.max(lo, values[i]));
    }
    if (this.weightOffset !== undefined) {
      const b = LOG_ROW_WEIGHT_BOUND;
      for (let i = this.weightOffset; i < this.weightOffset + this.rows; i++) values[i] = Math.min(b, Math.max(-b, values[i]));
    }
  }

  /** The learner's input for `values`: hardened rows written into `X`, and the outcome. */
  materialise(values: Float64Array, X: Matrix): Target {
    this.encoder.harden(this.rowsOf(values), X);
    return this.outcome(values);
  }

  /** The outcome for `values` (optimised times are exp of their clamped log; the buffer is reused). */
  outcome(values: Float64Array): Target {
    if (!this.times) return this.target;
    const [lo, hi] = this.logTimeBox!;
    for (let i = 0; i < this.rows; i++) this.times[i] = Math.exp(Math.min(hi, Math.max(lo, values[this.rowSize + i])));
    return { task: 'survival', time: this.times, event: (this.target as SurvivalTarget).event };
  }

  /**
   * The row weights for `values` (undefined without `rowWeights`): w_i = e^{a_i} / mean of e^{a_j}
   * over row i's stratum, a clamped to ±`LOG_ROW_WEIGHT_BOUND` (a perturbed vector may lie outside
   * the box). Each stratum's weights sum to its row count. The buffer is reused.
   */
  weightsOf(values: Float64Array): Float64Array | undefined {
    if (this.weightOffset === undefined) return undefined;
    const w = this.weights!;
    const sums = this.stratumSums!.fill(0);
    const counts = this.stratumRows!;
    const strata = this.weightStrata!;
    const b = LOG_ROW_WEIGHT_BOUND;
    for (let i = 0; i < this.rows; i++) {
      w[i] = Math.exp(Math.min(b, Math.max(-b, values[this.weightOffset + i])));
      sums[strata[i]] += w[i];
    }
    for (let i = 0; i < this.rows; i++) w[i] *= counts[strata[i]] / sums[strata[i]];
    return w;
  }
}

/** Each row's stratum, for rows laid out stratum by stratum as `allocation` says. */
export function stratumOfRows(allocation: Int32Array): Int32Array {
  const strata = new Int32Array(allocation.reduce((a, c) => a + c, 0));
  let row = 0;
  allocation.forEach((count, s) => {
    strata.fill(s, row, row + count);
    row += count;
  });
  return strata;
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
  /**
   * Widen each numeric spread by the noise of the stratum's DP mean (`meanNoiseSd`): √((k·sd)² + v).
   * The rows then scatter over where the true mean may lie rather than around one noisy guess —
   * at low ε a guess several sds off leaves every split of a tree outside the data.
   */
  coverMeanNoise = false,
  /**
   * `independent`: every row's values drawn independently. `stratified`: within a stratum, each
   * feature's values are one draw from each of the stratum's m_s equal-probability slices of its
   * distribution, in an independent random order per feature (Latin hypercube sampling), so the
   * rows' per-feature spreads, shares and class differences are those of the DP moments rather than
   * of a handful of random draws; features stay independent within the stratum, as before.
   */
  draws: 'independent' | 'stratified' = 'independent',
): Matrix {
  const m = allocation.reduce((a, c) => a + c, 0);
  const d = encoder.dim;
  const parameters = matrix(m, d);
  const z = parameters.data;
  const spreadOf = (mom: StratumMoments['features'][number]) => {
    const noise = coverMeanNoise ? mom.meanNoiseSd ?? 0 : 0;
    return noise > 0 ? Math.sqrt((spreadFactor * mom.sd) ** 2 + noise * noise) : spreadFactor * mom.sd;
  };
  let row = 0;
  for (let s = 0; s < allocation.length; s++) {
    if (draws === 'stratified') {
      drawStratumStratified(encoder, moments[s], z, row, allocation[s], rng, spreadOf);
      row += allocation[s];
      continue;
    }
    for (let r = 0; r < allocation[s]; r++, row++) {
      encoder.slices.forEach((slice, f) => {
        const mom = moments[s].features[f];
        const base = row * d + slice.start;
        if (slice.type === 'categorical') {
          const level = levelAt(mom.levelProbabilities!, rng.uniform());
          for (let l = 0; l < slice.length; l++) z[base + l] = l === level ? 1 : 0;
        } else if (slice.type === 'binary') {
          z[base] = rng.uniform() < mom.mean ? 1 : 0;
        } else {
          const x = mom.mean + spreadOf(mom) * rng.normal();
          z[base] = (x - encoder.centers[f]) / encoder.scales[f];
        }
      });
    }
  }
  encoder.project(parameters);
  return parameters;
}

/**
 * One stratum's `count` rows, from row `firstRow`, by Latin hypercube sampling of its moments: row r
 * of feature f takes the quantile (π_f(r) + U)/count of the feature's distribution (π_f a random
 * permutation): a normal quantile for numerics, the level whose cumulative share covers it for
 * categoricals; a binary feature gets ⌊count·p + U⌋ ones (its expected share) in random rows.
 */
function drawStratumStratified(
  encoder: Encoder,
  moments: StratumMoments,
  z: Float64Array,
  firstRow: number,
  count: number,
  rng: Rng,
  spreadOf: (mom: StratumMoments['features'][number]) => number,
): void {
  const d = encoder.dim;
  const order = new Int32Array(count);
  encoder.slices.forEach((slice, f) => {
    const mom = moments.features[f];
    for (let r = 0; r < count; r++) order[r] = r;
    shuffleInPlace(rng, order);
    if (slice.type === 'binary') {
      const ones = Math.min(count, Math.max(0, Math.floor(count * mom.mean + rng.uniform())));
      for (let r = 0; r < count; r++) z[(firstRow + r) * d + slice.start] = order[r] < ones ? 1 : 0;
      return;
    }
    for (let r = 0; r < count; r++) {
      const base = (firstRow + r) * d + slice.start;
      // u in (0, 1): a zero draw in the first slice would ask for Φ⁻¹(0) = −∞.
      const u = Math.max(Number.MIN_VALUE, (order[r] + rng.uniform()) / count);
      if (slice.type === 'categorical') {
        const level = levelAt(mom.levelProbabilities!, u);
        for (let l = 0; l < slice.length; l++) z[base + l] = l === level ? 1 : 0;
      } else {
        const x = mom.mean + spreadOf(mom) * normalQuantile(u);
        z[base] = (x - encoder.centers[f]) / encoder.scales[f];
      }
    }
  });
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

/** The level whose cumulative probability first exceeds u (u uniform in [0, 1): a draw). */
function levelAt(p: Float64Array, u: number): number {
  for (let l = 0; l < p.length; l++) {
    u -= p[l];
    if (u < 0) return l;
  }
  return p.length - 1;
}
