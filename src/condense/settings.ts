/**
 * Run settings of a condensation, declared ONCE in `SETTINGS` (zod schemas plus CLI and receipt
 * metadata). From that declaration come the TypeScript option types (`CondenseSettings`), the
 * defaults (`DEFAULTS`), the validation (`resolveSettings` → `OptionError`), the CLI's flags and
 * help (`cli/settingsFlags.ts`) and the order and contents of the receipt's `parameters`
 * (`receiptParameterKeys`).
 *
 * `resolveSettings` is the pure first step of the pipeline (no data read, nothing spent): every
 * option with its default filled in, the learners checked, and the reasons a run is not a private
 * release. Settings that depend on private statistics (sampling rate, noise multipliers, the
 * capped learning rate, the survival grid) are fixed later and reported in `ResolvedSettings`.
 */
import { z } from 'zod';
import { SeededRng } from '../core/rng.js';
import { OptionError } from '../core/errors.js';
import type { Table } from '../data/table.js';
import type { InvalidRecordPolicy } from '../data/ingest.js';
import { createLearner, getLearnerSpec } from '../models/registry.js';
import { ModelInputError, type Task } from '../models/types.js';
import type { InputFingerprint } from '../privacy/receipt.js';
import type { ClassificationLossKind, LearnerRecipe } from './objective.js';
import type { OptimiserKind } from './optimiser.js';
import { defaultPreprocessingShare, mstStartPreprocessingShare } from './budgetSplit.js';

export { OptionError } from '../core/errors.js';
export { defaultPreprocessingShare } from './budgetSplit.js';

export type LearnerChoice = string | { name: string; params?: Record<string, unknown> };
export type Initialisation = 'private' | 'uniform' | 'real-rows' | 'mst';
/** Which way the budget left after the preprocessing went (the noise-figure gate, `steps.ts`; released in the receipt). */
export type BudgetPath = 'steps' | 'repeated-moments' | 'repeated-moments-and-steps' | 'no-steps';

/** How a setting appears outside the code: CLI flag and help, and whether the receipt lists it. */
export interface SettingMeta {
  /** CLI flag without dashes (absent: not a CLI setting, or set through another flag). */
  flag?: string;
  /** Value placeholder in the help (absent for a boolean switch). */
  placeholder?: string;
  help: string;
  /** Listed in the receipt's `parameters` (default true); `then` names values derived from it, listed right after. */
  receipt?: boolean;
  then?: readonly string[];
}

// zod's number() rejects ±Infinity; ε = ∞ is the non-private ablation.
const positiveOrInfinite = z.union([z.number().gt(0), z.literal(Infinity as number)]);
const fraction = () => z.number().min(0).max(1);
const setting = <T extends z.ZodType>(schema: T, meta: SettingMeta) => ({ schema, meta });

/** Hard caps (a run above them would exhaust memory or time long before it finished). */
export const MAX_SYNTHETIC_ROWS = 10_000;
export const MAX_STEPS = 100_000;
export const MAX_DIRECTIONS = 1_000;

/**
 * The reference table size per task: the default m of the experiments (README, docs/RESULTS.md), at
 * which μ = 0.3 and the smoothing rule's R* were validated. A public constant; the `row-noise`
 * smoothing rule reads the steps' noise figure at this size (`steps.ts`, `stepsSmoothing`).
 */
export const REFERENCE_ROWS: Record<Task, number> = { classification: 20, survival: 50 };

/**
 * Above this ε a run is still computed as asked, but its receipt does not call it a private release:
 * e^20 ≈ 5·10^8, so the guarantee no longer bounds what the output says about one patient. (Deployed
 * releases use single digits; the largest published ones stay below 20.)
 */
export const MEANINGFUL_EPSILON_CEILING = 20;

/**
 * The learners a table is condensed for when the caller names none. Classification: a tree and a
 * linear model, the two families clinicians fit — rows moved for a tree alone can be useless or
 * inverted for a linear model (docs/RESULTS.md: wdbc at ε = 3, logistic regression 0.700 ± 0.381 on
 * CART-only tables, worst seed 0.086; 0.971 ± 0.010 on tables condensed for both) — and a 4-tree
 * random forest beside them: each of its trees sees a random subset of the features, so its loss
 * penalises a feature that the DP noise made a spurious perfect separator of the few rows, which a
 * single tree notices only once that feature wins its root (docs/RESULTS.md, "Session 30"). Survival:
 * Cox alone, judged with its coefficients halved (`shrinkage` 0.5, a fixed calibration slope): a Cox
 * fit on the table's few rows overfits, and a loss that judges it as fitted is calibrated only when
 * the table's association is weak, which costs a survival forest trained on the release; halved, the
 * loss is calibrated at about twice that strength and still pulls back a stronger one
 * (docs/RESULTS.md, "Session 34", rule N). A survival forest in the loss multiplies the run time
 * about threefold and cost a Cox release in session 30's rule; a single survival tree beside Cox
 * lowered both Cox (−0.012) and RSF (−0.014) on the released tables on average (docs/RESULTS.md,
 * "Session 24").
 */
// In the registry's order, the order the browser app lists (and sends) its learners in.
export const DEFAULT_LEARNERS: Readonly<Record<Task, readonly LearnerChoice[]>> = {
  classification: ['logistic', 'cart', { name: 'rf', params: { nTrees: 4 } }],
  survival: [{ name: 'cox', params: { shrinkage: 0.5 } }],
};

/** The learner a choice names. */
export function learnerChoiceName(choice: LearnerChoice): string {
  return typeof choice === 'string' ? choice : choice.name;
}

