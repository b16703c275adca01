/**
 * Survival `--time-order risk`, the default (post-processing of the released rows, no privacy
 * cost): within each event group, the group's synthetic event times go to its rows in order of the
 * released table's own Cox risk — the highest risk gets the earliest time.
 *
 * Why (docs/RESULTS.md, "Session 24: what RSF needs from a survival table"): the steps fit a
 * calibrated survival loss, and a Cox model fitted on 50 rows is calibrated on the real records
 * only when the rows' feature–outcome association is weak, so the steps weaken it (the linear
 * predictor of a Cox model fitted on the table spreads about half as wide on test patients as one
 * fitted on 50 real rows). Cox ranks by direction alone and does not mind; a survival forest's
 * log-rank splits see a weaker signal on each feature. The times inside a group are fixed
 * quantiles handed out in row order, unrelated to the rows, so ordering them by the table's own risk
 * puts the association back along the direction the steps found, without moving a row or a time
 * out of its group.
 */
import { SeededRng } from '../core/rng.js';
import type { Table } from '../data/table.js';
import { fitAndScore } from './evaluation.js';

/**
 * The table with each event group's times reassigned by the table's own Cox risk. `allocation`
 * gives the rows per risk group as the rows are laid out (early events, late events, censored);
 * censored rows keep their times. Returns the table unchanged if Cox gives a non-finite risk.
 */
export function orderEventTimesByRisk(table: Table, allocation: Int32Array): Table {
  // Cox is deterministic: the generator is only what the learner interface asks for.
  const risk = fitAndScore(table, table, 'cox', new SeededRng(0)).scores;
  if (!risk.every(Number.isFinite)) return table;
  const time = table.time!.slice();
  let start = 0;
  // The event groups are the first two strata; the censored follow the same rows untouched.
  for (let g = 0; g < Math.min(2, allocation.length); g++) {
    const end = start + allocation[g];
    const rows = Array.from({ length: end - start }, (_, k) => start + k);
    const times = rows.map((i) => table.time![i]).sort((a, b) => a - b);
    // Highest risk first; ties keep the row order (a stable sort).
    rows.sort((a, b) => risk[b] - risk[a]).forEach((row, rank) => (time[row] = times[rank]));
    start = end;
  }
  return { ...table, time };
}
