/**
 * The privacy receipt: a plain JSON object DERIVED from a ledger (never assembled by hand), saying
 * what guarantee a release has and how it was obtained — total (ε, δ), the accountant, every
 * ledger entry, the software, a fingerprint of the input, and whether this is a valid private
 * release. Non-finite numbers are written as the string "Infinity" (JSON has no ∞).
 *
 * `private_release` is true only if the caller asks for it AND nothing disqualifies the run: a
 * finite budget and spent ε within it, δ > 0 or pure-DP only, and — when any mechanism was
 * applied — every registered generator cryptographically secure, with at least one registered
 * (a seeded, reproducible run is never a private release). The reasons are listed. The input
 * fingerprint is provenance, not privacy: a malformed one only adds a warning. For private input it
 * must be keyed (`HMAC-SHA-256` under a key the custodian keeps and never ships): a plain SHA-256
 * of private data is a deterministic function of it, so anyone who can guess the dataset up to one
 * record could confirm the guess against the receipt. A plain `SHA-256` is for public data only.
 */
import type { Rng } from '../core/rng.js';
import { hmacSha256Hex } from '../core/sha256.js';
export { sha256Hex, hmacSha256Hex } from '../core/sha256.js';
import type { AccountantName, LedgerEntry, PrivacyLedger } from './ledger.js';
import type { PldOptions } from './analysis/pld.js';
import { PrivacyParameterError } from './errors.js';

export const RECEIPT_FORMAT = 'dpcondense-privacy-receipt/1';

type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