/** A learner choice as `--model` takes it: `rf:nTrees=4`. */
export function formatLearnerChoice(choice: LearnerChoice): string {
  if (typeof choice === 'string') return choice;
  return [choice.name, ...Object.entries(choice.params ?? {}).map(([key, value]) => `${key}=${String(value)}`)].join(':');
}

/** A list of learner choices as `--model` takes it. */
export function formatLearnerList(choices: readonly LearnerChoice[]): string {
  return choices.map(formatLearnerChoice).join(',');
}

/**
 * `cart:maxDepth=4,rf:nTrees=50:maxFeatures=sqrt` → learners with parameters. A parameter is
 * `name=value` after the learner's colon (several joined by colons); a comma-separated `name=value`
 * without a learner continues the previous one. Values: numbers, true/false, or strings. The inverse
 * of `formatLearnerList`; shared by the CLI's `--model` and the experiment harness's. A malformed
 * list is an `OptionError` of `learners` (the CLI reports it against `--model`).
 */
export function parseLearnerList(text: string): LearnerChoice[] {
  const out: { name: string; params: Record<string, unknown> }[] = [];
  for (const token of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const parts = token.split(':');
    let target: { name: string; params: Record<string, unknown> };
    if (parts[0].includes('=')) {
      if (out.length === 0) throw new OptionError('learners', `"${token}" needs a learner before it (e.g. cart:${token})`);
      target = out[out.length - 1];
    } else {
      target = { name: parts.shift()!, params: {} };
      out.push(target);
    }
    for (const assignment of parts) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new OptionError('learners', `"${assignment}" is not name=value`);
      const value = assignment.slice(eq + 1);
      target.params[assignment.slice(0, eq)] = value === 'true' ? true : value === 'false' ? false : value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    }
  }
  return out.map(({ name, params }) => (Object.keys(params).length ? { name, params } : name));
}

