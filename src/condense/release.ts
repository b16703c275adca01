/**
 * Step 6 of the pipeline: the release. Decode the optimised synthetic set into a table in the input
 * schema, collect the settings actually used, and derive the receipt from the ledger.
 */
import type { Encoder } from '../data/encoding.js';
import { publicNegativeLabel, type Table } from '../data/table.js';
import type { PrivacyLedger } from '../privacy/ledger.js';
import { buildReceipt, type Receipt } from '../privacy/receipt.js';
import type { BudgetPlan } from './budget.js';
import type { ResolvedSettings, RunSettings } from './settings.js';
import type { StepPlan } from './steps.js';
import type { SyntheticParameters } from './syntheticSet.js';
import type { CondensationTask, TaskOutcomes } from './task.js';
import { SOFTWARE } from './version.js';

export function decodeSyntheticTable(synthetic: SyntheticParameters, encoder: Encoder, card: Table['card']): Table {
  const finalOutcome = synthetic.outcome(synthetic.values);
  return encoder.decodeToTable(synthetic.rowsOf(synthetic.values), {
    label: finalOutcome.task === 'classification' ? finalOutcome.y : undefined,
    negativeLabel: card.task === 'classification' ? publicNegativeLabel(card) : undefined,
    time: finalOutcome.task === 'survival' ? finalOutcome.time.slice() : undefined,
    event: finalOutcome.task === 'survival' ? finalOutcome.event : undefined,
  });
}

/** The settings as run: the resolved options plus what the DP statistics fixed. */
export function settingsAsRun(settings: RunSettings, budget: BudgetPlan, steps: StepPlan, outcomes: TaskOutcomes): ResolvedSettings {
  const { measurement } = steps;
  const lossSpec = outcomes.lossSpec;
  return {
    rows: settings.rows,
    learners: settings.learners.map((l) => ({ name: l.name, params: { ...l.params } })),
    epsilon: settings.epsilon,
    delta: settings.delta,
    steps: settings.steps,
    directions: settings.directions,
    smoothing: settings.smoothing,
    smoothingDecay: settings.smoothingDecay,
    learningRate: steps.learningRate,
    momentum: settings.momentum,
    optimiser: settings.optimiser,
    batchSize: settings.batchSize,
    samplingRate: measurement.samplingRate,
    clipNorm: measurement.clipNorm,
    noiseMultiplier: measurement.noiseMultiplier,
    preprocessingNoiseMultiplier: budget.preprocessingNoiseMultiplier,
    preprocessingShare: settings.preprocessingShare,
    initialisation: settings.initialisation,
    initialSpread: settings.initialSpread,
    classBalance: settings.classBalance,
    loss: lossSpec.task === 'classification' ? lossSpec.kind : 'survival-nll',
    classWeighting: settings.classWeighting,
    encoding: settings.encoding,
    pMin: settings.pMin,
    gridPoints: lossSpec.task === 'survival' ? lossSpec.grid.length : 0,
    optimiseTimes: settings.optimiseTimes,
  };
}

export function releaseReceipt(ledger: PrivacyLedger, run: { settings: RunSettings; resolved: ResolvedSettings; task: CondensationTask; card: Table['card']; inputFingerprint?: string }): Receipt {
  const { settings, resolved } = run;
  return buildReceipt(ledger, {
    software: SOFTWARE,
    inputFingerprint: run.inputFingerprint ?? 'not provided',
    parameters: {
      ...resolved,
      epsilon: Number.isFinite(settings.epsilon) ? settings.epsilon : 'Infinity',
      clipNorm: Number.isFinite(resolved.clipNorm) ? resolved.clipNorm : 'none',
      dataset: run.card.name,
      task: settings.task,
      ...run.task.receiptParameters(),
    },
    privateRelease: true,
    reasonsNotPrivate: settings.reasonsNotPrivate,
  });
}
