/**
 * Can a target (ε, δ) pay for a run at all? Decided before any record is read, from public
 * settings only (ε, δ, the preprocessing share, the number of preprocessing queries, which the card
 * and the public bounds fix, and the number of steps), by the same calibrations the run makes.
 *
 * Why a run can fail: the RDP accountant (which also calibrates the steps under 'pld') converts to (ε, δ) with ε ≥ min over orders α of
 * log(1/δ)/(α − 1) + (conversion terms), even for no spending at all (≈ 0.0035 at δ = 1e−5 with
 * our orders). The preprocessing gets `share · ε`, so any ε below (that floor) / share cannot be
 * certified, however much noise is added. The steps are checked at sampling rate 1, the worst case
 * (their real rate uses a DP count, unknown here, and ε only falls as the rate does).
 */
import { calibrateNoiseMultiplier } from '../privacy/calibrate.js';
import { PrivacyBudgetError } from '../privacy/errors.js';
import { PrivacyLedger, type AccountantName } from '../privacy/ledger.js';
import { calibrateJointGaussianQueries } from '../privacy/measurements.js';
import { OptionError } from './settings.js';

export interface BudgetRequest {
  epsilon: number;
  delta: number;
  /** Share of ε for the preprocessing queries (1 when there are no steps). */
  preprocessingShare: number;
  /** Number of preprocessing Gaussian queries. */
  preprocessingQueries: number;
  steps: number;
  accountant: AccountantName;
}

/** ε too small (or δ too small) for any noise to certify the run; thrown before anything is read. */
export class BudgetTooSmallError extends OptionError {
  override name = 'BudgetTooSmallError';
  constructor(
    message: string,
    /** Smallest ε that this δ and these settings can certify. */
    readonly minimumEpsilon: number,
  ) {
    super('epsilon', message);
  }
}

/** True when the run's calibrations succeed at this ε (nothing is charged to any real ledger). */
export function budgetIsFeasible(plan: BudgetRequest): boolean {
  const { epsilon, delta, preprocessingShare, preprocessingQueries, steps, accountant } = plan;
  if (!Number.isFinite(epsilon)) return epsilon > 0;
  try {
    const sigma = calibrateJointGaussianQueries({ epsilon: epsilon * preprocessingShare, delta, queries: preprocessingQueries, accountant });
    if (steps > 0) {
      const ledger = new PrivacyLedger({ epsilon, delta, accountant });
      for (let i = 0; i < preprocessingQueries; i++) ledger.charge({ kind: 'gaussian', name: `preprocessing ${i}`, noiseMultiplier: sigma });
      calibrateNoiseMultiplier({ targetEpsilon: epsilon, delta, samplingRate: 1, steps, prior: ledger });
    }
    return true;
  } catch (error) {
    if (error instanceof PrivacyBudgetError) return false;
    throw error;
  }
}

/** Smallest feasible ε for these settings (to 3 significant digits, rounded up), Infinity if none. */
export function minimumEpsilon(plan: Omit<BudgetRequest, 'epsilon'>): number {
  let hi = 1e-6;
  while (!budgetIsFeasible({ ...plan, epsilon: hi })) {
    hi *= 4;
    if (hi > 1e6) return Infinity;
  }
  let lo = hi / 4;
  for (let i = 0; i < 40 && hi - lo > 1e-4 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (budgetIsFeasible({ ...plan, epsilon: mid })) hi = mid;
    else lo = mid;
  }
  // Rounded up to 3 significant digits (rounding down could name an ε that fails).
  const unit = 10 ** (Math.floor(Math.log10(hi)) - 2);
  return Number((Math.ceil(hi / unit) * unit).toPrecision(3));
}

/** Throws BudgetTooSmallError, saying the minimum ε and which options change it, if ε cannot pay. */
export function checkBudget(plan: BudgetRequest): void {
  if (budgetIsFeasible(plan)) return;
  const minimum = minimumEpsilon(plan);
  const share = `${Math.round(plan.preprocessingShare * 100)} %`;
  throw new BudgetTooSmallError(
    `ε = ${plan.epsilon} at δ = ${plan.delta} is too small for this run: the private preprocessing (${plan.preprocessingQueries} ` +
      `quer${plan.preprocessingQueries === 1 ? 'y' : 'ies'}) gets ${share} of ε, and no amount of noise certifies less than a floor set by δ; ` +
      `the smallest ε for this input and these settings is ${minimum}. Raise --epsilon, or --delta (a larger δ lowers the floor)`,
    minimum,
  );
}
