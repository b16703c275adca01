/**
 * The condensation run, as a short pipeline of named steps with typed values between them:
 *   resolveSettings (pure; `settings.ts`) → planBudget (`budget.ts`) → private preprocessing and
 *   the task, from one pass over the records (`privateStatistics.ts`, `statisticsPass.ts`,
 *   `task.ts`) → buildEncoder + initialiseSyntheticSet (`initialisation.ts`) → planSteps + runSteps (`steps.ts`, `zerothOrder.ts`) → release
 *   (`release.ts`). This is the library entry point the CLI, the benchmarks and the browser app share.
 *
 * Privacy argument in one place. The run reads the real records only through
 *  (1) the joint Gaussian sum queries of `privateStatistics.ts` (bounds, time histogram, stratum
 *      moments), each charged to the ledger before its noisy value exists, and
 *  (1a) with `focusedMomentsShare` on a focused table, a second stratum-moments query over the
 *      feature focus's k kept features (chosen from the first query's output), paid with part of
 *      the first query's planned ρ and combined with it by inverse-variance weighting;
 *  (1b) with the MST start only, MST's mechanisms (`../synthesis/mst`), charged the same way;
 *  (2) the T zero-order steps, charged up front as one Poisson-subsampled Gaussian entry
 *      (noise multiplier σ, sampling rate q, T steps) — or, when the noise-figure gate
 *      (`steps.ts`, decided from public and DP quantities) says the steps cannot pay for
 *      themselves, instead a second Gaussian measurement of the stratum moments, charged the same
 *      way as (1) and combined with the first by inverse-variance weighting (post-processing);
 *  (3) with `selectionShare` > 0, the exponential mechanism choosing the steps' start among draws
 *      from the DP statistics and the released table among checkpoints of the steps
 *      (`selection.ts`), both draws charged before the steps are planned so that
 *      their σ is calibrated on the rest and the run's total stays ε.
 * Everything else — the encoding, the initial rows, the feature focus (which features the steps
 * move, and the pooled values of the others), the loss weights, the time grid, the batch-size
 * normalisation, the trace — is computed from the outputs of those mechanisms and public knowledge
 * (the card, user-supplied bounds, the hyperparameters), so it is post-processing. The real records
 * are encoded with the DP encoding only to be evaluated inside the mechanism of (2).
 */
import { SeededRng, type Rng } from '../core/rng.js';
import type { Encoder } from '../data/encoding.js';
import type { Table } from '../data/table.js';
import { PrivacyLedger } from '../privacy/ledger.js';
import { CryptoRng } from '../privacy/random.js';
import type { Receipt } from '../privacy/receipt.js';
import { planBudget, repeatedMomentsNoiseMultiplier } from './budget.js';
import { DataAccessScope, MECHANISM } from '../privacy/dataAccess.js';
import { combineGaussianCoordinates, perCoordinate, type CoordinateMeasurement } from '../privacy/measurements.js';
import { buildEncoder, initialiseSyntheticSet } from './initialisation.js';
import { chooseFeatureFocus, keptFeatures, poolFeaturesWithoutEvidence } from './featureFocus.js';
import { combineFocusedMoments, poolMoments, privatePreprocessing, type NoisyQueryContext } from './privateStatistics.js';
import { releaseCaveats } from '../models/survival/coxFiniteness.js';
import { smallCohortCaveat } from './cohortSize.js';
import { orderEventTimesByRisk } from './timeOrder.js';
import { decodeSyntheticTable, releaseReceipt, releasedStatistics, settingsAsRun, type ReleasedStatistics } from './release.js';
import { resolveSettings, type CondenseOptions, type ResolvedSettings } from './settings.js';
import { placeTwins } from './twins.js';
import { gateSteps, planSteps, rowGroupsFor, runSteps, stepsSmoothing, type StepsGate, type TraceRow } from './steps.js';
import { newTask } from './task.js';
import type { DirectionEvaluator, DirectionEvaluatorFactory } from './zerothOrder.js';
import { fitMst } from '../synthesis/mst/index.js';
import { chargeSelection, checkpointSteps, planSelection, selectCandidate, selectionResolution, type SelectionOutcome } from './selection.js';

export { NonFiniteReleaseError, assertFiniteRelease } from './release.js';
export { DEFAULTS, DEFAULT_LEARNERS, OptionError, REFERENCE_ROWS, SETTINGS, formatLearnerChoice, formatLearnerList, learnerChoiceName, parseLearnerList, parseSettings, resolveSettings, settingsSchema } from './settings.js';
export type { CondenseOptions, CondenseProgress, CondenseSettings, Initialisation, LearnerChoice, ResolvedSettings, RunSettings } from './settings.js';
export type { TraceRow } from './steps.js';
export type { ReleasedFeature, ReleasedStatistics } from './release.js';

