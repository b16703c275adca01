/**
 * Survival metrics: Kaplan–Meier, Harrell's and Uno's concordance, the IPCW (integrated) Brier
 * score, and the censored negative log-likelihood that the condensation objective uses per record.
 *
 * Conventions shared by every function here:
 * - `time[i] ≥ 0` (finite) is the follow-up time (0 = an event or censoring on the day of entry), `event[i]` is 1 for an observed event and 0 for
 *   censoring at `time[i]`; optional `weights[i] ≥ 0` are case weights.
 * - When an event and a censoring share a time, the event is taken to happen first: the censored
 *   subject is still at risk at that time and counts as "surviving longer" (R `survival` and
 *   Kaplan–Meier convention).
 * - A survival curve evaluated "at t" is the right-continuous step function: it includes the drop
 *   at t itself.
 *
 * Bad input (length mismatch, non-finite or negative times, events not 0/1, negative weights, NaN
 * risks) throws a RangeError naming the argument; metrics do not silently skip records.
 */
import { fenwickAdd, fenwickSumBelow } from '../core/fenwick.js';
import { countAtOrBefore, countBefore } from '../core/search.js';

// ---------------------------------------------------------------------------------------------
// Input checks and small step-function helpers
// ---------------------------------------------------------------------------------------------

function checkSurvivalData(fn: string, time: Float64Array, event: Uint8Array, weights?: Float64Array): void {
  const n = time.length;
  if (event.length !== n) throw new RangeError(`${fn}: event has ${event.length} values, time has ${n}`);
  if (weights && weights.length !== n) throw new RangeError(`${fn}: weights has ${weights.length} values, time has ${n}`);
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`${fn}: time[${i}] = ${t} is not a finite non-negative number`);
    if (event[i] > 1) throw new RangeError(`${fn}: event[${i}] = ${event[i]} is not 0 or 1`);
    if (weights) {
      const w = weights[i];
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`${fn}: weights[${i}] = ${w} is not a finite non-negative number`);
    }
  }
}

function checkAscendingTimes(fn: string, times: Float64Array): void {
  for (let k = 0; k < times.length; k++) {
    if (!Number.isFinite(times[k])) throw new RangeError(`${fn}: times[${k}] = ${times[k]} is not finite`);
    if (k > 0 && !(times[k] > times[k - 1])) throw new RangeError(`${fn}: times must be strictly ascending (times[${k}] = ${times[k]})`);
  }
}

/** Indices 0..n-1 sorted by `key` ascending. */
function argsortAscending(key: Float64Array): Int32Array {
  const order = new Int32Array(key.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => key[a] - key[b]);
  return order;
}

/**
 * Value at each of `at` of the right-continuous step function that equals `initial` before
 * `stepTimes[0]` and `stepValues[k]` on [stepTimes[k], stepTimes[k+1]). Both `stepTimes` and `at`
 * need not be related; `stepTimes` must be ascending. O(log m) per point.
 */
