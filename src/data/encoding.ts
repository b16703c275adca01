/**
 * The encoded space Z in which synthetic rows live and are optimised (DESIGN.md, "The optimisation
 * problem"). Per feature, in card order:
 *
 * - numeric / integer: one coordinate, the affine map z = (x − center) / scale. By default center is
 *   the low bound and scale the width of the bounds, so the box is [0, 1]; the optimiser may pass a
 *   standardisation instead (DP or public mean and spread) so that one smoothing radius fits every
 *   feature. The box is always the image of the bounds. Bounds come from the card (public) or, for
 *   a feature whose card has none, from `options.bounds` (user-supplied or DP-estimated); a numeric
 *   feature with neither cannot be encoded.
 * - binary: one coordinate in [0, 1], the level index; decoded as 1 when z ≥ 0.5.
 * - categorical with k levels: k scores in [0, 1] (one-hot on encoding), decoded by argmax (ties go
 *   to the first level, so decoding is deterministic).
 *
 * Decoding clamps to the box and then to the bounds (so rounding in the affine map can never push a
 * released value outside its public bounds) and rounds integers to the nearest integer inside the
 * bounds. A NaN coordinate decodes to a missing value, so `encode(t, {missing: 'nan'})` round-trips
 * missing cells too.
 */
import { matrix, type Matrix } from '../core/matrix.js';
import { CardError, type DatasetCard, type FeatureType } from './card.js';
import { DataError } from './errors.js';
import { rowMajorRecords, type FeatureColumn, type FeatureRecords, type Table } from './table.js';

export interface NumericScaling {
  center: number;
  scale: number;
}

export interface EncoderOptions {
  /** Per numeric/integer feature: location/scale of the affine map z = (x - center) / scale.
   *  Default: center = low bound, scale = high - low (so the box is [0,1]). */
  scaling?: Record<string, NumericScaling>;
  /** Bounds for features whose card has none (user-supplied or DP-estimated). For a feature whose
   *  card has bounds, these may only tighten them (they must lie inside the card's). */
  bounds?: Record<string, [number, number]>;
}

export interface EncodedSlice {
  feature: string;
  type: FeatureType;
  /** First coordinate of this feature in an encoded row. */
  start: number;
  /** Number of coordinates: k for a categorical with k levels, else 1. */
  length: number;
}

export interface EncodeOptions {
  /**
   * What a missing cell becomes. `nan` (default): NaN in every coordinate of the feature, which
   * decodes back to missing. `impute`: a neutral point — numeric/integer at its `scaling.center`
   * when a scaling was given (a mean), else the middle of its bounds; binary 0.5 (undecided);
   * categorical 1/k in every score (uniform). Meant for starting points, not for round trips.
   */
  missing?: 'nan' | 'impute';
}

export interface SyntheticOutcome {
  label?: Uint8Array;
  /** Classification: the label value to write for class 0 (see `negativeLabelOf`). */
  negativeLabel?: string | number;
  time?: Float64Array;
  event?: Uint8Array;
}

/**
 * Everything an encoder is built from, as plain data (structured-cloneable and JSON-safe), so an
 * encoder can cross a worker boundary or be stored and rebuilt with `Encoder.fromState`.
 */
export interface EncoderState {
  card: DatasetCard;
  scaling: Record<string, NumericScaling>;
  bounds: Record<string, [number, number]>;
}

const NUMERIC = 0;
const INTEGER = 1;
const BINARY = 2;
const CATEGORICAL = 3;

export class Encoder {
  readonly card: DatasetCard;
  /** Encoded width: 1 per numeric/integer/binary feature, k per categorical feature. */
  readonly dim: number;
  readonly slices: readonly EncodedSlice[];
  /** Coordinate names: the feature name, or `feature=level` for a categorical score. */
  readonly columnNames: readonly string[];
  /** The box of Z, per coordinate. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Per feature (card order): affine center and scale (1/0 for binary and categorical). */
  readonly centers: Float64Array;
  readonly scales: Float64Array;
  /** Per feature: bounds in data units (numeric/integer; [0, 1] placeholders otherwise). */
  readonly lowBounds: Float64Array;
  readonly highBounds: Float64Array;
  private readonly kinds: Uint8Array;
  /** Per feature: its first coordinate and its number of coordinates (as in `slices`). */
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private readonly imputeZ: Float64Array;
  /** Per feature: NaN, what a missing cell becomes by default. */
  private readonly nanZ: Float64Array;
  private readonly options: EncoderOptions;
  /** Where `decodeCell` leaves its result. */
  private readonly decodedCell = new Float64Array(1);