/** Every run setting, in the order of the receipt's `parameters`. */
export const SETTINGS = {
  rows: setting(z.number().int().min(2).max(MAX_SYNTHETIC_ROWS), { flag: 'rows', placeholder: 'm', help: `number of synthetic rows m, at most ${MAX_SYNTHETIC_ROWS} and at most the input's records (classification: split between the classes) (default: ${REFERENCE_ROWS.classification} for classification, ${REFERENCE_ROWS.survival} for survival, the sizes the defaults were validated at)` }),
  learners: setting(z.array(z.union([z.string(), z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() })])).optional(), {
    flag: 'model',
    placeholder: 'list',
    help: `learner(s) whose mean loss is optimised, comma-separated, each with optional parameters: cart:maxDepth=4,rf:nTrees=50 (default: ${formatLearnerList(DEFAULT_LEARNERS.classification)}; ${formatLearnerList(DEFAULT_LEARNERS.survival)} for survival)`,
  }),
  epsilon: setting(positiveOrInfinite, { flag: 'epsilon', placeholder: 'ε', help: 'privacy budget ε ("inf" for a non-private run)' }),
  delta: setting(z.number().gt(0).lt(1).default(1e-5), { flag: 'delta', placeholder: 'δ', help: 'privacy parameter δ' }),
  steps: setting(z.number().int().min(0).max(MAX_STEPS).default(300), { flag: 'steps', placeholder: 'T', help: 'zero-order steps (0: the DP per-stratum Gaussian baseline)' }),
  directions: setting(z.number().int().min(1).max(MAX_DIRECTIONS).optional(), {
    flag: 'directions',
    placeholder: 'K',
    help: 'random directions per step (default 16 classification, 64 survival: more directions cost time, not privacy)',
  }),
  smoothing: setting(z.number().gt(0).default(0.3), { flag: 'smoothing', placeholder: 'μ', help: 'smoothing radius in standardised units' }),
  smoothingRule: setting(z.enum(['row-noise', 'noise', 'fixed']).default('row-noise'), {
    flag: 'smoothing-rule',
    placeholder: 'kind',
    help: "smoothing radius of the private steps: row-noise (default: μ·√(R/R*) when the steps' noise figure R, read at the reference table size of 20 rows classification / 50 survival, exceeds --smoothing-reference R*: the bias-variance optimum of a zero-order gradient grows as the square root of its noise, and the noise per row coordinate does not depend on m); noise (the same with R at the table's own m, so μ grows with m); fixed (μ)",
    // Listed in the receipt: its `smoothing` is the radius the steps ran with, which the rule may have widened.
  }),
  smoothingReference: setting(z.number().gt(0).default(0.05), {
    flag: 'smoothing-reference',
    placeholder: 'R*',
    help: 'with --smoothing-rule row-noise or noise: the noise figure up to which μ is kept (default: about the largest R of the ε = 8 runs at the default sizes, where μ = 0.3 was validated)',
  }),
  smoothingDecay: setting(fraction().default(1), { flag: 'smoothing-decay', placeholder: 'r', help: 'final smoothing radius as a fraction of the initial one (linear decay; 1 = constant)' }),
  learningRate: setting(z.number().gt(0).optional(), { flag: 'learning-rate', placeholder: 'lr', help: 'step size (default 0.5 classification, 0.2 survival; capped so the DP noise cannot drift the rows far)' }),
  momentum: setting(fraction().default(0.9), { flag: 'momentum', placeholder: 'β', help: 'momentum of the SGD optimiser' }),
  optimiser: setting(z.enum(['sgd', 'adam']).default('sgd'), { flag: 'optimiser', placeholder: 'kind', help: 'sgd (momentum) or adam' }),
  batchSize: setting(z.number().int().min(1).default(256), { flag: 'batch-size', placeholder: 'b', help: 'expected Poisson batch size q·n̂', then: ['samplingRate'] }),
  clipNorm: setting(z.number().gt(0).optional(), {
    flag: 'clip',
    placeholder: 'C',
    help: "clip norm of each record's loss-difference vector (default --clip-scale · √K · max loss)",
    then: ['noiseMultiplier', 'preprocessingNoiseMultiplier'],
  }),
  clipScale: setting(z.number().gt(0).max(1).optional(), {
    flag: 'clip-scale',
    placeholder: 'c',
    help: "without --clip: the clip norm as a fraction c of its worst case √K · max loss, in (0, 1] (default 0.25 classification, 0.125 survival: most records' loss differences are far below the worst case, so clipping there cuts the DP noise at a small bias; 1: no record is ever clipped)",
  }),
  preprocessingShare: setting(fraction().optional(), { flag: 'preprocessing-share', placeholder: 's', help: 'share of ε for the private statistics, in (0, 1) (default: by --split-rule; 0.3 with --init mst; 1 when steps = 0)' }),
  splitRule: setting(z.enum(['features', 'balance', 'larger']).default('features'), {
    flag: 'split-rule',
    placeholder: 'kind',
    help: "default share of ε for the statistics (DP-moment start with steps) when --preprocessing-share is not given: features (0.3 up to 30 features, 0.3·d/30 above, at most 0.6), balance (the start's and the steps' noise figures balanced, from ε, δ, the card, m and μ; docs/RESULTS.md) or larger (the larger of the two: balance on small tables, features on large ones)",
    // The receipt lists the share it chose (`preprocessingShare`).
    receipt: false,
  }),
  noiseFigureLimit: setting(positiveOrInfinite.default(0.5), {
    flag: 'noise-figure-limit',
    placeholder: 'R',
    help: "limit on the steps' noise figure R (noise-to-signal of the mean gradient, from public and DP quantities); above it --repeat-share of the steps' ε buys a second measurement of the stratum moments and the steps run on the rest (\"inf\": the steps get all of it)",
    then: ['noiseFigure', 'budgetPath'],
  }),
  repeatShare: setting(z.number().gt(0).max(1).default(0.5), {
    flag: 'repeat-share',
    placeholder: 's',
    help: "when the noise figure is above its limit: share of the steps' ε spent on the second moments measurement, in (0, 1]; the steps run on the rest (1: no steps)",
  }),
  rowGroups: setting(z.union([z.enum(['auto', 'off']), z.number().int().min(1)]).default('auto'), {
    flag: 'row-groups',
    placeholder: 'G',
    help: "tie the synthetic rows into groups (never across classes/strata) that every zero-order direction moves by one shared vector: auto (the most groups whose noise figure passes --noise-figure-limit; every row its own group when the untied steps already pass), off, or a number of groups",
    then: ['rowGroupCount'],
  }),
  figureSignal: setting(z.enum(['clipped', 'loss-bound']).default('loss-bound'), {
    flag: 'figure-signal',
    placeholder: 'kind',
    help: "the largest mean gradient the noise figure R of the gate and the row groups is measured against: clipped (what the clip norm lets one random direction carry, min(B, C/√K)) or loss-bound (the loss bound B)",
  }),
  gateOn: setting(z.enum(['groups', 'rows']).default('rows'), {
    flag: 'gate-on',
    placeholder: 'kind',
    help: "what the noise-figure gate judges: the steps with their tied row groups (groups), or untied (rows: the gate acts as without --row-groups, and the steps it leaves are then tied by the rule)",
  }),
  selectionShare: setting(z.number().min(0).lt(1).default(0), {
    flag: 'selection-share',
    placeholder: 's',
    help: "share of the budget's zCDP ρ spent on choosing, with the exponential mechanism scored by the learners' clipped loss on the real records, the steps' start among --selection-starts draws and the released table among --selection-candidates checkpoints of the steps; 0: off (one start, the last step's table)",
    // Listed in the receipt (by `releaseReceipt`), with what the selection did, only when it ran.
    receipt: false,
  }),
  selectionStarts: setting(z.number().int().min(1).max(100).default(10), {
    flag: 'selection-starts',
    placeholder: 'r',
    help: "with --selection-share > 0: draws of the start from the DP statistics to choose the steps' start among (1: no choice; the MST start is never redrawn)",
    receipt: false,
  }),
  selectionCandidates: setting(z.number().int().min(2).max(100).default(5), {
    flag: 'selection-candidates',
    placeholder: 'k',
    help: 'with --selection-share > 0: candidate tables, the DP start and k − 1 evenly spaced checkpoints of the steps',
    receipt: false,
  }),
  initialisation: setting(z.enum(['private', 'uniform', 'real-rows', 'mst']).default('private'), { flag: 'init', placeholder: 'kind', help: 'private (DP statistics), mst (a class-/stratum-balanced MST sample), uniform (public bounds) or real-rows (non-private)' }),
  // Listed in the receipt (by `settingsAsRun`) only for the MST start.
  mstShare: setting(z.number().gt(0).lt(1).default(0.3), {
    flag: 'mst-share',
    placeholder: 's',
    help: 'with --init mst: share of ε for MST; the statistics spend theirs, MST raises the total to (their share + s)·ε, the steps get the rest',
    receipt: false,
  }),
  initialSpread: setting(z.number().gt(0).default(1), { flag: 'initial-spread', placeholder: 'k', help: 'spread of the initial rows around their stratum mean, in DP standard deviations' }),
  spreadRule: setting(z.enum(['fixed', 'noise']).default('fixed'), {
    flag: 'spread-rule',
    placeholder: 'kind',
    help: "numeric spread of the initial rows: fixed (k DP standard deviations) or noise (√((k·sd)² + v), v the known noise variance of the stratum's DP mean, so that at low ε the rows cover where the mean may lie)",
    receipt: false,
  }),
  // Listed in the receipt (by `settingsAsRun`) only when stratified, so that the default receipt is unchanged.
  initialDraws: setting(z.enum(['independent', 'stratified']).default('independent'), {
    flag: 'initial-draws',
    placeholder: 'kind',
    help: "how the DP-moment start draws each stratum's rows: independent (every value drawn on its own) or stratified (Latin hypercube: each feature's values cover its distribution's equal-probability slices once, in random order per feature)",
    receipt: false,
  }),
  // The default since session 32's rule H (docs/RESULTS.md). Listed in the receipt (by
  // `settingsAsRun`) as the threshold and the features pooled, whenever it was taken.
  startEvidence: setting(z.enum(['all', 'universal', 'universal-soft']).default('universal'), {
    flag: 'start-evidence',
    placeholder: 'rule',
    help: "which features' stratum differences the DP-moment start keeps (private runs): universal (the default: only those whose largest DP stratum difference exceeds √(2 ln N) times its known noise sd, N the comparisons: numeric features × pairs of strata; the others start at their pooled DP mean in every stratum), universal-soft (the same, and every kept difference is shrunk by the threshold: Δ·(1 − threshold/evidence)), or all",
    receipt: false,
  }),
  classBalance: setting(z.enum(['balanced', 'proportional']).default('balanced'), { flag: 'class-balance', placeholder: 'kind', help: 'classification rows per class: balanced or proportional (to a DP class count)' }),
  loss: setting(z.enum(['brier', 'cross-entropy']).default('brier'), { flag: 'loss', placeholder: 'kind', help: 'classification loss: brier or cross-entropy' }),
  classWeighting: setting(z.enum(['balanced', 'none']).default('balanced'), { flag: 'class-weighting', placeholder: 'kind', help: 'classification: weight the loss so both classes count equally (balanced, from DP counts) or not (none)' }),
  encoding: setting(z.enum(['standardised', 'bounds']).default('standardised'), { flag: 'encoding', placeholder: 'kind', help: 'numeric coordinates: standardised by DP mean and sd, or bounds (the [0, 1] box; ablation)' }),
  // pMin bounds every per-record loss (−log pMin): 0 makes cross-entropy unbounded, ≥ 0.5 empties [p, 1 − p].
  pMin: setting(z.number().gt(0).lt(0.5).default(0.01), { flag: 'p-min', placeholder: 'p', help: 'predicted probabilities are clipped to [p, 1 − p] in the loss, p in (0, 0.5)' }),
  gridPoints: setting(z.number().int().min(1).default(10), { flag: 'grid-points', placeholder: 'n', help: 'survival: time-grid points of the loss' }),
  optimiseTimes: setting(z.boolean().default(false), { flag: 'optimise-times', help: 'survival: also optimise the synthetic follow-up times' }),
  // The default by the session-24 rule (docs/RESULTS.md, "Session 24: what RSF needs from a survival table").
  timeOrder: setting(z.enum(['quantile', 'risk']).default('risk'), {
    flag: 'time-order',
    placeholder: 'kind',
    help: "survival: how each event group's synthetic times are given to its rows: risk (after the steps, in order of the released table's own Cox risk, highest risk earliest; post-processing) or quantile (in row order, as before the steps); not applied with --optimise-times, where the steps set each row's own time",
    // Listed in the receipt (by `settingsAsRun`) for survival runs only, so classification receipts are unchanged.
    receipt: false,
  }),
  rowWeights: setting(z.boolean().default(false), {
    flag: 'row-weights',
    help: "also learn a weight per synthetic row (e^a, a in ±log 4, normalised to mean 1 per class or stratum), released as a weight column that learners take as case weights (scikit-learn's sample_weight, R's weights)",
    // Listed in the receipt (by `settingsAsRun`) only when on, so that the default receipt is unchanged.
    receipt: false,
  }),
  // The default by rules T and T2 (docs/RESULTS.md, "Session 38: cross-class twins"): `defaultTwins`.
  twins: setting(z.number().int().min(0).optional(), {
    flag: 'twins',
    placeholder: 'k',
    help: "classification: tie k pairs of synthetic rows, one of each class, to the same feature values for the whole run (the closest cross-class pairs of the start, moved to their midpoints; post-processing, no privacy cost), so a tree cannot split them and predicts 1/2 where they fall: a third score besides 0 and 1 (default ⌊m/10⌋, 2 for 20 rows; 0: off; not combined with tied row groups)",
    // Listed in the receipt (by `settingsAsRun`) only when pairs were tied, so that survival receipts are unchanged.
    receipt: false,
  }),
  iterateAverage: setting(z.enum(['off', 'tail', 'ema']).default('off'), {
    flag: 'iterate-average',
    placeholder: 'kind',
    help: "release the steps' iterates averaged: off (the last step's table), tail (the uniform average of the parameters after each step of the last half, t > T/2: much of the DP noise's random walk averages out, at no privacy cost, as every iterate is already a post-processing of the charged steps) or ema (an exponential moving average of the same iterates, decay 0.98)",
    // Listed in the receipt (by `settingsAsRun`) only when on, so that the default receipt is unchanged.
    receipt: false,
  }),
  featureFocus: setting(z.union([z.literal('off'), z.number().int().min(1)]).optional(), {
    flag: 'feature-focus',
    placeholder: 'k',
    help: "on tables of more than k features, let the zero-order steps move only the k features whose DP class (or survival stratum) means lie furthest apart (a private classification run's numeric features: by the evidence |mean₁ − mean₀| / its DP noise sd; otherwise in units of the pooled DP sd); every other feature is set in every row to its pooled DP value (mean, or the most frequent level) and never moved: free post-processing of the released moments (off: all features move; default: on tables of more than 30 features, the min(30, ⌊m/2⌋) features — 10 for 20 rows)",
    // Listed in the receipt (by `settingsAsRun`) only when it acts, so that the receipts of tables of at
    // most k features are unchanged. The default: `defaultFeatureFocus`.
    receipt: false,
  }),
  // The default by rule U (docs/RESULTS.md, "Session 39: features whose DP bounds found no data").
  unlocated: setting(z.enum(['move', 'freeze']).default('freeze'), {
    flag: 'unlocated',
    placeholder: 'kind',
    help: "features whose DP bounds histogram showed no occupied bin (their bounds fall back to [0, 1], so where their data lie is unknown): freeze (default: released constant at their pooled DP value and never moved, listed in the receipt; a focus keeps other features instead) or move (the steps may move them like any other)",
    // Listed in the receipt (by `settingsAsRun`, as `unlocatedFeatures`) only when some feature was frozen.
    receipt: false,
  }),
  boundsTails: setting(z.enum(['cut', 'extend']).default('cut'), {
    flag: 'bounds-tails',
    placeholder: 'kind',
    help: "how far the DP bounds of features without public bounds reach: cut (the symmetric-log bins whose noisy count clears the threshold, one bin beyond) or extend (also the tails next to them: windows of 1, 2, 4 or 8 bins just beyond, each joining when its summed noisy count clears a threshold that grows with √width, repeated from the new edge; post-processing of the same histogram, no extra ε)",
    // Listed in the receipt (by `settingsAsRun`) only when set to extend on a run with DP bounds.
    receipt: false,
  }),
  presenceCounts: setting(z.enum(['own', 'pooled', 'count']).default('own'), {
    flag: 'presence-counts',
    placeholder: 'kind',
    help: "how each DP stratum's record count and each stratum mean's divisor are estimated: each from its own noisy count (own); the stratum count pooled with the presence counts of the columns consistent with it, and those columns' means divided by the pooled count (pooled); or only the stratum count pooled — the class weights, row allocation and the steps' record count read it — while every mean keeps its column's own presence count (count). Post-processing, no extra ε",
  }),
  // The default since session 33's rule K (docs/RESULTS.md). Listed in the receipt (by
  // `settingsAsRun`) for every private run.
  spreadEstimate: setting(z.enum(['plug-in', 'scale-prior']).default('scale-prior'), {
    flag: 'spread-estimate',
    placeholder: 'kind',
    help: "how each DP stratum spread is read from its noisy second moment: scale-prior (the default: the posterior median under a prior uniform in log variance between the sd floor and the half-width, given the variance's known noise; post-processing, no extra ε) or plug-in (√max(0, variance), the spreads before session 33)",
    receipt: false,
  }),
  focusedMomentsShare: setting(fraction().max(0.95).default(0.5), {
    flag: 'focused-moments-share',
    placeholder: 's',
    help: "with the feature focus acting (private DP-moment start, a table wider than k, no --moments-clip): share s of the stratum moments' privacy budget (zCDP ρ) spent not on the all-feature query but on a second query over the k kept features only (sensitivity of k features instead of d, so far less noise for the same ρ), combined with the first by inverse-variance weighting; the run's total ε is unchanged (default 0.5; 0: off)",
    // Listed in the receipt (by `settingsAsRun`) only when the focused measurement was taken, so that
    // every other receipt is unchanged. Default 0.5 (chosen before its grid, not tuned): on
    // physionet2012 it met the rule fixed before a grid on seeds 6–10 (docs/RESULTS.md, "Session 26:
    // a focused second moments measurement for wide tables"); tables it does not act on are unchanged.
    receipt: false,
  }),
  dataRanges: setting(z.boolean().default(false), {
    flag: 'data-ranges',
    help: 'narrow every numeric feature\'s bounds (card, user or DP) to where the data lie with a DP histogram before the moments',
    receipt: false,
  }),
  rangesShare: setting(fraction().max(0.5).default(0), {
    flag: 'ranges-share',
    placeholder: 'w',
    help: "private runs: spend share w of the stratum moments' privacy budget (zCDP ρ) on a DP histogram of every numeric feature with public bounds (card or --bounds), and narrow a feature's bounds only where that histogram shows the data packed in a small part of them (at least three quarters of the records, with one noise sd to spare, in the bins that clear the noise); the moments keep 1 − w of their ρ and the run's total ε is unchanged (default 0: off; ignored with --data-ranges)",
    // Listed in the receipt (by `settingsAsRun`) only when the histogram was taken.
    receipt: false,
  }),
  momentsClip: setting(z.number().gt(0).optional(), {
    flag: 'moments-clip',
    placeholder: 'c',
    help: "clip each record's centred numeric values jointly to L2 norm c·√(numeric features) in the stratum moments (smaller sensitivity, less noise; default off)",
    receipt: false,
  }),
  maxNoiseDrift: setting(z.number().gt(0).default(1), { flag: 'max-noise-drift', placeholder: 'd', help: 'cap on the random-walk drift the DP noise may cause per coordinate (standardised units)', receipt: false }),
  accountant: setting(z.enum(['rdp', 'pld']).default('rdp'), { flag: 'accountant', placeholder: 'kind', help: 'privacy accountant: rdp or pld', receipt: false }),
  bounds: setting(z.record(z.string(), z.tuple([z.number(), z.number()])).optional(), { help: 'public bounds for features whose card has none (CLI: --bounds FILE.json)', receipt: false }),
  seed: setting(z.number().int().min(0).max(2 ** 53).optional(), { flag: 'seed', placeholder: 'n', help: 'reproducible run from any integer 0..2^53, recorded in the receipt (then NOT a private release)', receipt: false }),
};

