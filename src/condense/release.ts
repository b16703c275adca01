/**
 * Step 6 of the pipeline: the release. Decode the optimised synthetic set into a table in the input
 * schema, collect the settings actually used, and derive the receipt from the ledger.
 */
import type { Encoder } from '../data/encoding.js';
import { publicNegativeLabel, type Table } from '../data/table.js';
import type { InvalidRecordPolicy } from '../data/ingest.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { buildReceipt, type InputFingerprint, type Receipt } from '../privacy/receipt.js';
import type { Target } from '../models/types.js';
import type { BudgetPlan } from './budget.js';
import { receiptParameterKeys, type ResolvedSettings, type RunSettings } from './settings.js';
import type { StepPlan, StepsGate } from './steps.js';
import type { RowGroups } from './rowGroups.js';
import type { SelectionOutcome } from './selection.js';
import type { FeatureFocus } from './featureFocus.js';
import type { SyntheticParameters } from './syntheticSet.js';
import type { StratumMoments } from './privateStatistics.js';
import { SurvivalTask, type CondensationTask, type TaskOutcomes } from './task.js';
import { SOFTWARE } from '../core/version.js';

export function decodeSyntheticTable(synthetic: SyntheticParameters, encoder: Encoder, card: Table['card']): Table {
  const finalOutcome = synthetic.outcome(synthetic.values);
  assertFiniteRelease(synthetic.rowsOf(synthetic.values).data, finalOutcome);
  const table = encoder.decodeToTable(synthetic.rowsOf(synthetic.values), {
    label: finalOutcome.task === 'classification' ? finalOutcome.y : undefined,
    negativeLabel: card.task === 'classification' ? publicNegativeLabel(card) : undefined,
    time: finalOutcome.task === 'survival' ? finalOutcome.time.slice() : undefined,
    event: finalOutcome.task === 'survival' ? finalOutcome.event : undefined,
  });
  // Learned row weights (`rowWeights`) go out as the table's case weights, one per row: the release keeps its m rows.
  const weight = synthetic.weightsOf(synthetic.values);
  return weight ? { ...table, weight: weight.slice() } : table;
}

/**
 * A released table with a NaN or infinite cell is not a valid release (it would also say the run
 * broke): refuse it before anything is decoded or written. Missing values in the release come only
 * from decoding, never from here.
 */
export function assertFiniteRelease(rows: Float64Array, outcome: Target): void {
  const arrays = [rows, ...(outcome.task === 'survival' ? [outcome.time] : [])];
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new NonFiniteReleaseError('condense: the synthetic table has a non-finite value; nothing is released (the optimisation diverged: lower the learning rate or check the options)');
    }
  }
}

export class NonFiniteReleaseError extends Error {
  override name = 'NonFiniteReleaseError';
}

