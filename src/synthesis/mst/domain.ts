/**
 * The discrete domain MST works on: every column of the table — each feature, the label, or the
 * follow-up time and the event — becomes one attribute with a small number of cells.
 *
 * - numeric / integer features with public bounds (card or user): equal-width bins on the bounds
 *   (integers: bins of whole integers, edges at half-integers);
 * - numeric / integer features without public bounds, and the follow-up time: bin edges at the
 *   quantiles of a DP histogram on a fixed public grid (`GridHistogramPlan`; the histogram is a
 *   charged Gaussian query, the edges post-processing of it);
 * - binary / categorical features: one cell per level; label and event: two cells;
 * - every feature has one more cell for a missing value (whether a column has missing values is
 *   not public, so the cell always exists; MST's domain compression absorbs it when it is empty).
 *
 * Decoding draws a value uniformly inside its bin (integers: a uniform integer of the bin), so
 * released values always lie inside the bin and therefore inside the bounds.
 */
import type { Rng } from '../../core/rng.js';
import type { DatasetCard, FeatureType } from '../../data/card.js';
import { publicNegativeLabel, type FeatureColumn, type Table } from '../../data/table.js';

export type AttributeRole = 'feature' | 'label' | 'time' | 'event';

export interface Attribute {
  /** Column name in the card. */
  name: string;
  role: AttributeRole;
  /** Index into the table's features (−1 for outcome columns). */
  featureIndex: number;
  /** Feature type; outcome columns use 'binary' (label, event) or 'numeric' (time). */
  type: FeatureType;
  /** Numeric / integer / time: ascending bin edges (bins = edges.length − 1); set once known. */
  edges?: Float64Array;
  /** True while the edges still wait for the DP grid histogram. */
  needsGrid: boolean;
  /** Cells for values (bins or levels), not counting the missing cell. */
  levels: number;
  /** Features: the last cell (index `levels`) holds missing values. */
  missingCell: boolean;
}

/** Cells of an attribute: its levels plus the missing cell, if any. */
export function attributeSize(a: Attribute): number {
  return a.levels + (a.missingCell ? 1 : 0);
}

/** Equal-width bins on public bounds; integer features get whole-integer bins. */
export function publicEdges(type: FeatureType, bounds: readonly [number, number], bins: number): Float64Array {
  const [low, high] = bounds;
  if (type === 'integer') {
    const lo = Math.ceil(low);
    const hi = Math.max(lo, Math.floor(high));
    const width = Math.ceil((hi - lo + 1) / bins);
    const count = Math.ceil((hi - lo + 1) / width);
    // The last bin stops at the upper bound, so it may hold fewer integers than the others.
    return Float64Array.from({ length: count + 1 }, (_, k) => (k === count ? hi + 0.5 : lo - 0.5 + k * width));
  }
  return Float64Array.from({ length: bins + 1 }, (_, k) => (k === bins ? high : low + ((high - low) * k) / bins));
}

/**
 * The attributes of a card, in the order features…, then label (classification) or time, event
 * (survival). Numeric/integer features with public bounds (card, else `userBounds`) get their bins
 * now; the others, and the time, are marked `needsGrid`.
 */
export function planAttributes(card: DatasetCard, bins: number, userBounds: Record<string, [number, number]> = {}): Attribute[] {
  const attributes: Attribute[] = card.features.map((f, j) => {
    const common = { name: f.name, role: 'feature' as const, featureIndex: j, type: f.type, missingCell: true };
    if (f.type === 'binary') return { ...common, levels: 2, needsGrid: false };
    if (f.type === 'categorical') return { ...common, levels: f.categories!.length, needsGrid: false };
    const bounds = (f.bounds ?? userBounds[f.name]) as [number, number] | undefined;
    if (!bounds) return { ...common, levels: bins, needsGrid: true };
    const edges = publicEdges(f.type, bounds, bins);
    return { ...common, edges, levels: edges.length - 1, needsGrid: false };
  });
  if (card.task === 'classification') {
    attributes.push({ name: card.label, role: 'label', featureIndex: -1, type: 'binary', levels: 2, missingCell: false, needsGrid: false });
  } else {
    attributes.push({ name: card.time, role: 'time', featureIndex: -1, type: 'numeric', levels: bins, missingCell: false, needsGrid: true });
    attributes.push({ name: card.event, role: 'event', featureIndex: -1, type: 'binary', levels: 2, missingCell: false, needsGrid: false });
  }
  return attributes;
}