type SettingsShape = { [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]['schema'] };
export const settingsSchema = z.object(Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, v.schema])) as SettingsShape);

/** The run settings a caller may give (defaults filled in by `resolveSettings`). */
export type CondenseSettings = z.input<typeof settingsSchema>;

export interface CondenseOptions extends CondenseSettings {
  /** The private training table. */
  train: Table;
  /**
   * An identifier of the input for the receipt. For private data use a keyed one
   * (`keyedFingerprint` under a key the custodian keeps): a plain hash of private data is a
   * deterministic function of it that anyone can test candidate datasets against. A bare string is
   * taken as a SHA-256 hex digest (fine for public data only).
   */
  inputFingerprint?: string | InputFingerprint;
  /**
   * Condense from a card marked `"draft": true` (drafted from the data, e.g. its category levels, and
   * not yet reviewed). Without this a draft card is refused; with it the run proceeds but its
   * receipt lists the draft among `reasons_not_private`.
   */
  acceptDraftCard?: boolean;
  /**
   * How the input's invalid records were handled when it was read (`IngestOptions.onInvalid`;
   * default `error`): recorded in the receipt, as the policy only — never how many records it touched.
   */
  onInvalid?: InvalidRecordPolicy;
  onProgress?: (progress: CondenseProgress) => void;
  signal?: AbortSignal;
}