  /** Rebuild an encoder from `toState()` output (e.g. after a postMessage). */
  static fromState(state: EncoderState): Encoder {
    return new Encoder(state.card, { scaling: state.scaling, bounds: state.bounds });
  }

  /** The plain data this encoder was built from (copies, safe to send or store). */
  toState(): EncoderState {
    const scaling: Record<string, NumericScaling> = {};
    for (const [name, s] of Object.entries(this.options.scaling ?? {})) scaling[name] = { center: s.center, scale: s.scale };
    const bounds: Record<string, [number, number]> = {};
    for (const [name, b] of Object.entries(this.options.bounds ?? {})) bounds[name] = [b[0], b[1]];
    return { card: this.card, scaling, bounds };
  }

  constructor(card: DatasetCard, options: EncoderOptions = {}) {
    this.card = card;
    this.options = options;
    const features = card.features;
    const known = new Set(features.map((f) => f.name));
    for (const [what, record] of [
      ['scaling', options.scaling],
      ['bounds', options.bounds],
    ] as const) {
      for (const name of Object.keys(record ?? {})) {
        if (!known.has(name)) throw new CardError(`encoder ${what}: "${name}" is not a feature of card "${card.name}"`);
      }
    }
    const nf = features.length;
    this.kinds = new Uint8Array(nf);
    this.centers = new Float64Array(nf);
    this.scales = new Float64Array(nf).fill(1);
    this.lowBounds = new Float64Array(nf);
    this.highBounds = new Float64Array(nf).fill(1);
    this.imputeZ = new Float64Array(nf);
    this.nanZ = new Float64Array(nf).fill(NaN);
    const slices: EncodedSlice[] = [];
    const names: string[] = [];
    const lower: number[] = [];
    const upper: number[] = [];
    features.forEach((spec, f) => {
      const start = names.length;
      if (spec.type === 'numeric' || spec.type === 'integer') {
        this.kinds[f] = spec.type === 'numeric' ? NUMERIC : INTEGER;
        const [low, high] = resolveBounds(spec.name, spec.bounds ?? null, options.bounds?.[spec.name]);
        const scaling = options.scaling?.[spec.name];
        if (scaling && !(Number.isFinite(scaling.center) && Number.isFinite(scaling.scale) && scaling.scale > 0)) {
          throw new CardError(`encoder scaling for feature "${spec.name}": need a finite center and a scale > 0`);
        }
        const center = scaling ? scaling.center : low;
        const scale = scaling ? scaling.scale : high - low;
        this.centers[f] = center;
        this.scales[f] = scale;
        this.lowBounds[f] = low;
        this.highBounds[f] = high;
        const zLow = (low - center) / scale;
        const zHigh = (high - center) / scale;
        this.imputeZ[f] = scaling ? Math.min(Math.max(0, zLow), zHigh) : (zLow + zHigh) / 2;
        names.push(spec.name);
        lower.push(zLow);
        upper.push(zHigh);
      } else {
        if (options.scaling?.[spec.name]) throw new CardError(`encoder scaling: feature "${spec.name}" is ${spec.type}, not numeric`);
        if (options.bounds?.[spec.name]) throw new CardError(`encoder bounds: feature "${spec.name}" is ${spec.type}, not numeric`);
        if (spec.type === 'binary') {
          this.kinds[f] = BINARY;
          this.imputeZ[f] = 0.5;
          names.push(spec.name);
          lower.push(0);
          upper.push(1);
        } else {
          this.kinds[f] = CATEGORICAL;
          const levels = spec.categories ?? [];
          this.imputeZ[f] = 1 / levels.length;
          for (const level of levels) {
            names.push(`${spec.name}=${level}`);
            lower.push(0);
            upper.push(1);
          }
        }
      }
      slices.push({ feature: spec.name, type: spec.type, start, length: names.length - start });
    });
    this.dim = names.length;
    this.slices = slices;
    this.starts = Int32Array.from(slices, (s) => s.start);
    this.lengths = Int32Array.from(slices, (s) => s.length);
    this.columnNames = names;
    this.lower = Float64Array.from(lower);
    this.upper = Float64Array.from(upper);
  }