// ---------------------------------------------------------------------------------------------
// The public grids of the DP histograms that place bins when no public bounds exist.

/** Features: symmetric log10(1 + |x|) over [−7, 7] in steps of 0.05 (|x| up to 10⁷). */
const FEATURE_GRID = { min: -7, max: 7, bins: 280, forward: (x: number) => Math.sign(x) * Math.log10(1 + Math.abs(x)), inverse: (s: number) => Math.sign(s) * (10 ** Math.abs(s) - 1) };
/** Follow-up times (> 0): log10(t) over [−2, 6] in steps of 0.05 (0.01 to 10⁶ in any unit). */
const TIME_GRID = { min: -2, max: 6, bins: 160, forward: (t: number) => Math.log10(t), inverse: (s: number) => 10 ** s };

function gridOf(a: Attribute) {
  return a.role === 'time' ? TIME_GRID : FEATURE_GRID;
}

/** Cell of a value on its attribute's public grid (values beyond the grid go to its end cells). */
function gridCell(a: Attribute, x: number): number {
  const g = gridOf(a);
  const s = Math.min(Math.max(g.forward(x), g.min), g.max);
  return Math.min(g.bins - 1, Math.floor(((s - g.min) / (g.max - g.min)) * g.bins));
}

/** The attributes still needing a grid, and the offsets of their histograms in one joint query. */
export interface GridHistogramPlan {
  attributes: number[];
  offsets: Int32Array;
  length: number;
}

export function gridHistogramPlan(attributes: readonly Attribute[]): GridHistogramPlan {
  const list = attributes.map((a, i) => (a.needsGrid ? i : -1)).filter((i) => i >= 0);
  const offsets = new Int32Array(list.length);
  let length = 0;
  list.forEach((i, k) => {
    offsets[k] = length;
    length += gridOf(attributes[i]).bins;
  });
  return { attributes: list, offsets, length };
}

/** Column values of an attribute (features: values and missing mask; time). */
function columnOf(table: Table, a: Attribute): { values: Float64Array | Float32Array; missing?: Uint8Array } {
  if (a.role === 'feature') {
    const column: FeatureColumn = table.features[a.featureIndex];
    return { values: column.values, missing: column.missing };
  }
  if (a.role === 'time') return { values: table.time! };
  throw new Error(`attribute "${a.name}" has no grid`);
}

/**
 * Exact counts of the grid histograms (READS REAL RECORDS: call only inside the charged query).
 * Every record adds 1 to one cell of each listed attribute's histogram (nothing if missing), so
 * the joint query's L2 sensitivity is √(number of attributes).
 */
export function gridHistogramCounts(table: Table, attributes: readonly Attribute[], plan: GridHistogramPlan): Float64Array {
  const counts = new Float64Array(plan.length);
  plan.attributes.forEach((ai, k) => {
    const a = attributes[ai];
    const { values, missing } = columnOf(table, a);
    const offset = plan.offsets[k];
    for (let i = 0; i < table.nRows; i++) if (!missing?.[i]) counts[offset + gridCell(a, values[i])] += 1;
  });
  return counts;
}

/**
 * Bin edges from the noisy grid histograms (post-processing): cells whose noisy count is below
 * `threshold` are treated as empty (so noise in the many empty cells cannot stretch the range);
 * the range is the surviving cells widened by one cell on each side, and the inner edges are the
 * k/bins quantiles of the surviving counts, interpolated linearly on the grid's scale. Repeated
 * edges are merged, so an attribute may get fewer bins than asked.
 */