/** Keys of the receipt's `parameters`, in order: the settings marked for it, each followed by the values derived from it. */
export function receiptParameterKeys(): (keyof ResolvedSettings)[] {
  return Object.entries(SETTINGS).flatMap(([key, { meta }]) => (meta.receipt === false ? [] : [key, ...(meta.then ?? [])])) as (keyof ResolvedSettings)[];
}

export interface CondenseProgress {
  step: number;
  steps: number;
  elapsedMs: number;
  etaMs: number;
  /** Loss at this step from the private channel, and its exponential moving average. */
  loss: number;
  smoothedLoss: number;
  /** ε of the whole run (charged before the first step). */
  epsilonSpent: number;
}

export interface ResolvedSettings {
  rows: number;
  learners: { name: string; params: Record<string, unknown> }[];
  epsilon: number;
  delta: number;
  steps: number;
  directions: number;
  /** The radius the steps ran with (μ, or wider by the smoothing rule). */
  smoothing: number;
  smoothingRule: 'row-noise' | 'noise' | 'fixed';
  smoothingReference: number;
  smoothingDecay: number;
  learningRate: number;
  momentum: number;
  optimiser: OptimiserKind;
  batchSize: number;
  samplingRate: number;
  clipNorm: number;
  /** c in C = c·√K·(max loss) (the task's default, or as given); absent when --clip gave the norm. */
  clipScale?: number;
  noiseMultiplier: number;
  preprocessingNoiseMultiplier: number;
  preprocessingShare: number;
  noiseFigureLimit: number;
  /** The steps' noise figure R (absent when not computed: no steps asked, or the MST start). */
  noiseFigure?: number;
  /** Where the budget after the preprocessing went: the steps, a second moments measurement, or nowhere (steps = 0). */
  budgetPath: BudgetPath;
  repeatShare: number;
  rowGroups: 'auto' | 'off' | number;
  /** G: the groups of tied rows the steps ran with (m: untied). */
  rowGroupCount: number;
  figureSignal: 'clipped' | 'loss-bound';
  presenceCounts: 'own' | 'pooled' | 'count';
  gateOn: 'groups' | 'rows';
  selectionShare: number;
  /** ε_sel of the exponential mechanism choosing the release (0: no selection). */
  selectionEpsilon: number;
  /** Mean-loss gap to the best candidate the choice stays within with probability 0.9 (from B, k, ε_sel and n̂; absent without selection). */
  selectionResolution?: number;
  /** Index of the chosen start among the draws (absent without selection). */
  selectedStart?: number;
  /** Index of the released candidate: 0 the start, k − 1 the last step (absent without selection). */
  selectedCandidate?: number;
  selectionStarts: number;
  selectionCandidates: number;
  initialisation: Initialisation;
  /** Only with `initialisation: 'mst'`. */
  mstShare?: number;
  initialSpread: number;
  /** Only when the DP-moment start drew its rows by Latin hypercube sampling (`initialDraws`). */
  initialDraws?: 'stratified';
  /** Only when the DP-moment start pooled the stratum means of features without evidence (`startEvidence`, private runs from DP moments): the threshold and the features pooled. */
  startEvidence?: { threshold: number; pooled: string[]; shrink?: 'soft' };
  classBalance: 'balanced' | 'proportional';
  loss: ClassificationLossKind | 'survival-nll';
  classWeighting: 'balanced' | 'none';
  encoding: 'standardised' | 'bounds';
  pMin: number;
  gridPoints: number;
  optimiseTimes: boolean;
  /** Survival only: how the event times were given to the rows (`timeOrder`; 'optimised' when the steps set them). */
  timeOrder?: 'quantile' | 'risk' | 'optimised';
  /** Only when the run learned row weights (`rowWeights`). */
  rowWeights?: true;
  /** Only when cross-class twin pairs were tied (`twins`): how many. */
  twins?: number;
  /** Only when the released table is an average of the steps' iterates (`iterateAverage`). */
  iterateAverage?: 'tail' | 'ema';
  /**
   * Only when the steps were focused on a few features (`featureFocus`, on a table wider than k):
   * k, and the features kept (card order). Which features were kept is a function of the released DP
   * moments only, so it may be released.
   */
  featureFocus?: number;
  focusedFeatures?: string[];
  /** Only when features whose DP bounds found no occupied bin were frozen (`unlocated: 'freeze'`): their names. */
  unlocatedFeatures?: string[];
  /** Only when the focused second moments measurement was taken (`focusedMomentsShare`): its share of the moments' ρ. */
  focusedMomentsShare?: number;
  /** Only when the loose-bounds histogram was taken (`rangesShare`): its share of the moments' ρ. */
  rangesShare?: number;
  /** Only when DP bounds were taken and read with their tails (`boundsTails: 'extend'`). */
  boundsTails?: 'extend';
  /** Private runs only (the moments carry noise): how the stratum spreads were read (`spreadEstimate`). */
  spreadEstimate?: 'plug-in' | 'scale-prior';
}