  /** Encode the features of `table` (same card features, in order) as rows of Z. */
  encode(table: Table, options: EncodeOptions = {}): Matrix {
    return this.encodeRowsInto(table, undefined, table.nRows, matrix(table.nRows, this.dim).data, options);
  }

  /**
   * Encode only the rows `indices` of `table` (in that order) into the first rows of `out`, a
   * buffer reused across calls — how a step encodes its batch without a second copy of the table.
   * Returns the matrix view of those rows.
   */
  encodeRows(table: Table, indices: Int32Array, out: Float64Array, options: EncodeOptions = {}): Matrix {
    if (out.length < indices.length * this.dim) throw new RangeError(`encodeRows: buffer holds ${Math.floor(out.length / this.dim)} rows, ${indices.length} requested`);
    return this.encodeRowsInto(table, indices, indices.length, out.subarray(0, indices.length * this.dim), options);
  }

  private encodeRowsInto(table: Table, indices: Int32Array | undefined, n: number, z: Float64Array, options: EncodeOptions): Matrix {
    this.checkFeatures(table.features.map((c) => c.spec.name), `table "${table.card.name}"`);
    const impute = options.missing === 'impute';
    const records = rowMajorRecords(table);
    if (records) {
      encodeRecords(records, indices, n, z, this.dim, this.kinds, this.starts, this.lengths, this.centers, this.scales, impute ? this.imputeZ : this.nanZ);
      return matrix(n, this.dim, z);
    }
    // One small loop per column kind (`encodeAffine`, `encodeLevels`): each step encodes its batch
    // here, so these loops must not allocate (see `encodeAffine`).
    for (let f = 0; f < this.slices.length; f++) {
      const column = table.features[f];
      const fill = impute ? this.imputeZ[f] : NaN;
      const start = this.slices[f].start;
      const kind = this.kinds[f];
      if (kind === CATEGORICAL) encodeLevels(column.values, indices, n, z, this.dim, start, this.slices[f].length, fill);
      else if (kind === BINARY) encodeAffine(column.values, indices, n, z, this.dim, start, 0, 1, fill);
      else encodeAffine(column.values, indices, n, z, this.dim, start, this.centers[f], this.scales[f], fill);
    }
    return matrix(n, this.dim, z);
  }

