/**
 * The privacy layer: accountants (RDP and PLD), noise calibration, secure randomness, private
 * preprocessing primitives, the append-only privacy ledger and the receipt derived from it.
 */
export { PrivacyBudgetError, PrivacyParameterError } from './errors.js';
export {
  DEFAULT_ORDERS,
  EXTENDED_ORDERS,
  addRdp,
  epsilonFromRdp,
  rdpGaussian,
  rdpLaplace,
  rdpExponentialMechanism,
  rdpPureDp,
  rdpSubsampledGaussian,
  type RdpConversion,
} from './analysis/rdp.js';
export {
  composePld,
  defaultDiscretisation,
  deltaBracket,
  epsilonBracket,
  pldDelta,
  pldEpsilon,
  type ComposedPld,
  type PldDeltaResult,
  type PldEpsilonResult,
  type PldMechanism,
  type PldOptions,
} from './analysis/pld.js';
export { gaussianDeltaForEpsilon, gaussianEpsilonForDelta } from './analysis/gaussianDp.js';
export {
  calibrateGaussianExact,
  calibrateNoiseMultiplier,
  splitBudget,
  type BudgetSplit,
  type BudgetSplitRequest,
  type Calibration,
  type CalibrationRequest,
} from './calibrate.js';
export { CryptoRng, addGaussianNoise, bernoulli, exponentialMechanismIndex, gaussianNoise, snappingGrid } from './random.js';
export { PoissonSampler, poissonSample } from './poissonSampling.js';
export {
  PrivacyLedger,
  type AccountantName,
  type LedgerEntry,
  type LedgerOptions,
  type MechanismEntry,
  type PrivacyBudget,
  type PrivacySpent,
  type RandomnessRecord,
} from './ledger.js';
export {
  dpClassCounts,
  dpCount,
  dpMeanAndSpread,
  dpQuantiles,
  histogramQuantiles,
  type MechanismLabels,
  type NoiseSpec,
  type NoisyClassCounts,
  type NoisyCount,
  type NoisyMeanAndSpread,
  type NoisyQuantiles,
} from './statistics.js';
export { RECEIPT_FORMAT, buildReceipt, hmacSha256Hex, keyedFingerprint, sha256Hex, type InputFingerprint, type PrivacyReceipt, type Receipt, type ReceiptEntry, type ReceiptOptions } from './receipt.js';