export function setGridEdges(attributes: Attribute[], plan: GridHistogramPlan, noisy: Float64Array, threshold: number, bins: number): void {
  plan.attributes.forEach((ai, k) => {
    const a = attributes[ai];
    const g = gridOf(a);
    const counts = noisy.subarray(plan.offsets[k], plan.offsets[k] + g.bins);
    const width = (g.max - g.min) / g.bins;
    let first = -1;
    let last = -1;
    let total = 0;
    for (let b = 0; b < g.bins; b++) {
      if (counts[b] > threshold) {
        if (first < 0) first = b;
        last = b;
        total += counts[b];
      }
    }
    const scaleEdges: number[] = [];
    if (first < 0) {
      // Nothing survived: the grid cell around 1 (public, arbitrary) split evenly.
      const lo = g.forward(1) - width;
      for (let q = 0; q <= bins; q++) scaleEdges.push(lo + (2 * width * q) / bins);
    } else {
      const lo = g.min + Math.max(0, first - 1) * width;
      const hi = g.min + Math.min(g.bins, last + 2) * width;
      scaleEdges.push(lo);
      let cum = 0;
      let b = first;
      for (let q = 1; q < bins; q++) {
        const target = (q / bins) * total;
        while (b <= last && (counts[b] <= threshold || cum + counts[b] < target)) {
          if (counts[b] > threshold) cum += counts[b];
          b++;
        }
        if (b > last) break;
        scaleEdges.push(g.min + (b + (target - cum) / counts[b]) * width);
      }
      scaleEdges.push(hi);
    }
    let edges = scaleEdges.map(g.inverse);
    if (a.type === 'integer') edges = edges.map((e) => Math.round(e - 0.5) + 0.5);
    const unique = edges.filter((e, i) => i === 0 || e > edges[i - 1]);
    if (unique.length < 2) unique.push(unique[0] + 1);
    a.edges = Float64Array.from(unique);
    a.levels = unique.length - 1;
    a.needsGrid = false;
  });
}

/** Bin of x among ascending edges (values outside go to the first / last bin). */
function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  if (x < edges[1]) return 0;
  if (x >= edges[hi]) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The records as cell indices, one Int32Array per attribute (READS REAL RECORDS: call only inside
 * a charged query).
 */
export function encodeRecords(table: Table, attributes: readonly Attribute[]): Int32Array[] {
  const n = table.nRows;
  return attributes.map((a) => {
    const codes = new Int32Array(n);
    if (a.role === 'label') codes.set(table.label!);
    else if (a.role === 'event') codes.set(table.event!);
    else {
      const { values, missing } = columnOf(table, a);
      for (let i = 0; i < n; i++) {
        if (missing?.[i]) codes[i] = a.levels;
        else codes[i] = a.edges ? binOf(a.edges, values[i]) : values[i];
      }
    }
    return codes;
  });
}

/** A value drawn uniformly inside bin k (integers: a uniform integer of the bin). */
function valueInBin(a: Attribute, k: number, rng: Rng): number {
  const edges = a.edges!;
  const lo = edges[k];
  const hi = edges[k + 1];
  if (a.type === 'integer') {
    const first = Math.ceil(lo);
    const last = Math.floor(hi) === hi ? hi - 1 : Math.floor(hi);
    return last >= first ? first + rng.int(last - first + 1) : Math.round(lo);
  }
  return Math.min(hi, lo + rng.uniform() * (hi - lo));
}

/** Decode cell indices (one Int32Array per attribute, m rows) to a table in the card's schema. */
export function decodeRecords(card: DatasetCard, attributes: readonly Attribute[], codes: readonly Int32Array[], rng: Rng): Table {
  const m = codes[0]?.length ?? 0;
  const features: FeatureColumn[] = card.features.map((spec) => ({ spec, values: new Float64Array(m), missing: new Uint8Array(m) }));
  let label: Uint8Array | undefined;
  let time: Float64Array | undefined;
  let event: Uint8Array | undefined;
  attributes.forEach((a, ai) => {
    const c = codes[ai];
    if (a.role === 'label') label = Uint8Array.from(c);
    else if (a.role === 'event') event = Uint8Array.from(c);
    else if (a.role === 'time') {
      time = new Float64Array(m);
      for (let i = 0; i < m; i++) time[i] = valueInBin(a, c[i], rng);
    } else {
      const { values, missing } = features[a.featureIndex];
      for (let i = 0; i < m; i++) {
        if (c[i] === a.levels) {
          values[i] = NaN;
          missing[i] = 1;
        } else values[i] = a.edges ? valueInBin(a, c[i], rng) : c[i];
      }
    }
  });
  return {
    card,
    nRows: m,
    features,
    label,
    negativeLabel: card.task === 'classification' ? publicNegativeLabel(card) : undefined,
    time,
    event,
  };
}