export function stepFunctionAt(
  stepTimes: Float64Array,
  stepValues: Float64Array,
  at: ArrayLike<number>,
  initial: number,
  out: Float64Array = new Float64Array(at.length),
): Float64Array {
  for (let q = 0; q < at.length; q++) {
    const k = countAtOrBefore(stepTimes, at[q]);
    out[q] = k === 0 ? initial : stepValues[k - 1];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kaplan–Meier
// ---------------------------------------------------------------------------------------------

/** A Kaplan–Meier curve, stored only at the times where it drops. */
export interface KaplanMeierCurve {
  /** Distinct times with a positive (weighted) number of events, ascending. */
  readonly times: Float64Array;
  /** S(t) at each of `times`, i.e. just after the drop (right-continuous). */
  readonly survival: Float64Array;
  /** Weighted number at risk (time ≥ t) at each of `times`. */
  readonly atRisk: Float64Array;
  /** Weighted number of events at each of `times`. */
  readonly events: Float64Array;
}

/**
 * Product-limit estimator S(t) = Π_{t_k ≤ t} (1 − d_k / Y_k), with weighted d_k and Y_k
 * (R `survfit(Surv(time, event) ~ 1, weights = w)`). Censored subjects at t_k are in Y_k.
 */
export function kaplanMeier(time: Float64Array, event: Uint8Array, weights?: Float64Array): KaplanMeierCurve {
  checkSurvivalData('kaplanMeier', time, event, weights);
  return productLimit(time, event, weights, false);
}

/**
 * Kaplan–Meier of a histogram of event and censoring times (the DP histograms a survival run
 * releases): each bin's counts as weighted records at the bin's upper edge, negative counts (noise)
 * as 0. Undefined when no bin has an event. The report and the browser app draw it beside the
 * synthetic table's curve.
 */
export function kaplanMeierOfHistogram(h: { edges: ArrayLike<number>; events: ArrayLike<number>; censored: ArrayLike<number> }): KaplanMeierCurve | undefined {
  const time: number[] = [];
  const event: number[] = [];
  const weight: number[] = [];
  for (let b = 0; b < h.events.length; b++) {
    for (const [count, kind] of [[h.events[b], 1], [h.censored[b], 0]]) {
      if (count > 0) time.push(h.edges[b + 1]), event.push(kind), weight.push(count);
    }
  }
  if (!event.includes(1)) return undefined;
  return kaplanMeier(Float64Array.from(time), Uint8Array.from(event), Float64Array.from(weight));
}

/** Kaplan–Meier survival at `times` (right-continuous; 1 before the first event). */
export function kaplanMeierAt(curve: KaplanMeierCurve, times: ArrayLike<number>, out?: Float64Array): Float64Array {
  return stepFunctionAt(curve.times, curve.survival, times, 1, out);
}

/**
 * Shared product-limit kernel. `reverse = false`: the event survival curve. `reverse = true`: the
 * censoring survival curve G(t) = P(C > t), whose "events" are the censorings; because events come
 * first at tied times, subjects with an event at t are no longer at risk of being censored at t, so
 * the censoring hazard at t is c(t) / (Y(t) − d(t)).
 */
function productLimit(time: Float64Array, event: Uint8Array, weights: Float64Array | undefined, reverse: boolean): KaplanMeierCurve {
  const n = time.length;
  const order = argsortAscending(time);
  let atRisk = 0;
  for (let i = 0; i < n; i++) atRisk += weights ? weights[i] : 1;
  const times: number[] = [], survival: number[] = [], risk: number[] = [], jumps: number[] = [];
  let s = 1;
  let i = 0;
  while (i < n) {
    const t = time[order[i]];
    let deaths = 0, censored = 0, j = i;
    while (j < n && time[order[j]] === t) {
      const r = order[j];
      const w = weights ? weights[r] : 1;
      if (event[r] === 1) deaths += w;
      else censored += w;
      j++;
    }
    const jump = reverse ? censored : deaths;
    const exposed = reverse ? atRisk - deaths : atRisk;
    if (jump > 0 && exposed > 0) {
      s *= 1 - jump / exposed;
      times.push(t);
      survival.push(s);
      risk.push(exposed);
      jumps.push(jump);
    }
    atRisk -= deaths + censored;
    i = j;
  }
  return {
    times: Float64Array.from(times),
    survival: Float64Array.from(survival),
    atRisk: Float64Array.from(risk),
    events: Float64Array.from(jumps),
  };
}

/**
 * Kaplan–Meier estimate of the censoring survival G(t) = P(C > t) (censorings are the "events";
 * see `productLimit` for ties). Used for inverse-probability-of-censoring weights.
 */
export function censoringKaplanMeier(time: Float64Array, event: Uint8Array, weights?: Float64Array): KaplanMeierCurve {
  checkSurvivalData('censoringKaplanMeier', time, event, weights);
  return productLimit(time, event, weights, true);
}

/** Left limit S(t−) of a product-limit curve: the value after the last drop strictly before t. */
function curveBefore(curve: KaplanMeierCurve, t: number): number {
  const k = countBefore(curve.times, t);
  return k === 0 ? 1 : curve.survival[k - 1];
}

function curveAt(curve: KaplanMeierCurve, t: number): number {
  const k = countAtOrBefore(curve.times, t);
  return k === 0 ? 1 : curve.survival[k - 1];
}

// ---------------------------------------------------------------------------------------------
// Concordance
// ---------------------------------------------------------------------------------------------

/**
 * Pair counts in the layout of R `survival::concordance` (`count`): among comparable pairs, the
 * earlier subject (an event) has higher risk (concordant), lower risk (discordant) or equal risk
 * (tiedX); pairs of events at the same time are not comparable and are counted as tiedY (different
 * risk) or tiedXY (equal risk). Pairs of censored subjects, or where the earlier one is censored,
 * are not counted at all.
 */
export interface ConcordancePairs {
  concordant: number;
  discordant: number;
  tiedX: number;
  tiedY: number;
  tiedXY: number;
}

export interface ConcordanceResult {
  /** (concordant + tiedX / 2) / (concordant + discordant + tiedX); NaN when no pair is comparable. */
  cIndex: number;
  pairs: ConcordancePairs;
}

/**
 * Weighted pair counts in O(n log n): walk the subjects from the latest time to the earliest,
 * keeping the weights of everyone already seen (the "later" subjects) in a Fenwick tree indexed by
 * risk rank. For each tie group of times, censored members go into the tree before the events of
 * the group are queried (censored at t counts as later than an event at t); events of the group go
 * in afterwards, so events tied in time never face each other as comparable.
 *
 * A pair (i earlier event, j later) has weight earlierWeight[i] · laterWeight[j]; a pair of events
 * tied in time has the symmetrised weight (a_i b_j + a_j b_i) / 2.
 */
function concordanceCounts(
  time: Float64Array,
  event: Uint8Array,
  risk: Float64Array,
  earlierWeight: Float64Array,
  laterWeight: Float64Array,
): ConcordancePairs {
  const n = time.length;
  const riskOrder = argsortAscending(risk);
  const riskRank = new Int32Array(n);
  let nRanks = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0 && risk[riskOrder[k]] !== risk[riskOrder[k - 1]]) nRanks++;
    riskRank[riskOrder[k]] = nRanks;
  }
  nRanks++;
  const timeOrder = argsortAscending(time);
  const tree = new Float64Array(nRanks + 1);
  let inTree = 0;
  let concordant = 0, discordant = 0, tiedX = 0, tiedY = 0, tiedXY = 0;
  const groupEvents: number[] = [];
  let end = n;
  while (end > 0) {
    const t = time[timeOrder[end - 1]];
    let start = end - 1;
    while (start > 0 && time[timeOrder[start - 1]] === t) start--;
    groupEvents.length = 0;
    for (let k = start; k < end; k++) {
      const s = timeOrder[k];
      if (event[s] === 1) groupEvents.push(s);
      else if (laterWeight[s] !== 0) {
        fenwickAdd(tree, nRanks, riskRank[s], laterWeight[s]);
        inTree += laterWeight[s];
      }
    }
    for (const s of groupEvents) {
      const a = earlierWeight[s];
      if (a === 0) continue;
      const below = fenwickSumBelow(tree, riskRank[s]);
      const atOrBelow = fenwickSumBelow(tree, riskRank[s] + 1);
      concordant += a * below;
      tiedX += a * (atOrBelow - below);
      discordant += a * (inTree - atOrBelow);
    }
    if (groupEvents.length > 1) {
      // Events tied in time: ((Σa)(Σb) − Σ a_i b_i) / 2 over all pairs, and the same within runs of
      // equal risk for tiedXY.
      groupEvents.sort((p, q) => riskRank[p] - riskRank[q]);
      let sumA = 0, sumB = 0, sumAB = 0, runA = 0, runB = 0, runAB = 0, pairsXY = 0;
      for (let k = 0; k < groupEvents.length; k++) {
        const s = groupEvents[k];
        if (k > 0 && riskRank[s] !== riskRank[groupEvents[k - 1]]) {
          pairsXY += (runA * runB - runAB) / 2;
          runA = runB = runAB = 0;
        }
        const a = earlierWeight[s], b = laterWeight[s];
        sumA += a; sumB += b; sumAB += a * b;
        runA += a; runB += b; runAB += a * b;
      }
      pairsXY += (runA * runB - runAB) / 2;
      tiedXY += pairsXY;
      tiedY += (sumA * sumB - sumAB) / 2 - pairsXY;
    }
    for (const s of groupEvents) {
      if (laterWeight[s] !== 0) {
        fenwickAdd(tree, nRanks, riskRank[s], laterWeight[s]);
        inTree += laterWeight[s];
      }
    }
    end = start;
  }
  return { concordant, discordant, tiedX, tiedY, tiedXY };
}