  /** Clamp every coordinate of Z into [lower, upper] in place (NaN, i.e. missing, is left alone). */
  project(Z: Matrix): void {
    this.checkWidth(Z);
    const d = this.dim;
    const data = Z.data;
    const lower = this.lower;
    const upper = this.upper;
    for (let i = 0; i < Z.rows; i++) {
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const v = data[base + j];
        if (v < lower[j]) data[base + j] = lower[j];
        else if (v > upper[j]) data[base + j] = upper[j];
      }
    }
  }

  /**
   * One cell of a released table from row `base` of Z: the level index (categorical: argmax, ties to
   * the first level), 0/1 (binary: z ≥ 1/2), or the value in data units (numeric: clamped to the box,
   * mapped back, integers rounded, then clamped to the bounds); NaN when the coordinate is missing.
   * Written to `decodedCell[0]`, not returned: a double returned from a call the optimiser does not
   * inline is boxed, and `harden` decodes every cell of the synthetic rows for every fit.
   */
  private decodeCell(f: number, z: Float64Array, base: number): void {
    const out = this.decodedCell;
    const slice = this.slices[f];
    const j = base + slice.start;
    const kind = this.kinds[f];
    if (kind === CATEGORICAL) {
      let best = -1;
      let bestScore = -Infinity;
      for (let l = 0; l < slice.length; l++) {
        if (z[j + l] > bestScore) {
          bestScore = z[j + l];
          best = l;
        }
      }
      out[0] = best < 0 ? NaN : best;
      return;
    }
    const v = z[j];
    if (v !== v) {
      out[0] = NaN;
      return;
    }
    if (kind === BINARY) {
      out[0] = v >= 0.5 ? 1 : 0;
      return;
    }
    const zLow = this.lower[slice.start];
    const zHigh = this.upper[slice.start];
    let x = this.centers[f] + this.scales[f] * (v < zLow ? zLow : v > zHigh ? zHigh : v);
    let low = this.lowBounds[f];
    let high = this.highBounds[f];
    if (kind === INTEGER) {
      x = Math.round(x) + 0; // + 0 turns the −0 that Math.round gives small negatives into 0
      low = Math.ceil(low);
      high = Math.floor(high);
    }
    out[0] = x < low ? low : x > high ? high : x;
  }

  /** Decode rows of Z into feature columns (card order), as a released table would hold them. */
  decode(Z: Matrix): FeatureColumn[] {
    this.checkWidth(Z);
    const n = Z.rows;
    const d = this.dim;
    return this.slices.map((_, f) => {
      const values = new Float64Array(n);
      const missing = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        this.decodeCell(f, Z.data, i * d);
        const v = this.decodedCell[0];
        values[i] = v;
        if (v !== v) missing[i] = 1;
      }
      return { spec: this.card.features[f], values, missing };
    });
  }

  /**
   * What a learner trained on the release sees, in Z: every cell decoded and encoded again (the
   * one-hot of the argmax level, 0/1, clamped and rounded numbers), written into `out` (same shape).
   * The optimiser trains its learners on this, so they see exactly what the release will hold.
   */
  harden(Z: Matrix, out: Matrix): Matrix {
    const d = this.dim;
    const o = out.data;
    for (let i = 0; i < Z.rows; i++) {
      const base = i * d;
      for (let f = 0; f < this.slices.length; f++) {
        const { start, length } = this.slices[f];
        this.decodeCell(f, Z.data, base);
        const v = this.decodedCell[0];
        if (this.kinds[f] === CATEGORICAL) {
          for (let l = 0; l < length; l++) o[base + start + l] = v !== v ? NaN : l === v ? 1 : 0;
        } else if (this.kinds[f] === BINARY) o[base + start] = v;
        else o[base + start] = (v - this.centers[f]) / this.scales[f];
      }
    }
    return out;
  }

  /** Decode Z and attach an outcome, giving a table that `formatTableCsv` can write. */
  decodeToTable(Z: Matrix, outcome: SyntheticOutcome): Table {
    const n = Z.rows;
    const card = this.card;
    const checkLength = (name: string, a: ArrayLike<number> | undefined) => {
      if (!a) throw new DataError(`decodeToTable: the ${card.task} outcome needs "${name}"`);
      if (a.length !== n) throw new DataError(`decodeToTable: "${name}" has ${a.length} values for ${n} rows`);
    };
    if (card.task === 'classification') checkLength('label', outcome.label);
    else {
      checkLength('time', outcome.time);
      checkLength('event', outcome.event);
    }
    return {
      card,
      nRows: n,
      features: this.decode(Z),
      label: card.task === 'classification' ? outcome.label : undefined,
      negativeLabel: card.task === 'classification' ? outcome.negativeLabel : undefined,
      time: card.task === 'survival' ? outcome.time : undefined,
      event: card.task === 'survival' ? outcome.event : undefined,
    };
  }

  private checkWidth(Z: Matrix): void {
    if (Z.cols !== this.dim) throw new DataError(`encoder: matrix has ${Z.cols} columns, the encoded space has ${this.dim}`);
  }

  private checkFeatures(names: string[], what: string): void {
    const expected = this.card.features.map((f) => f.name);
    if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
      throw new DataError(`encoder: ${what} does not have the features of card "${this.card.name}" in card order`);
    }
  }
}

