/**
 * The privacy ledger: an append-only record of every mechanism applied to the real data, and the
 * single place where spending is checked against the budget. Mirrors Opacus's accountant design —
 * the ledger only keeps a history and asks the pure analysis (`./analysis`) for ε.
 *
 * Rules it enforces (so they cannot be bypassed by accident):
 * - `charge` computes the total ε *with* the new entry first and throws PrivacyBudgetError before
 *   recording anything if the budget would be exceeded; callers charge BEFORE computing the noisy
 *   release, so a refused charge means nothing was released.
 * - Entries are frozen and there is no way to remove or edit one; `entries()` returns the frozen
 *   records, `rdpCurve()` a copy.
 * - The randomness used for noise/sampling is registered (`registerRandomness`): a receipt derived
 *   from a ledger that saw a reproducible (seeded) generator, or no registered generator at all,
 *   can never claim to be a private release.
 *
 * Accounting (add/remove adjacency throughout):
 * - 'rdp' (default): RDP curves summed over EXTENDED_ORDERS and converted with the Balle et al.
 *   2020 bound (`analysis/rdp.ts`). Subsampled Gaussian: Mironov, Talwar & Zhang 2019; Gaussian:
 *   α/(2σ²); Laplace: Mironov 2017 Prop. 6; generic pure ε-DP: the randomised-response bound.
 * - 'pld': the PLD accountant (`analysis/pld.ts`); the reported ε is the smaller of its rigorous
 *   upper bound and the RDP one (both are valid upper bounds of the same privacy profile).
 * - A ledger with δ = 0 accepts only pure-DP entries (ε adds up, basic composition).
 */
import type { Rng } from '../core/rng.js';
import { PrivacyBudgetError, PrivacyParameterError } from './errors.js';
import { pldEpsilon, type PldMechanism, type PldOptions } from './analysis/pld.js';
import {
  addRdp,
  EXTENDED_ORDERS,
  epsilonFromRdp,
  rdpGaussian,
  rdpLaplace,
  rdpExponentialMechanism,
  rdpPureDp,
  rdpSubsampledGaussian,
} from './analysis/rdp.js';

/** One mechanism applied to the real data. noiseMultiplier = noise std / L2 sensitivity. */
export type MechanismEntry =
  | {
      kind: 'subsampled_gaussian';
      name: string;
      noiseMultiplier: number;
      samplingRate: number;
      steps: number;
      purpose?: string;
    }
  | { kind: 'gaussian'; name: string; noiseMultiplier: number; /** repetitions (default 1) */ count?: number; purpose?: string }
  /** The Laplace mechanism with scale sensitivity/ε (pure ε-DP). */
  | { kind: 'laplace'; name: string; epsilon: number; count?: number; purpose?: string }
  /** Any other ε-DP mechanism; accounted by its worst case. */
  | { kind: 'pure_dp'; name: string; epsilon: number; count?: number; purpose?: string }
  /**
   * The exponential mechanism with parameter ε (output probability ∝ exp(ε·score/(2Δ)), Δ the
   * score's sensitivity). It is ε-DP and, being ε-bounded-range, also ε²/8-zCDP (Cesar & Rogers
   * 2021, Lemma 3.2), i.e. RDP α·ε²/8 — four times less than a generic ε-DP mechanism's ε²/2.
   */
  | { kind: 'exponential'; name: string; epsilon: number; count?: number; purpose?: string };

/** A recorded entry: the mechanism, its position, and the total ε right after it. */
export type LedgerEntry = Readonly<MechanismEntry & { index: number; epsilonAfter: number }>;

export type AccountantName = 'rdp' | 'pld';

export interface PrivacyBudget {
  /** Total ε allowed (Infinity for a non-private run that still records its entries). */
  epsilon: number;
  /** δ of the (ε, δ) guarantee (0 allows pure-DP entries only). */
  delta: number;
}