function checkRisk(fn: string, risk: Float64Array, n: number): void {
  if (risk.length !== n) throw new RangeError(`${fn}: risk has ${risk.length} values, time has ${n}`);
  for (let i = 0; i < n; i++) if (Number.isNaN(risk[i])) throw new RangeError(`${fn}: risk[${i}] is NaN`);
}

function cIndexOf(pairs: ConcordancePairs): number {
  const comparable = pairs.concordant + pairs.discordant + pairs.tiedX;
  return comparable > 0 ? (pairs.concordant + pairs.tiedX / 2) / comparable : NaN;
}

/**
 * Harrell's concordance index with R `survival::concordance` conventions (survival 3.x): higher
 * risk means an earlier event; a pair is comparable when the earlier time is an event, or when both
 * times are equal and exactly one is an event (the censored one counts as later); tied risks count
 * 1/2; events tied in time are not comparable (reported as tiedY / tiedXY). With case weights a
 * pair counts w_i·w_j. O(n log n).
 */
export function harrellC(time: Float64Array, event: Uint8Array, risk: Float64Array, weights?: Float64Array): ConcordanceResult {
  checkSurvivalData('harrellC', time, event, weights);
  checkRisk('harrellC', risk, time.length);
  const w = weights ?? new Float64Array(time.length).fill(1);
  const pairs = concordanceCounts(time, event, risk, w, w);
  return { cIndex: cIndexOf(pairs), pairs };
}