/** The settings as run: the resolved options plus what the DP statistics fixed. */
export function settingsAsRun(settings: RunSettings, budget: BudgetPlan, steps: StepPlan, outcomes: TaskOutcomes, gate: StepsGate, groups: RowGroups, selection?: SelectionOutcome, focus?: FeatureFocus, startEvidence?: ResolvedSettings['startEvidence'], twinPairs = 0): ResolvedSettings {
  const { measurement } = steps;
  const lossSpec = outcomes.lossSpec;
  return {
    rows: settings.rows,
    learners: settings.learners.map((l) => ({ name: l.name, params: { ...l.params } })),
    epsilon: settings.epsilon,
    delta: settings.delta,
    // The steps taken (0 when the noise-figure gate chose the second moments measurement).
    steps: measurement.steps,
    directions: settings.directions,
    smoothing: settings.smoothing,
    smoothingRule: settings.smoothingRule,
    smoothingReference: settings.smoothingReference,
    smoothingDecay: settings.smoothingDecay,
    learningRate: steps.learningRate,
    momentum: settings.momentum,
    optimiser: settings.optimiser,
    batchSize: settings.batchSize,
    samplingRate: measurement.samplingRate,
    clipNorm: measurement.clipNorm,
    // The scale only says something when it set the norm (an explicit --clip wins over it).
    ...(settings.clipNorm === undefined ? { clipScale: settings.clipScale } : {}),
    noiseMultiplier: measurement.noiseMultiplier,
    preprocessingNoiseMultiplier: budget.preprocessingNoiseMultiplier,
    preprocessingShare: settings.preprocessingShare,
    noiseFigureLimit: settings.noiseFigureLimit,
    ...(gate.noiseFigure !== undefined ? { noiseFigure: roundFigure(gate.noiseFigure) } : {}),
    budgetPath: gate.path,
    repeatShare: settings.repeatShare,
    rowGroups: settings.rowGroups,
    rowGroupCount: groups.count,
    figureSignal: settings.figureSignal,
    presenceCounts: settings.presenceCounts,
    gateOn: settings.gateOn,
    selectionShare: settings.selectionShare,
    selectionEpsilon: selection ? selection.plan.epsilon : 0,
    ...(selection ? { selectionResolution: roundFigure(selection.resolution), selectedStart: selection.start, selectedCandidate: selection.chosen } : {}),
    selectionStarts: selection ? selection.plan.starts : settings.selectionStarts,
    selectionCandidates: settings.selectionCandidates,
    initialisation: settings.initialisation,
    ...(settings.initialisation === 'mst' ? { mstShare: settings.mstShare } : {}),
    initialSpread: settings.initialSpread,
    ...(settings.initialisation === 'private' && settings.initialDraws === 'stratified' ? { initialDraws: 'stratified' as const } : {}),
    // Which features started pooled is a function of the released DP moments only, so it may be released.
    ...(startEvidence ? { startEvidence: { ...startEvidence, threshold: roundFigure(startEvidence.threshold) } } : {}),
    classBalance: settings.classBalance,
    loss: lossSpec.task === 'classification' ? lossSpec.kind : 'survival-nll',
    classWeighting: settings.classWeighting,
    encoding: settings.encoding,
    pMin: settings.pMin,
    gridPoints: lossSpec.task === 'survival' ? lossSpec.grid.length : 0,
    optimiseTimes: settings.optimiseTimes,
    // Optimised times are each row's own: reordering them would undo what the steps learned.
    ...(settings.task === 'survival' ? { timeOrder: settings.optimiseTimes ? ('optimised' as const) : settings.timeOrder } : {}),
    ...(settings.rowWeights ? { rowWeights: true as const } : {}),
    ...(twinPairs > 0 ? { twins: twinPairs } : {}),
    ...(settings.iterateAverage !== 'off' ? { iterateAverage: settings.iterateAverage } : {}),
    // Which features were kept is a function of the released DP moments only, so it may be released.
    ...(focus && !focus.allButFrozen ? { featureFocus: focus.kept.length, focusedFeatures: focus.keptNames() } : {}),
    ...(focus && focus.unlocated.length > 0 ? { unlocatedFeatures: focus.unlocatedNames() } : {}),
    // The focused second moments measurement: its ledger entry is listed with the others.
    ...(budget.focusedMoments ? { focusedMomentsShare: budget.focusedMoments.share } : {}),
    ...(budget.looseRanges ? { rangesShare: budget.looseRanges.share } : {}),
    ...(settings.boundsTails === 'extend' && budget.featuresNeedingBounds.length > 0 ? { boundsTails: 'extend' as const } : {}),
    // How the spreads were read matters only where the moments carry noise.
    ...(settings.isPrivate ? { spreadEstimate: settings.spreadEstimate } : {}),
  };
}

/**
 * Values `settingsAsRun` sets only when the run had them (the MST start's share, survival's time order,
 * the options that are off by default or act only on some tables), in the receipt's order: a receipt
 * lists each only when present, so runs without them keep their receipts.
 */
const LISTED_WHEN_PRESENT = ['mstShare', 'initialDraws', 'timeOrder', 'rowWeights', 'twins', 'iterateAverage', 'featureFocus', 'focusedFeatures', 'unlocatedFeatures', 'focusedMomentsShare', 'rangesShare', 'boundsTails', 'startEvidence', 'spreadEstimate'] as const satisfies readonly (keyof ResolvedSettings)[];