export interface CondenseResult {
  synthetic: Table;
  receipt: Receipt;
  trace: TraceRow[];
  encoder: Encoder;
  /** Resolved hyperparameters actually used. */
  settings: ResolvedSettings;
  /** What the private preprocessing released (charged mechanisms' outputs, post-processed). */
  released: ReleasedStatistics;
  /** What a recipient should know about the synthetic table (also in the receipt's warnings). */
  caveats: string[];
}


export class CondenseAbortedError extends Error {
  override name = 'AbortError';
}

/** Hooks for callers that need them: the data-access audit of the tests, and where the fits run. */
export interface CondenseHooks {
  /** The run's data-access scope (a test passes one to watch which mechanism reads what). */
  scope?: DataAccessScope;
  /** Where each step's 2K fits run (default: inline), or a factory given the run's setup (worker pools). */
  evaluator?: DirectionEvaluator | DirectionEvaluatorFactory;
}

export async function condense(options: CondenseOptions, hooks: CondenseHooks = {}): Promise<CondenseResult> {
  const train = options.train;
  const card = train.card;
  // 1. Settings (pure): defaults, validation, learners — fails before anything is spent.
  const settings = resolveSettings(options);
  const startedAt = new Date();
  // 2. Budget plan: the preprocessing queries and their σ.
  const budget = planBudget(settings, card);

  // One generator for everything secret (noise, batch sampling), one for public randomness
  // (directions, initial draws, learners' internal randomness). Both are secure unless seeded.
  const seeded = settings.seed !== undefined ? new SeededRng(settings.seed) : undefined;
  const noiseRng: Rng = seeded ? seeded.fork() : new CryptoRng();
  const publicRng: Rng = seeded ? seeded.fork() : new CryptoRng();
  const ledger = new PrivacyLedger({ epsilon: settings.epsilon, delta: settings.delta, accountant: settings.accountant });
  ledger.registerRandomness(noiseRng);
  const scope = hooks.scope ?? new DataAccessScope();
  const ctx: NoisyQueryContext = { isPrivate: settings.isPrivate, ledger, noiseRng, scope };
  const checkAbort = () => {
    if (options.signal?.aborted) throw new CondenseAbortedError('condensation aborted');
  };

  // 3. Private preprocessing and the task, from one pass over the records: DP bounds, data ranges,
  // the task's own statistics (survival's time histogram), stratum moments.
  const sigma = budget.preprocessingNoiseMultiplier;
  const { bounds, featureBounds, task, momentsQuery, unlocated } = privatePreprocessing(
    train,
    budget,
    { task: settings.task, bounds: settings.bounds, momentsClip: settings.isPrivate ? settings.momentsClip : undefined, boundsTails: settings.boundsTails },
    ctx,
    sigma,
    (timeHistogram) => newTask(settings.task, timeHistogram),
  );
  // Every measurement of the moments is read the same way (post-processing of its sums and noise stds).
  const decodeMoments = (m: { sums: Float64Array; noiseStd: number | Float64Array }) => momentsQuery.decode(m.sums, m.noiseStd, settings.presenceCounts, settings.spreadEstimate);
  const firstMoments = momentsQuery.measure(ctx, budget.momentsNoiseMultiplier);
  let moments = decodeMoments(firstMoments);
  checkAbort();
  let pooled = poolMoments(moments);
  // 3a. With `focusedMomentsShare` on a focused table: the feature focus's kept set is chosen from the
  // first measurement (post-processing, as without the option), and the rest of the moments' ρ
  // (planned in `planBudget` from public values) buys a second query over those k features only,
  // combined with the first coordinate by coordinate. It comes before the gate, so that the gate, the
  // steps' plan and everything after them see the combined moments; the focus keeps this kept set
  // (its frozen values come from the combined pooled moments).
  // The moments' sums as measured so far, with each coordinate's noise std (they differ once the
  // focused measurement has improved some coordinates).
  let measured: CoordinateMeasurement = perCoordinate(firstMoments);
  let kept: number[] | undefined;
  // With `unlocated: 'freeze'`: features whose DP bounds found no occupied bin are never moved (card indices).
  const frozen = settings.unlocated === 'freeze' ? card.features.flatMap((f, j) => (unlocated.includes(f.name) ? [j] : [])) : [];
  if (budget.focusedMoments) {
    kept = keptFeatures(settings.featureFocus, card.features.length, moments, pooled, settings.task, settings.featureFocusAbove, frozen)!;
    const focused = momentsQuery.measureFocused(ctx, budget.focusedMoments.noiseMultiplier, kept);
    measured = combineFocusedMoments(measured, focused.measurement, focused.coordinates);
    moments = decodeMoments(measured);
    pooled = poolMoments(moments);
  }
  let outcomes = task.outcomes(moments, settings);

  // 3b. The noise-figure gate (DP-moment start): from the steps' plan (public and DP quantities
  // only) decide whether the steps can pay for themselves; if not, their share of ε buys a second
  // measurement of the same stratum sums, combined with the first by inverse-variance weighting.
  // (The MST start spends part of the budget after this point, so it always takes its steps.)
  // The release selection is charged before any steps are planned, so they get what it leaves.
  const selectionPlan = planSelection(settings);
  if (selectionPlan && settings.initialisation !== 'mst') chargeSelection(selectionPlan, ledger);
  let stepPlan = settings.initialisation === 'mst' ? undefined : planSteps(settings, outcomes.lossSpec, pooled.count, ledger);
  // The gate judges the steps as they would run: with their tied row groups (`rowGroups.ts`).
  const gate: StepsGate = stepPlan
    ? gateSteps(stepPlan, settings, outcomes.lossSpec, settings.gateOn === 'groups' ? rowGroupsFor(stepPlan, settings, outcomes.lossSpec, outcomes.allocation) : undefined)
    : { path: settings.steps > 0 ? 'steps' : 'no-steps', repeatShare: 0 };
  if (gate.repeatShare > 0) {
    const secondMoments = momentsQuery.measure(ctx, repeatedMomentsNoiseMultiplier(settings, ledger, gate.repeatShare), MECHANISM.repeatedStratumMoments);
    // Combined coordinate by coordinate (the same inverse-variance rule as for one noise std).
    measured = combineGaussianCoordinates(measured, perCoordinate(secondMoments));
    moments = decodeMoments(measured);
    pooled = poolMoments(moments);
    outcomes = task.outcomes(moments, settings);
    // The steps (if any are left) are planned again on the rest of the budget.
    stepPlan = planSteps(settings, outcomes.lossSpec, pooled.count, ledger, gate.repeatShare < 1 ? settings.steps : 0);
  }

  // 4. Encoding and initial synthetic set (post-processing of the DP statistics).
  const encoder = buildEncoder(card, bounds, featureBounds, pooled, settings.encoding);
  // With `startEvidence` 'universal' (the default) or 'universal-soft': the start's stratum differences without DP evidence pooled away.
  const evidencePooling = settings.isPrivate && settings.startEvidence !== 'all' && settings.initialisation === 'private' ? poolFeaturesWithoutEvidence(moments, pooled, settings.startEvidence === 'universal-soft' ? 'soft' : 'hard') : undefined;
  const initialisation = {
    settings,
    encoder,
    moments: evidencePooling?.moments ?? moments,
    outcomes,
    publicRng,
    realRows: () => ({ train, strata: task.stratify(train) }),
    // The MST start: charged to this ledger, raising its ε to (preprocessing + MST share)·ε.
    mst: () => ({
      model: fitMst({
        train,
        ledger,
        targetEpsilon: settings.isPrivate ? settings.epsilon * Math.min(1, settings.preprocessingShare + settings.mstShare) : Infinity,
        noiseRng,
        bounds: settings.bounds,
        scope,
      }),
      // The MST start assigns its time bins to the early and late groups at the same split as the strata.
      riskGroupSplitTime: task.receiptParameters().riskGroupSplitTime as number | undefined,
    }),
  };
  // With `featureFocus`: the steps move only the k features the DP moments separate most; the rest
  // are set to their pooled DP values in every start (post-processing of the released moments).
  const focus = chooseFeatureFocus(settings.featureFocus, encoder, moments, pooled, settings.task, kept, settings.featureFocusAbove, frozen);
  const initialise = () => (focus ? focus.freezeSet(initialiseSyntheticSet(initialisation)) : initialiseSyntheticSet(initialisation));
  const synthetic = initialise();
  // 4b. With the release selection: the steps' start is chosen among draws from the same DP
  // statistics (free: post-processing), by one exponential-mechanism draw.
  let chosenStart = 0;
  if (selectionPlan && selectionPlan.starts > 1) {
    const starts: Float64Array[] = [synthetic.values.slice()];
    while (starts.length < selectionPlan.starts) starts.push(initialise().values);
    chosenStart = selectCandidate({ plan: selectionPlan, candidates: starts, synthetic, learners: settings.learners, lossSpec: outcomes.lossSpec, train, encoder, scope, noiseRng });
    synthetic.values.set(starts[chosenStart]);
  }

  // 5. The DP zero-order steps (none when the gate chose the second measurement), keeping the
  // selection's candidates on the way.
  if (selectionPlan && settings.initialisation === 'mst') chargeSelection(selectionPlan, ledger);
  stepPlan ??= planSteps(settings, outcomes.lossSpec, pooled.count, ledger);
  // Tied row groups, chosen by the rule from the plan the steps run with (public and DP quantities).
  const groups = rowGroupsFor(stepPlan, settings, outcomes.lossSpec, outcomes.allocation);
  // The smoothing radius those steps run with (`stepsSmoothing`: widened by the noise-aware rule),
  // and the plan again at that radius (the learning rate's noise-drift cap depends on it).
  const smoothing = stepsSmoothing(stepPlan, settings, outcomes.lossSpec, groups);
  const runSettings = smoothing === settings.smoothing ? settings : { ...settings, smoothing };
  if (runSettings !== settings) stepPlan = planSteps(runSettings, outcomes.lossSpec, pooled.count, ledger, stepPlan.measurement.steps);
  // Cross-class twins (`twins.ts`): placed on the start the steps run from (post-processing of the
  // synthetic rows), and only with untied rows, whose directions are each row's own.
  const twins = settings.twins > 0 && groups.count === settings.rows && synthetic.target.task === 'classification' ? placeTwins(synthetic, synthetic.target.y, settings.twins) : undefined;
  const candidates: Float64Array[] = [];
  const checkpoints = selectionPlan ? { after: checkpointSteps(stepPlan.measurement.steps, selectionPlan.candidates), keep: () => candidates.push(synthetic.values.slice()) } : undefined;
  const trace = await runSteps({
    settings: runSettings,
    plan: stepPlan,
    synthetic,
    groups,
    lossSpec: outcomes.lossSpec,
    train,
    encoder,
    ledger,
    scope,
    noiseRng,
    publicRng,
    evaluator: hooks.evaluator,
    onProgress: options.onProgress,
    checkAbort,
    checkpoints,
    focus,
    twins,
  });

  // 5b. The release selection: one exponential-mechanism draw among the candidates (only its index leaves it).
  let selection: SelectionOutcome | undefined;
  if (selectionPlan) {
    const chosen = candidates.length > 1 ? selectCandidate({ plan: selectionPlan, candidates, synthetic, learners: settings.learners, lossSpec: outcomes.lossSpec, train, encoder, scope, noiseRng }) : 0;
    synthetic.values.set(candidates[chosen]);
    selection = { plan: selectionPlan, start: chosenStart, chosen, resolution: selectionResolution(selectionPlan, outcomes.lossSpec, pooled.count) };
  }

  // 6. Release.
  const startEvidence = evidencePooling && {
    threshold: evidencePooling.threshold,
    pooled: evidencePooling.pooled.map((f) => card.features[f].name),
    ...(evidencePooling.shrink === 'soft' ? { shrink: 'soft' as const } : {}),
  };
  const resolved = settingsAsRun(runSettings, budget, stepPlan, outcomes, gate, groups, selection, focus, startEvidence, twins ? twins.length / 2 : 0);
  const receipt = releaseReceipt(ledger, { settings, resolved, task, card, inputFingerprint: options.inputFingerprint, onInvalid: options.onInvalid, startedAt });
  const released = releasedStatistics(card, featureBounds, pooled, moments, task);
  const decoded = decodeSyntheticTable(synthetic, encoder, card);
  // Post-processing of the released rows: event times by the table's own Cox risk (`timeOrder.ts`).
  const table = resolved.timeOrder === 'risk' ? orderEventTimesByRisk(decoded, outcomes.allocation) : decoded;
  // The cohort-size caveat reads only the DP record count (post-processing) and public values.
  const cohortCaveat = smallCohortCaveat(card.features.length, pooled.count, settings.epsilon, settings.delta);
  const caveats = [...releaseCaveats(table), ...(cohortCaveat ? [cohortCaveat] : []), ...unlocatedCaveat(unlocated, settings.unlocated)];
  receipt.warnings.push(...caveats);
  return { synthetic: table, receipt, trace, encoder, settings: resolved, released, caveats };
}

/**
 * What a recipient should know about features whose DP bounds found no data (public: read off the
 * released noisy histogram): their values say nothing about the patients' scale.
 */
function unlocatedCaveat(unlocated: readonly string[], treatment: 'move' | 'freeze'): string[] {
  if (unlocated.length === 0) return [];
  const what = treatment === 'freeze' ? 'released as a constant that carries no information' : 'confined to [0, 1], whatever their real scale';
  return [`${unlocated.length} feature(s) too sparse for their range to be located at this ε, ${what}: ${unlocated.join(', ')}`];
}