export interface UnoOptions {
  /** Truncation time τ: only events with time < τ are "earlier" subjects. Default: no truncation. */
  tau?: number;
  /**
   * Data for the censoring Kaplan–Meier G (usually the training set, as in Uno et al. 2011 and
   * scikit-survival). Default: the evaluated data itself.
   */
  censoringTime?: Float64Array;
  censoringEvent?: Uint8Array;
}

/**
 * Uno's concordance (Uno et al., Stat Med 2011): Harrell's pairs with each earlier event i weighted
 * by 1 / G(T_i−)², G the Kaplan–Meier censoring survival, restricted to T_i < τ. Comparability and
 * risk ties follow `harrellC`. The left limit G(T_i−) = P(C ≥ T_i) is the probability that subject
 * i was still uncensored when its event was observed (the same weight as the Brier score's). The
 * returned pair counts are the IPCW-weighted sums.
 */
export function unoC(time: Float64Array, event: Uint8Array, risk: Float64Array, options: UnoOptions = {}): ConcordanceResult {
  checkSurvivalData('unoC', time, event);
  checkRisk('unoC', risk, time.length);
  const censoring = censoringCurve('unoC', time, event, options.censoringTime, options.censoringEvent);
  const tau = options.tau ?? Infinity;
  const n = time.length;
  const earlier = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (event[i] !== 1 || !(time[i] < tau)) continue;
    const g = curveBefore(censoring, time[i]);
    if (!(g > 0)) throw new RangeError(`unoC: censoring survival G(${time[i]}−) is 0; choose tau before the last follow-up`);
    earlier[i] = 1 / (g * g);
  }
  const pairs = concordanceCounts(time, event, risk, earlier, new Float64Array(n).fill(1));
  return { cIndex: cIndexOf(pairs), pairs };
}

