/**
 * Non-private reference points every evaluation reports beside the DP condensation (DESIGN.md,
 * "Baselines"): a random real subset of m rows, and per-stratum k-means centroids (a coreset).
 * Both read the real data freely — they are yardsticks, never releases. The DP baseline at the same
 * ε is `condense` with `steps: 0` (rows drawn from the DP per-stratum Gaussian / frequencies).
 */
import { matrix, type Matrix } from '../core/matrix.js';
import { shuffleInPlace, type Rng } from '../core/rng.js';
import { Encoder } from '../data/encoding.js';
import { negativeLabelOf, subsetTable, type Table } from '../data/table.js';
import { allocateRows } from './syntheticSet.js';

/** Strata for baselines: classes, or (survival) early events / late events / censored. */
export function baselineStrata(table: Table): { strata: Int32Array; count: number } {
  if (table.card.task === 'classification') return { strata: Int32Array.from(table.label!), count: 2 };
  const eventTimes = Array.from(table.time!).filter((_, i) => table.event![i]).sort((a, b) => a - b);
  const median = eventTimes[Math.floor(eventTimes.length / 2)] ?? Infinity;
  const strata = new Int32Array(table.nRows);
  for (let i = 0; i < table.nRows; i++) strata[i] = table.event![i] ? (table.time![i] <= median ? 0 : 1) : 2;
  return { strata, count: 3 };
}

function membersOf(strata: Int32Array, count: number): number[][] {
  const members: number[][] = Array.from({ length: count }, () => []);
  strata.forEach((s, i) => members[s].push(i));
  return members;
}

/**
 * m random real rows: balanced between the classes for classification (as the condensed sets are),
 * uniformly at random for survival.
 */
export function randomSubset(table: Table, m: number, rng: Rng): Table {
  if (table.card.task === 'survival') {
    const all = Int32Array.from({ length: table.nRows }, (_, i) => i);
    shuffleInPlace(rng, all);
    return subsetTable(table, all.subarray(0, Math.min(m, table.nRows)));
  }
  const { strata, count } = baselineStrata(table);
  const members = membersOf(strata, count);
  const allocation = allocateRows(m, members.map((g) => g.length), 'balanced');
  const chosen: number[] = [];
  members.forEach((group, s) => {
    const order = Int32Array.from(group);
    shuffleInPlace(rng, order);
    for (let r = 0; r < Math.min(allocation[s], order.length); r++) chosen.push(order[r]);
  });
  return subsetTable(table, chosen);
}

/**
 * Per-stratum k-means centroids (Lloyd's algorithm, k-means++ seeding) in the [0,1]-by-bounds
 * encoding with missing values imputed; decoded like a synthetic set. Survival centroids carry the
 * median time of their members and the stratum's event status.
 */
export function kMeansCoreset(table: Table, m: number, rng: Rng, bounds: Record<string, [number, number]> = {}, iterations = 25): Table {
  const encoder = new Encoder(table.card, { bounds: observedBounds(table, bounds) });
  const Z = encoder.encode(table, { missing: 'impute' });
  encoder.project(Z);
  const { strata, count } = baselineStrata(table);
  const members = membersOf(strata, count);
  const allocation = table.card.task === 'classification'
    ? allocateRows(m, members.map((g) => g.length), 'balanced')
    : allocateRows(m, members.map((g) => g.length), 'proportional', 1);
  const d = encoder.dim;
  const centroids = matrix(m, d);
  const label = new Uint8Array(m);
  const time = new Float64Array(m);
  const event = new Uint8Array(m);
  let row = 0;
  members.forEach((group, s) => {
    const k = Math.min(allocation[s], group.length);
    const { centers, assignment } = lloyd(Z, group, k, rng, iterations);
    for (let c = 0; c < k; c++, row++) {
      centroids.data.set(centers.data.subarray(c * d, (c + 1) * d), row * d);
      label[row] = s;
      if (table.card.task === 'survival') {
        const times = group.filter((_, r) => assignment[r] === c).map((i) => table.time![i]).sort((a, b) => a - b);
        time[row] = times.length ? times[Math.floor(times.length / 2)] : table.time![group[0]];
        event[row] = s < 2 ? 1 : 0;
      }
    }
  });
  const used = matrix(row, d, centroids.data.slice(0, row * d));
  return table.card.task === 'classification'
    ? encoder.decodeToTable(used, { label: label.slice(0, row), negativeLabel: negativeLabelOf(table) })
    : encoder.decodeToTable(used, { time: time.slice(0, row), event: event.slice(0, row) });
}

/** Bounds for features the card leaves open: the observed range (non-private baseline only). */
function observedBounds(table: Table, given: Record<string, [number, number]>): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = { ...given };
  for (const column of table.features) {
    const spec = column.spec;
    if ((spec.type === 'numeric' || spec.type === 'integer') && !spec.bounds && !out[spec.name]) {
      let lo = Infinity, hi = -Infinity;
      column.values.forEach((v, i) => {
        if (!column.missing[i]) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      });
      out[spec.name] = Number.isFinite(lo) && hi > lo ? [lo, hi] : [0, 1];
    }
  }
  return out;
}

function lloyd(Z: Matrix, rows: number[], k: number, rng: Rng, iterations: number): { centers: Matrix; assignment: Int32Array } {
  const d = Z.cols;
  const n = rows.length;
  const centers = matrix(k, d);
  const assignment = new Int32Array(n);
  const dist = new Float64Array(n).fill(Infinity);
  const sq = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = Z.data[rows[i] * d + j] - centers.data[c * d + j];
      s += t * t;
    }
    return s;
  };
  // k-means++ seeding.
  let first = rows[rng.int(n)];
  centers.data.set(Z.data.subarray(first * d, (first + 1) * d), 0);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += dist[i] = Math.min(dist[i], sq(i, c - 1));
    let u = rng.uniform() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) if ((u -= dist[i]) < 0) { pick = i; break; }
    first = rows[pick];
    centers.data.set(Z.data.subarray(first * d, (first + 1) * d), c * d);
  }
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 0; it < iterations; it++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0, bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const v = sq(i, c);
        if (v < bestD) { bestD = v; best = c; }
      }
      if (assignment[i] !== best || it === 0) changed = true;
      assignment[i] = best;
    }
    if (!changed) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += Z.data[rows[i] * d + j];
    }
    for (let c = 0; c < k; c++) if (counts[c]) for (let j = 0; j < d; j++) centers.data[c * d + j] = sums[c * d + j] / counts[c];
  }
  return { centers, assignment };
}