type Resolved<K extends keyof SettingsShape> = z.output<SettingsShape[K]>;
type DefaultedKey = { [K in keyof SettingsShape]: undefined extends Resolved<K> ? never : K }[keyof SettingsShape];

/** Defaults, read off the schema, plus the task-dependent ones and the engine constants that are not options. */
export const DEFAULTS = {
  ...(Object.fromEntries(
    Object.entries(SETTINGS).flatMap(([key, { schema }]) => {
      const parsed = (schema as z.ZodType).safeParse(undefined);
      return parsed.success && parsed.data !== undefined ? [[key, parsed.data]] : [];
    }),
  ) as { [K in DefaultedKey]: Resolved<K> }),
  /** Per task: Cox fits respond more strongly to moving rows than trees do (support diverged at 0.5). */
  learningRate: { classification: 0.5, survival: 0.2 },
  /**
   * Per task, K: the DP noise per coordinate of a step's estimate does not depend on K (the clip norm
   * grows as √K), only the search's own variance falls as 1/K, so K buys precision with time. Survival
   * runs are cheap (a few seconds at 50 rows), and their loss was short of directions (docs/RESULTS.md,
   * "Session 36: more directions for survival tables", rule Q). Classification keeps 16: on a wide
   * table (physionet2012) 64 cost 3.7× the time for no gain, and on pima and wdbc they lowered CART
   * and logistic regression on fresh seeds (rule R, not adopted).
   */
  directions: { classification: 16, survival: 64 },
  /**
   * Per task, the clip norm as a fraction of its worst case √K · (max loss): the worst case sizes the
   * noise for a record whose loss jumps by the bound along every direction, which almost none do.
   * Survival's bound −log pMin is further from a typical loss difference than the Brier bound (a pure
   * leaf on the wrong side reaches it), hence the smaller fraction (docs/RESULTS.md, "Session 26: the
   * clip norm").
   */
  clipScale: { classification: 0.25, survival: 0.125 },
  /** Share of the clip norm reserved for the private loss channel (progress and trace). */
  lossChannelShare: 0.25,
};