function censoringCurve(fn: string, time: Float64Array, event: Uint8Array, cTime?: Float64Array, cEvent?: Uint8Array): KaplanMeierCurve {
  if ((cTime === undefined) !== (cEvent === undefined)) throw new RangeError(`${fn}: give both censoringTime and censoringEvent, or neither`);
  if (cTime && cEvent) return censoringKaplanMeier(cTime, cEvent);
  return productLimit(time, event, undefined, true);
}

// ---------------------------------------------------------------------------------------------
// Brier score
// ---------------------------------------------------------------------------------------------

export interface BrierOptions {
  /** Data for the censoring Kaplan–Meier G (default: the evaluated data itself). */
  censoringTime?: Float64Array;
  censoringEvent?: Uint8Array;
  /** Case weights of the evaluated records (default 1). */
  weights?: Float64Array;
}

/**
 * Time-dependent Brier score with inverse-probability-of-censoring weights (Graf et al., Stat Med
 * 1999): at each t,
 *   BS(t) = Σ_i w_i [ S_i(t)² · 1(T_i ≤ t, δ_i = 1) / G(T_i−) + (1 − S_i(t))² · 1(T_i > t) / G(t) ] / Σ_i w_i
 * where G is the Kaplan–Meier censoring survival; subjects censored at or before t contribute 0.
 *
 * `survivalAtTimes` is row-major n × K: `survivalAtTimes[i * K + k]` = S_i(times[k]); `times`
 * strictly ascending. Throws if G(t) = 0 at a requested time (beyond the last follow-up).
 */
export function brierScore(
  time: Float64Array,
  event: Uint8Array,
  survivalAtTimes: Float64Array,
  times: Float64Array,
  options: BrierOptions = {},
): Float64Array {
  checkSurvivalData('brierScore', time, event, options.weights);
  checkAscendingTimes('brierScore', times);
  const n = time.length, nTimes = times.length;
  if (survivalAtTimes.length !== n * nTimes) {
    throw new RangeError(`brierScore: survivalAtTimes has ${survivalAtTimes.length} values, expected ${n} x ${nTimes}`);
  }
  const censoring = censoringCurve('brierScore', time, event, options.censoringTime, options.censoringEvent);
  const weights = options.weights;
  let totalWeight = 0;
  const eventWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    totalWeight += w;
    if (event[i] === 1) {
      const g = curveBefore(censoring, time[i]);
      eventWeight[i] = g > 0 ? w / g : Infinity;
    }
  }
  if (!(totalWeight > 0)) throw new RangeError('brierScore: no records with positive weight');
  const out: Float64Array = new Float64Array(nTimes);
  for (let k = 0; k < nTimes; k++) {
    const t = times[k];
    const gt = curveAt(censoring, t);
    if (!(gt > 0)) throw new RangeError(`brierScore: censoring survival G(${t}) is 0; choose times before the last follow-up`);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const s = survivalAtTimes[i * nTimes + k];
      if (time[i] > t) {
        const w = weights ? weights[i] : 1;
        sum += (w * (1 - s) * (1 - s)) / gt;
      } else if (event[i] === 1 && eventWeight[i] !== 0) {
        sum += eventWeight[i] * s * s;
      }
    }
    out[k] = sum / totalWeight;
  }
  return out;
}

export interface IntegratedBrierResult {
  /** ∫ BS(t) dt / (t_K − t_1) by the trapezoid rule over `times`. */
  integratedBrier: number;
  brier: Float64Array;
}