function json(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export interface ReceiptEntry {
  index: number;
  kind: LedgerEntry['kind'];
  name: string;
  purpose?: string;
  noise_multiplier?: JsonNumber;
  sampling_rate?: number;
  steps?: number;
  epsilon?: JsonNumber;
  count?: number;
  /** Total ε of the ledger right after this entry. */
  epsilon_after: JsonNumber;
}

/**
 * How the input is identified in the receipt: `HMAC-SHA-256` = HMAC-SHA-256(key, SHA-256(input
 * bytes)) under the custodian's secret key; `SHA-256` = the plain digest (public data only);
 * `none` = not recorded (hex empty).
 */
export interface InputFingerprint {
  algorithm: 'HMAC-SHA-256' | 'SHA-256' | 'none';
  hex: string;
}

/** Alias used by the condensation engine. */
export type Receipt = PrivacyReceipt;

export interface PrivacyReceipt {
  format: typeof RECEIPT_FORMAT;
  private_release: boolean;
  reasons_not_private: string[];
  epsilon: JsonNumber;
  delta: number;
  accountant: AccountantName;
  best_rdp_order?: JsonNumber;
  epsilon_rdp: JsonNumber;
  /** PLD accountant's bracket [lower, upper] for the tight ε, when computed. */
  epsilon_pld?: { upper: JsonNumber; lower: JsonNumber; discretisation: number };
  budget: { epsilon: JsonNumber; delta: number };
  randomness: { registered: boolean; reproducible: boolean; cryptographically_secure: boolean };
  entries: ReceiptEntry[];
  parameters: Record<string, unknown>;
  software: { name: string; version: string };
  input_fingerprint: InputFingerprint;
  warnings: string[];
  created_at: string;
}

export interface ReceiptOptions {
  software: { name: string; version: string };
  /** The input's identifier; a bare string is a SHA-256 hex digest (see `InputFingerprint`). */
  inputFingerprint: string | InputFingerprint;
  /** Run parameters to record (σ, C, q, T, K, μ, …). */
  parameters: Record<string, unknown>;
  /** Whether the caller intends a private release (it may still be refused, with reasons). */
  privateRelease: boolean;
  /** Extra reasons known to the caller (e.g. "σ = 0 requested"); any reason makes it non-private. */
  reasonsNotPrivate?: string[];
  /**
   * The generator the run used for noise and sampling, if the code drawing them did not register it
   * with the ledger itself; it is treated exactly like a registered one.
   */
  rng?: Rng;
  /** Also compute the PLD accountant's ε (true, or its options); default: only if the ledger uses it. */
  pld?: boolean | PldOptions;
  /** Timestamp (default: now). */
  createdAt?: Date;
}

function receiptEntry(e: LedgerEntry): ReceiptEntry {
  const base = { index: e.index, kind: e.kind, name: e.name, ...(e.purpose !== undefined ? { purpose: e.purpose } : {}) };
  switch (e.kind) {
    case 'subsampled_gaussian':
      return { ...base, noise_multiplier: json(e.noiseMultiplier), sampling_rate: e.samplingRate, steps: e.steps, epsilon_after: json(e.epsilonAfter) };
    case 'gaussian':
      return { ...base, noise_multiplier: json(e.noiseMultiplier), count: e.count ?? 1, epsilon_after: json(e.epsilonAfter) };
    case 'laplace':
    case 'pure_dp':
    case 'exponential':
      return { ...base, epsilon: json(e.epsilon), count: e.count ?? 1, epsilon_after: json(e.epsilonAfter) };
  }
}

/** Build the receipt of a run from its ledger (see the module comment for `private_release`). */
export function buildReceipt(ledger: PrivacyLedger, options: ReceiptOptions): PrivacyReceipt {
  const spent = ledger.spent();
  const entries = ledger.entries();
  const recorded = ledger.randomnessRecord();
  const rngSecure = (r: Rng) => (r as { cryptographicallySecure?: unknown }).cryptographicallySecure === true && !r.reproducible;
  const randomness = options.rng
    ? {
        registered: true,
        reproducible: recorded.reproducible || options.rng.reproducible,
        secure: (recorded.registered ? recorded.secure : true) && rngSecure(options.rng),
      }
    : recorded;
  const reasons = [...(options.reasonsNotPrivate ?? [])];
  const warnings = [...ledger.spent().warnings];
  if (!options.privateRelease) reasons.push('not requested as a private release');
  if (!Number.isFinite(ledger.budget.epsilon)) reasons.push('no finite privacy budget');
  if (!Number.isFinite(spent.epsilon)) reasons.push('a mechanism without noise was applied (ε = ∞)');
  else if (spent.epsilon > ledger.budget.epsilon) reasons.push('spent ε exceeds the budget');
  if (randomness.reproducible) reasons.push('a seeded (reproducible) random generator was used');
  else if (entries.length > 0 && (!randomness.registered || !randomness.secure)) {
    reasons.push(randomness.registered ? 'a random generator that is not cryptographically secure was used' : 'no random generator was registered with the ledger');
  }
  const fingerprint: InputFingerprint = typeof options.inputFingerprint === 'string' ? { algorithm: 'SHA-256', hex: options.inputFingerprint } : { ...options.inputFingerprint };
  if (fingerprint.algorithm === 'none') warnings.push('no input fingerprint recorded');
  else if (!/^[0-9a-f]{64}$/.test(fingerprint.hex)) warnings.push(`input fingerprint is not a ${fingerprint.algorithm} hex digest`);
  const uniqueReasons = [...new Set(reasons)];

  let epsilonPld: PrivacyReceipt['epsilon_pld'];
  const wantPld = options.pld ?? ledger.accountant === 'pld';
  if (wantPld !== false) {
    try {
      const r = ledger.pldEpsilon(typeof wantPld === 'object' ? wantPld : undefined);
      if (r) epsilonPld = { upper: json(r.epsilon), lower: json(r.epsilonLower), discretisation: r.discretisation };
    } catch (e) {
      if (!(e instanceof PrivacyParameterError)) throw e;
      warnings.push(`PLD ε not computed: ${e.message}`);
    }
  }
  return {
    format: RECEIPT_FORMAT,
    private_release: uniqueReasons.length === 0,
    reasons_not_private: uniqueReasons,
    epsilon: json(spent.epsilon),
    delta: spent.delta,
    accountant: spent.accountant,
    ...(spent.bestOrder !== undefined ? { best_rdp_order: json(spent.bestOrder) } : {}),
    epsilon_rdp: json(spent.epsilonRdp),
    ...(epsilonPld ? { epsilon_pld: epsilonPld } : {}),
    budget: { epsilon: json(ledger.budget.epsilon), delta: ledger.budget.delta },
    randomness: { registered: randomness.registered, reproducible: randomness.reproducible, cryptographically_secure: randomness.registered && randomness.secure },
    entries: entries.map(receiptEntry),
    parameters: { ...options.parameters },
    software: { name: options.software.name, version: options.software.version },
    input_fingerprint: fingerprint,
    warnings,
    created_at: (options.createdAt ?? new Date()).toISOString(),
  };
}

/** The receipt fingerprint of private input: HMAC-SHA-256(key, SHA-256 digest given as hex). */
export async function keyedFingerprint(key: Uint8Array, sha256HexDigest: string): Promise<InputFingerprint> {
  if (!/^[0-9a-f]{64}$/.test(sha256HexDigest)) throw new PrivacyParameterError('keyedFingerprint: expected a SHA-256 hex digest');
  if (key.length < 16) throw new PrivacyParameterError(`keyedFingerprint: the key must have at least 16 bytes (got ${key.length})`);
  const digest = Uint8Array.from(sha256HexDigest.match(/../g)!.map((h) => parseInt(h, 16)));
  return { algorithm: 'HMAC-SHA-256', hex: await hmacSha256Hex(key, digest) };
}