export interface LedgerOptions extends PrivacyBudget {
  accountant?: AccountantName;
  /** RDP orders (default EXTENDED_ORDERS). */
  orders?: readonly number[];
  /** Options of the PLD accountant. */
  pld?: PldOptions;
}

export interface PrivacySpent {
  epsilon: number;
  delta: number;
  accountant: AccountantName;
  /** RDP order attaining the RDP bound. */
  bestOrder?: number;
  /** The RDP bound (always computed). */
  epsilonRdp: number;
  /** PLD accountant only: its rigorous upper and lower bounds on the tight ε. */
  epsilonPld?: number;
  epsilonPldLower?: number;
  warnings: string[];
}

/** Summary of the random generators registered with a ledger. */
export interface RandomnessRecord {
  /** At least one generator was registered. */
  registered: boolean;
  /** Some registered generator was reproducible (seeded). */
  reproducible: boolean;
  /** Every registered generator is cryptographically secure. */
  secure: boolean;
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** Validate an entry and return a frozen, normalised copy (counts filled in). */
function normaliseEntry(entry: MechanismEntry): MechanismEntry {
  if (!entry || typeof entry.name !== 'string' || entry.name.length === 0) {
    throw new PrivacyParameterError('a ledger entry needs a non-empty name');
  }
  switch (entry.kind) {
    case 'subsampled_gaussian':
      if (!(entry.noiseMultiplier >= 0)) throw new PrivacyParameterError(`${entry.name}: noise multiplier must be ≥ 0`);
      if (!(entry.samplingRate >= 0 && entry.samplingRate <= 1)) throw new PrivacyParameterError(`${entry.name}: sampling rate must be in [0, 1]`);
      if (!isPositiveInteger(entry.steps)) throw new PrivacyParameterError(`${entry.name}: steps must be a positive integer`);
      return { ...entry };
    case 'gaussian':
      if (!(entry.noiseMultiplier >= 0)) throw new PrivacyParameterError(`${entry.name}: noise multiplier must be ≥ 0`);
      if (entry.count !== undefined && !isPositiveInteger(entry.count)) throw new PrivacyParameterError(`${entry.name}: count must be a positive integer`);
      return { ...entry, count: entry.count ?? 1 };
    case 'laplace':
    case 'pure_dp':
    case 'exponential':
      if (!(entry.epsilon >= 0)) throw new PrivacyParameterError(`${entry.name}: ε must be ≥ 0`);
      if (entry.count !== undefined && !isPositiveInteger(entry.count)) throw new PrivacyParameterError(`${entry.name}: count must be a positive integer`);
      return { ...entry, count: entry.count ?? 1 };
    default:
      throw new PrivacyParameterError(`unknown mechanism kind ${(entry as { kind: unknown }).kind}`);
  }
}

/** The RDP curve of one (normalised) entry on the given orders. */
export function entryRdp(entry: MechanismEntry, orders: readonly number[]): Float64Array {
  switch (entry.kind) {
    case 'subsampled_gaussian':
      return addRdp(new Float64Array(orders.length), rdpSubsampledGaussian(entry.samplingRate, entry.noiseMultiplier, orders), entry.steps);
    case 'gaussian':
      return addRdp(new Float64Array(orders.length), rdpGaussian(entry.noiseMultiplier, orders), entry.count ?? 1);
    case 'laplace':
      return addRdp(new Float64Array(orders.length), rdpLaplace(entry.epsilon > 0 ? 1 / entry.epsilon : Infinity, orders), entry.count ?? 1);
    case 'pure_dp':
      return addRdp(new Float64Array(orders.length), rdpPureDp(entry.epsilon, orders), entry.count ?? 1);
    case 'exponential':
      return addRdp(new Float64Array(orders.length), rdpExponentialMechanism(entry.epsilon, orders), entry.count ?? 1);
  }
}

/** The entry as a mechanism of the PLD accountant. */
export function entryPldMechanism(entry: MechanismEntry): PldMechanism {
  switch (entry.kind) {
    case 'subsampled_gaussian':
      return { kind: 'subsampled_gaussian', samplingRate: entry.samplingRate, noiseMultiplier: entry.noiseMultiplier, count: entry.steps };
    case 'gaussian':
      return { kind: 'gaussian', noiseMultiplier: entry.noiseMultiplier, count: entry.count ?? 1 };
    case 'laplace':
      return { kind: 'laplace', scale: entry.epsilon > 0 ? 1 / entry.epsilon : Infinity, count: entry.count ?? 1 };
    case 'pure_dp':
    case 'exponential':
      // The PLD accountant knows only its ε-DP profile: a valid, looser bound.
      return { kind: 'pure_dp', epsilon: entry.epsilon, count: entry.count ?? 1 };
  }
}

/** Basic-composition ε of a list of pure-DP entries (Infinity if any entry is not pure). */
function pureEpsilonSum(entries: readonly MechanismEntry[]): number {
  let sum = 0;
  for (const e of entries) {
    if (e.kind === 'laplace' || e.kind === 'pure_dp' || e.kind === 'exponential') sum += e.epsilon * (e.count ?? 1);
    else if (e.kind === 'gaussian' || e.kind === 'subsampled_gaussian') {
      const free = e.kind === 'subsampled_gaussian' && e.samplingRate === 0;
      if (!free && e.noiseMultiplier !== Infinity) return Infinity;
    }
  }
  return sum;
}

export class PrivacyLedger {
  readonly budget: Readonly<PrivacyBudget>;
  readonly accountant: AccountantName;
  readonly orders: readonly number[];
  private readonly pldOptions: PldOptions;
  private readonly history: LedgerEntry[] = [];
  private curve: Float64Array;
  private randomness: RandomnessRecord = { registered: false, reproducible: false, secure: true };
  private spentCache: PrivacySpent | undefined;