/**
 * Integrated Brier score: the trapezoid rule over the given time grid divided by its span
 * (the scikit-survival `integrated_brier_score` convention), so the value depends on the grid;
 * pass a fine grid inside the follow-up range (at least two times).
 */
export function integratedBrierScore(
  time: Float64Array,
  event: Uint8Array,
  survivalAtTimes: Float64Array,
  times: Float64Array,
  options: BrierOptions = {},
): IntegratedBrierResult {
  if (times.length < 2) throw new RangeError('integratedBrierScore: needs at least two times');
  const brier = brierScore(time, event, survivalAtTimes, times, options);
  let area = 0;
  for (let k = 1; k < times.length; k++) area += ((brier[k] + brier[k - 1]) / 2) * (times[k] - times[k - 1]);
  return { integratedBrier: area / (times[times.length - 1] - times[0]), brier };
}

// ---------------------------------------------------------------------------------------------
// Censored negative log-likelihood on a grid (the condensation objective's per-record loss)
// ---------------------------------------------------------------------------------------------

/**
 * Per-record censored negative log-likelihood of predicted survival curves on a time grid.
 *
 * Grid conventions: `grid` = t_1 < … < t_K (all > 0); `curves` is row-major n × K with
 * `curves[i * K + k]` = S_i(t_{k+1}) (0-based k). The intervals are (t_0, t_1], (t_1, t_2], …,
 * (t_{K−1}, t_K], (t_K, ∞) with t_0 = 0, S(t_0) = 1 (the first interval starts at 0) and
 * S(∞) = 0 (the last interval is open, so the curve's remaining mass S(t_K) is its probability).
 * - event at T in (t_{k−1}, t_k]: loss = −log(S(t_{k−1}) − S(t_k)); T > t_K: loss = −log S(t_K);
 * - censored at T: loss = −log S(t_j) with t_j the last grid point ≤ T (S = 1 if T < t_1), i.e. the
 *   subject is known to survive the whole grid intervals before T.
 * Time 0: an event at T = 0 counts in the first interval (as if [0, t_1]: the curve's first drop),
 * and a record censored at 0 has loss 0 — it says nothing beyond entry, just as it adds nothing
 * to R's Kaplan–Meier or Cox likelihood except a place in the risk set at time 0.
 * Probabilities are clipped to [pMin, 1] before the log (which also bounds the loss by −log pMin, as
 * the privacy clipping argument needs); non-monotone curves therefore get the loss of pMin.
 * Writes `out[i]` for every record and returns `out`.
 */
export function survivalNllPerRecord(
  curves: Float64Array,
  grid: Float64Array,
  time: Float64Array,
  event: Uint8Array,
  pMin: number,
  out: Float64Array = new Float64Array(time.length),
): Float64Array {
  const n = time.length, nGrid = grid.length;
  if (curves.length !== n * nGrid) throw new RangeError(`survivalNllPerRecord: curves has ${curves.length} values, expected ${n} x ${nGrid}`);
  if (event.length !== n || out.length < n) throw new RangeError('survivalNllPerRecord: time, event and out lengths differ');
  if (!(pMin > 0 && pMin <= 1)) throw new RangeError(`survivalNllPerRecord: pMin = ${pMin} must be in (0, 1]`);
  for (let i = 0; i < n; i++) {
    const row = i * nGrid;
    const t = time[i];
    let p: number;
    if (event[i] === 1) {
      const k = countBefore(grid, t); // 0-based index of the first grid point ≥ t (nGrid if none)
      const before = k === 0 ? 1 : curves[row + k - 1];
      const after = k === nGrid ? 0 : curves[row + k];
      p = before - after;
    } else {
      const j = countAtOrBefore(grid, t);
      p = j === 0 ? 1 : curves[row + j - 1];
    }
    if (!(p >= pMin)) p = pMin; // also catches NaN
    else if (p > 1) p = 1;
    out[i] = -Math.log(p);
  }
  return out;
}
