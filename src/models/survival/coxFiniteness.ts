/**
 * A check of a released survival table before it leaves: does the first thing a recipient fits on
 * it — an unpenalised Cox model (R `coxph`, lifelines) — have a finite maximum-likelihood estimate?
 *
 * A small synthetic table can be *separated*: some direction of the covariates orders every event
 * before everyone still at risk (e.g. a binary feature whose 1-rows all have the earliest events).
 * The partial likelihood then keeps rising as that coefficient goes to ±∞ (monotone likelihood,
 * Heinze & Schemper 2001), and `coxph` stops with "Loglik converged before variable …; coefficient
 * may be infinite". The table is still a valid release; its recipients must know to fit it with a
 * penalty (ridge, Firth) or without those columns, so the receipt and the CLI say so.
 *
 * Detection is `coxph`'s own rule, reproduced in `fitCox`: after the log-likelihood has converged,
 * a coefficient whose remaining Newton step is still large relative to itself is running off to
 * infinity. The design is R's model matrix of the synthetic CSV (categories as treatment contrasts
 * against the first level, numbers as written); rows with a missing value are left out, as
 * `na.omit` does. This reads the synthetic rows only — post-processing of the release, so it costs
 * no privacy and may be reported freely.
 */
import { fitDesign, type DesignSpec } from '../../data/design.js';
import { splitTable, tableTarget, type Table } from '../../data/table.js';
import type { SurvivalTarget } from '../types.js';
import { fitCox } from './cox.js';

/** R's model matrix for `coxph(Surv(time, event) ~ .)`: no imputation, no scaling. */
const COXPH_DESIGN: DesignSpec = { categorical: 'drop-first', impute: 'none', standardise: false };

export interface CoxFiniteness {
  /** True when the unpenalised fit converged to finite coefficients. */
  finite: boolean;
  /** Design columns whose coefficient diverges (R's names: `feature` or `feature=level`). */
  divergent: string[];
  /** Non-convergence within coxph's 20 iterations, when that is the problem instead. */
  notConverged: boolean;
}

export function coxFiniteness(synthetic: Table): CoxFiniteness {
  const complete = splitTable(synthetic, rowsWithMissingValues(synthetic)).train;
  if (complete.nRows === 0) return { finite: true, divergent: [], notConverged: false }; // nothing coxph could fit
  const design = fitDesign(complete, COXPH_DESIGN);
  const model = fitCox(design.transform(complete), tableTarget(complete) as SurvivalTarget);
  const divergent = model.diagnostics.divergentColumns.map((j) => design.columnNames[j]);
  const notConverged = !model.diagnostics.converged;
  return { finite: divergent.length === 0 && !notConverged, divergent, notConverged };
}

/** The caveat for a receipt and the terminal, or undefined when the fit is finite. */
export function coxFinitenessCaveat(synthetic: Table): string | undefined {
  const check = coxFiniteness(synthetic);
  if (check.finite) return undefined;
  const problem = check.divergent.length > 0
    ? `has no finite maximum-likelihood estimate (monotone likelihood: the coefficient of ${check.divergent.join(', ')} diverges; R coxph warns "coefficient may be infinite")`
    : 'did not converge in 20 Newton iterations (as R coxph would report)';
  return `an unpenalised Cox fit on the synthetic table ${problem}: fit it with a penalty (e.g. ridge) or without those columns. This checks the released rows only (no privacy cost)`;
}

/** Every caveat of a released table (survival: the Cox finiteness check; none for classification). */
export function releaseCaveats(synthetic: Table): string[] {
  if (synthetic.card.task !== 'survival') return [];
  const cox = coxFinitenessCaveat(synthetic);
  return cox ? [cox] : [];
}

function rowsWithMissingValues(table: Table): number[] {
  const rows: number[] = [];
  for (let i = 0; i < table.nRows; i++) if (table.features.some((column) => column.missing[i])) rows.push(i);
  return rows;
}