  constructor(options: LedgerOptions) {
    const { epsilon, delta } = options;
    if (!(epsilon > 0)) throw new PrivacyParameterError(`budget ε must be > 0 or Infinity (got ${epsilon})`);
    if (!(delta >= 0 && delta < 1)) throw new PrivacyParameterError(`budget δ must be in [0, 1) (got ${delta})`);
    this.budget = Object.freeze({ epsilon, delta });
    this.accountant = options.accountant ?? 'rdp';
    if (this.accountant !== 'rdp' && this.accountant !== 'pld') throw new PrivacyParameterError(`unknown accountant ${String(this.accountant)}`);
    this.orders = Object.freeze([...(options.orders ?? EXTENDED_ORDERS)]);
    this.pldOptions = { ...(options.pld ?? {}) };
    this.curve = new Float64Array(this.orders.length);
  }

  /** Total privacy cost of the recorded entries plus `extra` (not recorded). */
  private evaluate(extra?: MechanismEntry): PrivacySpent {
    const entries: MechanismEntry[] = this.history.map((e) => e as MechanismEntry);
    const curve = Float64Array.from(this.curve);
    if (extra) {
      entries.push(extra);
      addRdp(curve, entryRdp(extra, this.orders));
    }
    const delta = this.budget.delta;
    const warnings: string[] = [];
    if (entries.length === 0) return { epsilon: 0, delta, accountant: this.accountant, epsilonRdp: 0, warnings };
    const pureSum = pureEpsilonSum(entries);
    if (delta === 0) {
      return { epsilon: pureSum, delta, accountant: this.accountant, epsilonRdp: pureSum, warnings };
    }
    const rdp = epsilonFromRdp(curve, this.orders, delta);
    warnings.push(...rdp.warnings);
    const epsilonRdp = Math.min(rdp.epsilon, pureSum);
    const result: PrivacySpent = { epsilon: epsilonRdp, delta, accountant: this.accountant, bestOrder: rdp.bestOrder, epsilonRdp, warnings };
    if (this.accountant === 'pld' && Number.isFinite(epsilonRdp)) {
      try {
        const pld = pldEpsilon(entries.map(entryPldMechanism), delta, this.pldOptions);
        result.epsilonPld = pld.epsilon;
        result.epsilonPldLower = pld.epsilonLower;
        result.epsilon = Math.min(epsilonRdp, pld.epsilon);
      } catch (e) {
        // The RDP bound stays valid; a PLD that cannot be computed only costs tightness.
        if (!(e instanceof PrivacyParameterError)) throw e;
        warnings.push(`PLD accountant unavailable (${e.message}); using the RDP bound`);
      }
    }
    return result;
  }