export function releaseReceipt(
  ledger: PrivacyLedger,
  run: { settings: RunSettings; resolved: ResolvedSettings; task: CondensationTask; card: Table['card']; inputFingerprint?: string | InputFingerprint; onInvalid?: InvalidRecordPolicy; startedAt: Date },
): Receipt {
  const { settings, resolved } = run;
  return buildReceipt(ledger, {
    software: SOFTWARE,
    inputFingerprint: run.inputFingerprint ?? { algorithm: 'none', hex: '' },
    parameters: {
      ...Object.fromEntries(receiptParameterKeys().map((key) => [key, resolved[key]])),
      ...Object.fromEntries(LISTED_WHEN_PRESENT.flatMap((key) => (resolved[key] !== undefined ? [[key, resolved[key]]] : []))),
      epsilon: Number.isFinite(settings.epsilon) ? settings.epsilon : 'Infinity',
      clipNorm: Number.isFinite(resolved.clipNorm) ? resolved.clipNorm : 'none',
      noiseFigureLimit: Number.isFinite(resolved.noiseFigureLimit) ? resolved.noiseFigureLimit : 'Infinity',
      ...(resolved.selectedCandidate !== undefined
        ? {
            selectionShare: resolved.selectionShare,
            selectionStarts: resolved.selectionStarts,
            selectionCandidates: resolved.selectionCandidates,
            selectionEpsilon: Number.isFinite(resolved.selectionEpsilon) ? resolved.selectionEpsilon : 'Infinity',
            selectionResolution: resolved.selectionResolution,
            selectedStart: resolved.selectedStart,
            selectedCandidate: resolved.selectedCandidate,
          }
        : {}),
      dataset: run.card.name,
      task: settings.task,
      ...run.task.receiptParameters(),
      // A seeded run is reproducible: the receipt says how.
      seed: settings.seed,
      // What invalid input records did (the policy only: their number is never released).
      onInvalid: run.onInvalid ?? 'error',
    },
    privateRelease: true,
    reasonsNotPrivate: settings.reasonsNotPrivate,
    // The time stamp is the run's start: its end would carry the run's duration, which depends on the data.
    createdAt: run.startedAt,
  });
}

/**
 * The DP statistics of the private preprocessing, as plain data: the outputs of charged mechanisms
 * and post-processing of them, so reports and the app may show them beside the synthetic table.
 * Exact values when the run is not private (ε = ∞).
 */
export interface ReleasedStatistics {
  /** Per feature in card order, pooled over the strata. */
  features: ReleasedFeature[];
  /** Noisy record count per stratum (classes 0/1; or early events, late events, censored). */
  strataCounts: number[];
  /** Survival: DP histograms of event and censoring times on the public log-time grid. */
  timeHistogram?: { edges: number[]; events: number[]; censored: number[] };
}

export interface ReleasedFeature {
  name: string;
  /** Bounds used for the feature: the card's, user-supplied, or DP-estimated (data units). */
  bounds: [number, number];
  /** Numeric/integer: DP mean and standard deviation; binary: DP share of ones (sd NaN). */
  mean: number;
  sd: number;
  /** Categorical: DP level frequencies in card order. */
  levelProbabilities?: number[];
}

export function releasedStatistics(
  card: Table['card'],
  featureBounds: readonly [number, number][],
  pooled: StratumMoments,
  moments: readonly StratumMoments[],
  task: CondensationTask,
): ReleasedStatistics {
  const timeHistogram = task instanceof SurvivalTask ? task.timeHistogram : undefined;
  return {
    features: card.features.map((f, j) => {
      const m = pooled.features[j];
      const levels = m.levelProbabilities ? Array.from(m.levelProbabilities) : undefined;
      return { name: f.name, bounds: featureBounds[j], mean: m.mean, sd: f.type === 'binary' ? NaN : m.sd, ...(levels ? { levelProbabilities: levels } : {}) };
    }),
    strataCounts: moments.map((s) => s.count),
    ...(timeHistogram
      ? { timeHistogram: { edges: Array.from(timeHistogram.edges), events: Array.from(timeHistogram.events), censored: Array.from(timeHistogram.censored) } }
      : {}),
  };
}

/** R to four significant digits: enough to read the gate's decision, no more. */
function roundFigure(x: number): number {
  return Number(x.toPrecision(4));
}
