/**
 * Tied row groups: the zero-order steps' lever against the effective dimension at large m.
 *
 * Each direction perturbs the m·d coordinates of the synthetic rows; its DP noise per coordinate
 * (ν/√T over the run) does not depend on m, but a row's own gradient is only 1/m of the loss, so the
 * steps' noise figure R grows with m (`noiseFigure`, `steps.ts`). Tying rows changes that: the
 * rows of a group (never mixing strata: a group's rows share their class or survival stratum and
 * so their fixed outcome) are perturbed in every fit by ONE shared vector, and each keeps its own
 * start position, so the table stays as diverse as its DP start while the group moves as one. The
 * directional derivative along a group's coordinate is then the sum of its s rows' gradients, up
 * to s·(max loss)/m, so R falls by the smallest group's size: R(groups) = ν·m / (s_min·√T·max loss).
 *
 * What the step's settings mean per group: the smoothing radius μ is still the per-row
 * perturbation (every row of the group moves by μ·u_g in a fit); the gradient along a group's
 * coordinate is the sum over its rows, and every row of the group takes the same update, so at the
 * same learning rate a group of s rows moves as one row of an (m/s)-row table would; the DP noise
 * per coordinate, and so the noise-drift cap on the learning rate, is unchanged.
 *
 * With the noise-figure gate (`gateOn`, default `rows`) the gate judges the untied steps as before;
 * when it moves part of their budget to a second moments measurement, the steps left are planned
 * again and tied by the rule on that plan. Every run the gate lets through is thus untouched.
 * Measured in docs/RESULTS.md ("Tied row groups").
 */
export interface RowGroups {
  /** G: the number of groups (m when every row is its own group). */
  count: number;
  /** The group of each synthetic row; groups are contiguous runs of rows, numbered in row order. */
  groupOfRow: Int32Array;
  /** Rows in the smallest group (s_min). */
  smallest: number;
}

/**
 * Splits each stratum's rows (contiguous, in allocation order, as the synthetic set lays them out)
 * into `groupsPerStratum[s]` contiguous groups of near-equal size (the larger ones first).
 */
export function partitionRows(allocation: Int32Array, groupsPerStratum: Int32Array): RowGroups {
  const m = allocation.reduce((a, c) => a + c, 0);
  const groupOfRow = new Int32Array(m);
  let row = 0;
  let group = 0;
  let smallest = Infinity;
  for (let s = 0; s < allocation.length; s++) {
    const rows = allocation[s];
    if (rows === 0) continue;
    const groups = Math.min(rows, Math.max(1, groupsPerStratum[s]));
    const base = Math.floor(rows / groups);
    const larger = rows % groups;
    smallest = Math.min(smallest, base);
    for (let g = 0; g < groups; g++, group++) {
      const size = base + (g < larger ? 1 : 0);
      groupOfRow.fill(group, row, row + size);
      row += size;
    }
  }
  return { count: group, groupOfRow, smallest: Number.isFinite(smallest) ? smallest : 1 };
}

/** Every row its own group (the untied steps). */
export function untiedRows(m: number): RowGroups {
  const groupOfRow = new Int32Array(m);
  for (let i = 0; i < m; i++) groupOfRow[i] = i;
  return { count: m, groupOfRow, smallest: 1 };
}

/**
 * Exactly G groups: each stratum gets one, then each further group goes to the stratum whose
 * groups are currently largest (rows / groups; the first such stratum on ties).
 */
export function rowGroupsOfCount(allocation: Int32Array, count: number): RowGroups {
  const strata = allocation.filter((c) => c > 0).length;
  const m = allocation.reduce((a, c) => a + c, 0);
  if (!(count >= strata && count <= m)) throw new RangeError(`cannot tie ${m} rows in ${strata} strata into ${count} groups (need ${strata} ≤ G ≤ ${m})`);
  const groups = Int32Array.from(allocation, (c) => (c > 0 ? 1 : 0));
  for (let placed = strata; placed < count; placed++) {
    let best = -1;
    for (let s = 0; s < allocation.length; s++) if (groups[s] > 0 && groups[s] < allocation[s] && (best < 0 || allocation[s] / groups[s] > allocation[best] / groups[best])) best = s;
    groups[best]++;
  }
  return partitionRows(allocation, groups);
}

/**
 * The rule for `rowGroups: 'auto'`, from public and DP quantities only (the untied steps' noise
 * figure, its limit, the public row allocation): the smallest group size s* = ⌈R(untied)/limit⌉
 * that brings R(groups) = R(untied)/s_min within the limit, and each stratum's m_s rows split into
 * max(1, ⌊m_s/s*⌋) groups of near-equal size (so every group has at least s* rows unless its
 * stratum has fewer). That is the most groups — the finest tying — whose R passes. When the untied
 * R already passes, s* = 1 and nothing is tied (the steps are exactly the untied ones); when even
 * one group per stratum does not pass, that is the grouping, and the noise-figure gate decides on
 * its R. `off` never ties; a number asks for that many groups (clamped to [strata, m]).
 */
export function chooseRowGroups(choice: RowGroupChoice, untiedFigure: number, limit: number, allocation: Int32Array): RowGroups {
  const m = allocation.reduce((a, c) => a + c, 0);
  if (choice === 'off') return untiedRows(m);
  if (typeof choice === 'number') return rowGroupsOfCount(allocation, Math.min(m, Math.max(allocation.filter((c) => c > 0).length, choice)));
  const size = untiedFigure > 0 && Number.isFinite(limit) ? Math.ceil(untiedFigure / limit) : 1;
  if (size <= 1) return untiedRows(m);
  return partitionRows(allocation, Int32Array.from(allocation, (c) => Math.max(1, Math.floor(c / size))));
}

export type RowGroupChoice = 'auto' | 'off' | number;

/**
 * How a parameter vector is laid out: `rows` × `rowDim` encoded values, then `perRow` blocks of
 * one value per row (optimised survival log times, learned log row weights), each block in row order.
 */
export interface ParameterLayout {
  rows: number;
  rowDim: number;
  perRow: number;
}

/** Length of one direction over the groups: the parameter layout with groups in place of rows. */
export function groupDirectionLength(groups: RowGroups, layout: ParameterLayout): number {
  return groups.count * (layout.rowDim + layout.perRow);
}

/**
 * Broadcasts K directions over the groups (direction-major, K × `groupDirectionLength`) to K
 * directions over the parameters (K·p): every row gets its group's vector. With one row per group
 * in row order this is a copy.
 */
export function expandGroupDirections(groups: RowGroups, layout: ParameterLayout, K: number, compact: Float64Array, full: Float64Array): void {
  const { rows, rowDim, perRow } = layout;
  const p = rows * (rowDim + perRow);
  const G = groups.count;
  const pG = groupDirectionLength(groups, layout);
  const of = groups.groupOfRow;
  for (let k = 0; k < K; k++) {
    const from = k * pG;
    const to = k * p;
    for (let i = 0; i < rows; i++) {
      const source = from + of[i] * rowDim;
      const target = to + i * rowDim;
      for (let j = 0; j < rowDim; j++) full[target + j] = compact[source + j];
      for (let e = 0; e < perRow; e++) full[to + (rowDim + e) * rows + i] = compact[from + (rowDim + e) * G + of[i]];
    }
  }
}
