/**
 * dpcondense's Node-only entry point (`import … from 'dpcondense/node'`): loading the bundled
 * datasets and a CSV with its card from files, and the worker-thread pool that evaluates a
 * condensation step's directions in parallel (pass `workerPoolEvaluators(n).factory` as
 * `condense`'s `hooks.evaluator`). Everything else is in the isomorphic entry point `dpcondense`.
 */
export { DATASETS_DIR, isBundledDataset, listBundledDatasets, loadBundledCard, loadBundledDataset, loadCsvDataset, readSplitFile, type LoadedDataset, type LoadOptions } from './node/bundled.js';
export { isParquetFile, readCardFile, streamRecordsFile, streamRecordsFile as streamCsvFile } from './node/files.js';
export { workerPoolEvaluators } from './node/parallel/directionPool.js';