/**
 * Tables wider than this are focused by default (`featureFocus`): 30, because the other defaults were
 * validated on tables of up to 30 features; on physionet2012 (116) the focus met the rule fixed before
 * a grid on fresh seeds (docs/RESULTS.md, "Session 25: focusing the steps on a few features").
 */
export const DEFAULT_FOCUS_ABOVE = 30;

/**
 * The default focus for m synthetic rows: on a table wider than DEFAULT_FOCUS_ABOVE features, the
 * min(30, ⌊m/2⌋) features of the strongest DP evidence, so that the steps move at most half as many
 * features as the table has rows (docs/RESULTS.md, "Session 31", rules E and F).
 */
export function defaultFeatureFocus(rows: number): number {
  return Math.min(DEFAULT_FOCUS_ABOVE, Math.max(1, Math.floor(rows / 2)));
}

/**
 * The default number of cross-class twin pairs for m rows (`twins.ts`): ⌊m/10⌋ for classification,
 * so that a fifth of the rows sit in pairs (2 for 20 rows); none for survival (docs/RESULTS.md,
 * "Session 38", rules T and T2).
 */
export function defaultTwins(task: Task, rows: number): number {
  return task === 'classification' ? Math.floor(rows / 10) : 0;
}

/** The options with every default filled in and checked: the value the later steps read. */
export type RunSettings = Omit<z.output<typeof settingsSchema>, 'learners' | 'learningRate' | 'directions' | 'clipScale' | 'featureFocus' | 'preprocessingShare' | 'bounds' | 'twins'> & {
  task: Task;
  learners: LearnerRecipe[];
  /** False for ε = ∞: statistics are exact, nothing is clipped or noised. */
  isPrivate: boolean;
  /** The learning rate asked for (it may be capped by the noise drift later). */
  learningRate: number;
  directions: number;
  clipScale: number;
  /** The features the steps move on a focused table (`defaultFeatureFocus` of m when not given), or off. */
  featureFocus: 'off' | number;
  /** The focus acts on tables of more features than this: k when given, DEFAULT_FOCUS_ABOVE by default. */
  featureFocusAbove: number;
  preprocessingShare: number;
  bounds: Record<string, [number, number]>;
  /** Cross-class twin pairs asked for (`defaultTwins` of the task and m when not given). */
  twins: number;
  reasonsNotPrivate: string[];
};

