/**
 * dpcondense as a library (`import … from 'dpcondense'`): the isomorphic core, with no Node API, so it
 * runs in Node, worker threads and browsers. Loading files (bundled datasets, a CSV and its card)
 * and the worker-thread pool are Node-only: `import … from 'dpcondense/node'`.
 *
 * What is here: matrices and random numbers, tables and targets, learners and metrics, the
 * condensation and the MST synthesiser, DP statistics with their ledger, the receipt types, and
 * the typed errors. Internal knobs (the settings schema, accountant internals, step plumbing) are
 * not part of the API.
 */

// Matrices and random numbers.
export { matrix, matrixFromRows, type Matrix } from './core/matrix.js';
export { SeededRng, type Rng } from './core/rng.js';

// Data: cards, tables, targets.
export { parseCard, type DatasetCard, type FeatureSpec } from './data/card.js';
export { readTable, readTableFromText } from './data/ingest.js';
export { assembleDataset, parseSplit, parseCardText, type AssembledDataset, type DatasetTexts } from './data/dataset.js';
export { formatTableCsv } from './data/format.js';
export { splitTable, subsetTable, tableTarget, weightColumnName, type Table, type FeatureColumn } from './data/table.js';
export type { Task, Target, ClassificationTarget, SurvivalTarget } from './data/target.js';
export { Encoder, type EncoderState } from './data/encoding.js';
export { fitDesign, type Design, type DesignSpec } from './data/design.js';

// Learners and metrics.
export { createLearner, getLearnerSpec, learnerSpecs } from './models/registry.js';
export type { Learner, ClassificationLearner, SurvivalLearner, ClassifierModel, SurvivalModel, LearnerSpec, LearnerParamValue } from './models/types.js';
export * as metrics from './metrics/index.js';

// Condensation, its evaluation and baselines; the MST synthesiser.
export { condense, CondenseAbortedError } from './condense/condense.js';
export type { CondenseOptions, CondenseSettings, CondenseProgress, CondenseResult, TraceRow, LearnerChoice, ReleasedStatistics, ReleasedFeature } from './condense/condense.js';
export { runCondenseJob, describeJobError } from './job/run.js';
export type { CondenseJobRequest, CondenseJobResult, JobCommand, JobEvent, JobError } from './job/protocol.js';
export { toPortableResult, fromPortableResult, type PortableCondenseResult } from './condense/portable.js';
export { evaluateUtility, compareOnHeldOut, type UtilityResult, type HeldOutComparison } from './condense/evaluation.js';
export { randomSubset, kMeansCoreset } from './condense/baselines.js';
export { synthesise, fitMst, MstModel, type SynthesiseOptions, type SynthesiseResult } from './synthesis/mst/index.js';

// Privacy: DP statistics charged to a ledger, secure randomness, receipts.
export { PrivacyLedger, type PrivacyBudget, type PrivacySpent, type AccountantName, type LedgerEntry } from './privacy/ledger.js';
export { CryptoRng } from './privacy/random.js';
export { dpCount, dpClassCounts, dpMeanAndSpread, dpQuantiles, type NoiseSpec, type MechanismLabels, type NoisyCount, type NoisyClassCounts, type NoisyMeanAndSpread, type NoisyQuantiles } from './privacy/statistics.js';
export { buildReceipt, keyedFingerprint, sha256Hex, RECEIPT_FORMAT, type Receipt, type PrivacyReceipt, type ReceiptEntry, type InputFingerprint } from './privacy/receipt.js';

// Typed errors: OptionError for a setting out of its domain (the CLI's usage error); the others for bad input.
export { OptionError } from './core/errors.js';
export { CardError } from './data/card.js';
export { DataError } from './data/errors.js';
export { ModelInputError, UnknownLearnerError } from './models/types.js';
export { PrivacyBudgetError, PrivacyParameterError } from './privacy/errors.js';
export { NonFiniteReleaseError } from './condense/release.js';