  /** The total cost if `entry` were charged now (nothing is recorded). */
  costIf(entry: MechanismEntry): PrivacySpent {
    return this.evaluate(normaliseEntry(entry));
  }

  /** True if charging `entry` now would exceed the budget. */
  wouldExceed(entry: MechanismEntry): boolean {
    return this.costIf(entry).epsilon > this.budget.epsilon;
  }

  /**
   * Record `entry` — or throw PrivacyBudgetError, recording nothing, if the total ε would exceed
   * the budget. Returns the recorded (frozen) entry.
   */
  charge(entry: MechanismEntry): LedgerEntry {
    const normalised = normaliseEntry(entry);
    const after = this.evaluate(normalised);
    if (!(after.epsilon <= this.budget.epsilon)) {
      const before = this.spent().epsilon;
      throw new PrivacyBudgetError(
        `privacy budget exceeded: "${normalised.name}" would raise ε from ${before.toPrecision(6)} to ` +
          `${after.epsilon.toPrecision(6)} > budget ε = ${this.budget.epsilon} (δ = ${this.budget.delta}); nothing was spent`,
      );
    }
    const recorded: LedgerEntry = Object.freeze({ ...normalised, index: this.history.length, epsilonAfter: after.epsilon });
    addRdp(this.curve, entryRdp(normalised, this.orders));
    this.history.push(recorded);
    this.spentCache = after;
    return recorded;
  }

  /** Total privacy spent so far. */
  spent(): PrivacySpent {
    if (!this.spentCache) this.spentCache = this.evaluate();
    return { ...this.spentCache, warnings: [...this.spentCache.warnings] };
  }

  /** ε still available (Infinity for an unbounded ledger). */
  remaining(): number {
    if (this.budget.epsilon === Infinity) return Infinity;
    return Math.max(0, this.budget.epsilon - this.spent().epsilon);
  }

  /** The recorded entries, in order (frozen). */
  entries(): readonly LedgerEntry[] {
    return Object.freeze([...this.history]);
  }

  /** A copy of the summed RDP curve (aligned with `orders`). */
  rdpCurve(): Float64Array {
    return Float64Array.from(this.curve);
  }

  /** PLD ε bracket of the recorded entries at the budget's δ (for receipts of RDP ledgers too). */
  pldEpsilon(options: PldOptions = this.pldOptions): { epsilon: number; epsilonLower: number; discretisation: number } | undefined {
    if (this.history.length === 0 || !(this.budget.delta > 0)) return undefined;
    const r = pldEpsilon(this.history.map((e) => entryPldMechanism(e as MechanismEntry)), this.budget.delta, options);
    return { epsilon: r.epsilon, epsilonLower: r.epsilonLower, discretisation: r.discretisation };
  }

  /**
   * Register a random generator used for noise or sampling on the real data. Mechanisms in
   * `./statistics.ts` and `./measurements.ts` do this themselves; any other code that draws noise or batches must too.
   */
  registerRandomness(rng: Rng): void {
    const secure = (rng as { cryptographicallySecure?: unknown }).cryptographicallySecure === true && !rng.reproducible;
    this.randomness = {
      registered: true,
      reproducible: this.randomness.reproducible || rng.reproducible,
      secure: this.randomness.secure && secure,
    };
  }

  /** What is known about the randomness used with this ledger. */
  randomnessRecord(): RandomnessRecord {
    return { ...this.randomness };
  }
}
