/**
 * dpcondense as a library: the isomorphic core (no Node API), usable in Node, worker threads and
 * browsers. Node-only helpers (bundled datasets, file loading) live in `dpcondense/dist/cli/*`.
 */
export { condense, CondenseAbortedError, DEFAULTS as CONDENSE_DEFAULTS } from './condense/condense.js';
export type { CondenseOptions, CondenseProgress, CondenseResult, TraceRow, LearnerChoice, ReleasedStatistics } from './condense/condense.js';
export { toPortableResult, fromPortableResult } from './condense/portable.js';
export type { PortableCondenseResult } from './condense/portable.js';
export { runCondenseJob, describeJobError } from './job/run.js';
export type { CondenseJobRequest, CondenseJobResult, JobCommand, JobEvent, JobError } from './job/protocol.js';
export { evaluateUtility } from './condense/evaluation.js';
export { synthesise, fitMst, MstModel, MST_DEFAULTS } from './synthesis/mst/index.js';
export type { SynthesiseOptions, SynthesiseResult } from './synthesis/mst/index.js';
export { randomSubset, kMeansCoreset } from './condense/baselines.js';
export { parseCard, CardError } from './data/card.js';
export type { DatasetCard, FeatureSpec } from './data/card.js';
export { DataError } from './data/errors.js';
export { readTable, readTableFromText } from './data/ingest.js';
export { assembleDataset, parseSplit, parseCardText } from './data/dataset.js';
export type { AssembledDataset, DatasetTexts } from './data/dataset.js';
export { formatTableCsv } from './data/format.js';
export { Encoder } from './data/encoding.js';
export type { EncoderState } from './data/encoding.js';
export { fitDesign } from './data/design.js';
export { splitTable, subsetTable, tableTarget } from './data/table.js';
export type { Table, FeatureColumn } from './data/table.js';
export { createLearner, getLearnerSpec, learnerSpecs } from './models/registry.js';
export type { Learner, ClassifierModel, SurvivalModel } from './models/types.js';
export * as metrics from './metrics/index.js';
export * as privacy from './privacy/index.js';
export { SeededRng } from './core/rng.js';