/** Card bounds, else option bounds; option bounds may only tighten card bounds. */
function resolveBounds(name: string, card: readonly [number, number] | null, given: readonly [number, number] | undefined): [number, number] {
  if (given) {
    const [low, high] = given;
    if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
      throw new CardError(`encoder bounds for feature "${name}": need finite low < high, got [${low}, ${high}]`);
    }
    if (card && (low < card[0] || high > card[1])) {
      throw new CardError(`encoder bounds for feature "${name}": [${low}, ${high}] is wider than the card's public bounds [${card[0]}, ${card[1]}]`);
    }
    return [low, high];
  }
  if (card) return [card[0], card[1]];
  throw new CardError(
    `feature "${name}" has no bounds in the card; supply bounds for it (user-supplied or DP-estimated) before encoding`,
  );
}

/**
 * One numeric, integer or binary column into coordinate `start` of the first `n` rows of z (row
 * stride d): (value − center) / scale, or `fill` where missing; rows `indices[r]`, or r without
 * indices. A binary column passes center 0 and scale 1, which leaves its 0/1 values unchanged.
 * A missing value is recognised by its NaN (a `Table` holds NaN exactly where its mask is 1), not
 * by reading the mask: a step gathers ~256 records scattered over the whole table, and each array
 * read per record is one more memory page to translate (at n = 10⁷ a step's gather costs more than
 * its fits would suggest; see the README's "Speed and scale").
 */
function encodeAffine(values: ArrayLike<number>, indices: Int32Array | undefined, n: number, z: Float64Array, d: number, start: number, center: number, scale: number, fill: number): void {
  // Two stores rather than `missing ? fill : value`: the conditional expression merging the fill
  // argument with a computed double made the optimiser box every value — a heap allocation per
  // cell, about 110 kB of garbage per 256-row batch of 30 features, paid for in scavenges.
  for (let r = 0; r < n; r++) {
    const v = values[indices ? indices[r] : r];
    if (v !== v) z[r * d + start] = fill;
    else z[r * d + start] = (v - center) / scale;
  }
}

/**
 * Rows `indices[r]` (or r) of row-major records into the first `n` rows of z, feature by feature
 * as `encodeAffine` and `encodeLevels` do for columns (same arithmetic, so the same doubles): a
 * sampled record is one contiguous run of `width` values, one or two cache lines on one page.
 * Binary features have center 0 and scale 1, so the affine branch leaves their 0/1 unchanged.
 */
function encodeRecords(
  records: FeatureRecords,
  indices: Int32Array | undefined,
  n: number,
  z: Float64Array,
  d: number,
  kinds: Uint8Array,
  starts: Int32Array,
  lengths: Int32Array,
  centers: Float64Array,
  scales: Float64Array,
  fill: Float64Array,
): void {
  const values = records.values;
  const width = records.width;
  for (let r = 0; r < n; r++) {
    const source = (indices ? indices[r] : r) * width;
    const row = r * d;
    for (let f = 0; f < width; f++) {
      const v = values[source + f];
      const at = row + starts[f];
      if (kinds[f] === CATEGORICAL) {
        const k = lengths[f];
        if (v !== v) {
          for (let l = 0; l < k; l++) z[at + l] = fill[f];
        } else {
          for (let l = 0; l < k; l++) z[at + l] = 0;
          z[at + v] = 1;
        }
      } else if (v !== v) z[at] = fill[f];
      else z[at] = (v - centers[f]) / scales[f];
    }
  }
}

/** One categorical column as one-hot scores in coordinates start … start + k − 1 (`fill` in each where missing, i.e. NaN). */
function encodeLevels(values: ArrayLike<number>, indices: Int32Array | undefined, n: number, z: Float64Array, d: number, start: number, k: number, fill: number): void {
  for (let r = 0; r < n; r++) {
    const v = values[indices ? indices[r] : r];
    const base = r * d + start;
    if (v !== v) {
      for (let l = 0; l < k; l++) z[base + l] = fill;
    } else {
      for (let l = 0; l < k; l++) z[base + l] = 0;
      z[base + v] = 1;
    }
  }
}