/** Step 1 of the pipeline: defaults, validation and learners (throws OptionError before anything is spent). */
export function resolveSettings(options: CondenseOptions): RunSettings {
  const task = options.train.card.task;
  const { train: _train, inputFingerprint: _fingerprint, acceptDraftCard, onInvalid: _onInvalid, onProgress: _progress, signal: _signal, ...given } = options;
  const s = parseSettings(given);
  if (task === 'survival' && s.twins !== undefined && s.twins > 0) throw new OptionError('twins', 'condense: twins tie rows of the two classes, so they are for classification only');
  if (task === 'survival' && s.rows < 6) throw new OptionError('rows', 'condense: survival condensation needs at least 6 rows (2 per risk group)');
  // Unknown learners or parameters fail here, before any privacy is spent.
  const learners = resolveLearners(task, s.learners);
  const isPrivate = Number.isFinite(s.epsilon);
  const reasonsNotPrivate: string[] = [];
  if (!isPrivate) reasonsNotPrivate.push('epsilon = Infinity: non-private condensation (no noise, no clipping)');
  if (isPrivate && s.epsilon > MEANINGFUL_EPSILON_CEILING) {
    reasonsNotPrivate.push(`ε = ${s.epsilon} is above ${MEANINGFUL_EPSILON_CEILING}: a guarantee this weak (any output up to e^ε times likelier with a patient than without) protects no one`);
  }
  if (s.seed !== undefined) reasonsNotPrivate.push('seeded (reproducible) random numbers instead of a cryptographically secure source');
  if (s.initialisation === 'real-rows') reasonsNotPrivate.push('initialised by copying real rows');
  if (options.train.card.draft) {
    if (!acceptDraftCard) {
      throw new OptionError('acceptDraftCard', 'condense: the card is a draft ("draft": true): its category levels were read off the data, so it is not public knowledge. Review it and remove the flag, or accept a non-private release explicitly');
    }
    reasonsNotPrivate.push('the card is an unreviewed draft (its category levels were read off the data)');
  }
  return {
    ...s,
    task,
    learners,
    isPrivate,
    learningRate: s.learningRate ?? DEFAULTS.learningRate[task],
    directions: s.directions ?? DEFAULTS.directions[task],
    clipScale: s.clipScale ?? DEFAULTS.clipScale[task],
    featureFocus: s.featureFocus ?? defaultFeatureFocus(s.rows),
    twins: s.twins ?? defaultTwins(task, s.rows),
    featureFocusAbove: s.featureFocus === undefined ? DEFAULT_FOCUS_ABOVE : s.featureFocus === 'off' ? Infinity : s.featureFocus,
    // The one default split (`budgetSplit.ts`), the same the CLI's budget check uses.
    preprocessingShare: s.preprocessingShare ?? defaultPreprocessingShare(options.train.card, { ...s, bounds: s.bounds ?? {} }),
    optimiseTimes: task === 'survival' && s.optimiseTimes,
    bounds: s.bounds ?? {},
    reasonsNotPrivate,
  };
}

/**
 * The settings checked against the schema, defaults filled in (no data needed: a front end calls it
 * before loading anything). Throws an `OptionError` naming the first setting at fault.
 */
export function parseSettings(given: CondenseSettings): z.output<typeof settingsSchema> {
  const parsed = settingsSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? 'options');
    const value = (given as Record<string, unknown>)[key];
    const hint = key === 'epsilon' ? '; use Infinity for a non-private run' : '';
    throw new OptionError(key, `condense: ${key} ${describeIssue(issue)} (got ${JSON.stringify(value) ?? String(value)})${hint}`);
  }
  const s = parsed.data;
  if (s.preprocessingShare !== undefined && !(s.preprocessingShare > 0 && (s.preprocessingShare < 1 || (s.preprocessingShare === 1 && s.steps === 0)))) {
    throw new OptionError('preprocessingShare', 'condense: preprocessingShare must be in (0, 1), or exactly 1 when steps = 0');
  }
  // The focused query takes the kept features' exact sums from the all-feature query's; a joint clip
  // couples the features (each record's scale depends on all of them), so the two do not mix: asked
  // for together they are refused; by default the focused measurement is simply not taken with the clip.
  if (given.focusedMomentsShare !== undefined && s.focusedMomentsShare > 0 && s.momentsClip !== undefined) {
    throw new OptionError('focusedMomentsShare', 'condense: focusedMomentsShare cannot be combined with momentsClip (the joint clip couples the features the focused query separates)');
  }
  if (s.initialisation === 'mst') {
    const total = (s.preprocessingShare ?? mstStartPreprocessingShare(s)) + s.mstShare;
    if (!(total < 1 || (total <= 1 + 1e-12 && s.steps === 0))) {
      throw new OptionError('mstShare', 'condense: preprocessingShare + mstShare must be below 1 (the steps need the rest), or 1 when steps = 0');
    }
  }
  return s;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be an integer' : `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Learner recipes, validated now (unknown names or parameters fail before any privacy is spent). */
function resolveLearners(task: Task, choices: readonly LearnerChoice[] | undefined): LearnerRecipe[] {
  const list = choices && choices.length ? choices : DEFAULT_LEARNERS[task];
  return list.map((choice) => {
    const { name, params } = typeof choice === 'string' ? { name: choice, params: {} } : { name: choice.name, params: choice.params ?? {} };
    try {
      const spec = getLearnerSpec(name);
      if (spec.task !== task) throw new OptionError('learners', `learner "${name}" is for ${spec.task} data, but the dataset is ${task}`);
      const learner = createLearner(name, params, new SeededRng(0));
      return { name, task, params: { ...learner.params } };
    } catch (error) {
      if (error instanceof ModelInputError) throw new OptionError('learners', error.message);
      throw error;
    }
  });
}

