/**
 * `focusedMomentsShare` (docs/RESULTS.md, "Session 26: a focused second moments measurement for wide
 * tables"): when the feature focus acts, a share of the stratum moments' ρ buys a second query over
 * the k kept features only (sensitivity of k features instead of d), combined with the first by
 * inverse-variance weighting. The run's ε is unchanged; off (0) and where it does not act (tables of
 * at most k features, the MST start, ε = ∞) the run is as before. Default 0.5 (session 26's rule).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { formatTableCsv } from '../../src/data/format.js';
import { condense } from '../../src/condense/condense.js';
import { planBudget, takesFocusedMoments } from '../../src/condense/budget.js';
import { keptFeatures } from '../../src/condense/featureFocus.js';
import { combineFocusedMoments, poolMoments, privatePreprocessing, StratumMomentsQuery, type NoisyQueryContext } from '../../src/condense/privateStatistics.js';
import { OptionError, resolveSettings } from '../../src/condense/settings.js';
import { newTask } from '../../src/condense/task.js';
import { settingsFromFlags } from '../../src/cli/settingsFlags.js';
import { DataAccessScope, MECHANISM } from '../../src/privacy/dataAccess.js';
import { combineGaussianCoordinates, perCoordinate } from '../../src/privacy/measurements.js';
import { PrivacyLedger } from '../../src/privacy/index.js';
import { EXTENDED_ORDERS } from '../../src/privacy/analysis/rdp.js';
import { dataset } from './helpers.js';

// Every noisy release passes through addGaussianNoise: the double records (length, noise std) of each,
// and can replace one release's noise by none (an exact focused measurement) to show its effect.
const noise = vi.hoisted(() => ({ calls: [] as { length: number; std: number }[], exactLength: -1 }));
vi.mock('../../src/privacy/random.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/privacy/random.js')>();
  return {
    ...actual,
    addGaussianNoise(values: Float64Array, sigma: number, rng: Parameters<typeof actual.addGaussianNoise>[2]) {
      noise.calls.push({ length: values.length, std: sigma });
      const before = values.slice();
      actual.addGaussianNoise(values, sigma, rng); // the generator advances either way
      if (values.length === noise.exactLength) values.set(before);
      return values;
    },
  };
});
afterEach(() => {
  noise.calls = [];
  noise.exactLength = -1;
});

// A focus of 30 features (the default's cap; at 10 rows the default keeps 5).
const RUN = { rows: 10, epsilon: 3, steps: 4, directions: 2, batchSize: 64, seed: 3, featureFocus: 30 };
const SHARE = 0.5;
/** Squared-norm bounds of one feature's moment part (`momentPart`): numeric 1 + w₂² + w_p², binary 1 + w_p², categorical 1. */
const PART = { numeric: 1 + 0.25 + 0.25, integer: 1 + 0.25 + 0.25, binary: 1 + 0.25, categorical: 1 } as const;
const privateContext = (seed: number): NoisyQueryContext => ({ isPrivate: true, ledger: new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 }), noiseRng: new SeededRng(seed), scope: new DataAccessScope() });

describe('the budget plan', () => {
  it('splits the moments’ ρ between the two queries and leaves the preprocessing’s total as it was (by hand)', async () => {
    const { train } = await dataset('physionet2012');
    for (const share of [SHARE, 0.2]) {
      const settings = resolveSettings({ train, ...RUN, focusedMomentsShare: share });
      expect(takesFocusedMoments(settings, train.card)).toBe(true);
      const plan = planBudget(settings, train.card);
      const off = planBudget(resolveSettings({ train, ...RUN, focusedMomentsShare: 0 }), train.card);
      const sigma = off.preprocessingNoiseMultiplier;
      expect(plan.preprocessingNoiseMultiplier).toBe(sigma);
      expect(off.momentsNoiseMultiplier).toBe(sigma);
      expect(off.focusedMoments).toBeUndefined();
      const s1 = plan.momentsNoiseMultiplier;
      const s2 = plan.focusedMoments!.noiseMultiplier;
      expect(plan.focusedMoments).toMatchObject({ share, features: 30 });
      // ρ = 1/(2σ²) per unit of sensitivity: (1 − s)ρ to the first query, sρ to the focused one.
      expect(1 / (2 * s1 * s1)).toBeCloseTo((1 - share) / (2 * sigma * sigma), 12);
      expect(1 / (2 * s2 * s2)).toBeCloseTo(share / (2 * sigma * sigma), 12);
      // Together never more than the one query they replace (rounded toward privacy).
      expect(1 / (s1 * s1) + 1 / (s2 * s2)).toBeLessThanOrEqual(1 / (sigma * sigma));
      expect(1 / (s1 * s1) + 1 / (s2 * s2)).toBeGreaterThan((1 - 1e-10) / (sigma * sigma));
    }
  });

  it('is taken only by a private DP-moment start whose focus acts, without the joint clip', async () => {
    const { train } = await dataset('physionet2012');
    const { train: pima } = await dataset('pima');
    const on = (extra: object, table = train) => takesFocusedMoments(resolveSettings({ train: table, ...RUN, focusedMomentsShare: SHARE, ...extra }), table.card);
    expect(on({})).toBe(true);
    expect(on({ featureFocus: 'off' })).toBe(false);
    expect(on({ featureFocus: 116 })).toBe(false);
    expect(on({ featureFocus: 115 })).toBe(true);
    expect(on({ epsilon: Infinity })).toBe(false);
    expect(on({ initialisation: 'mst' })).toBe(false);
    expect(on({ initialisation: 'uniform' })).toBe(false);
    expect(on({}, pima)).toBe(false); // 8 features ≤ 30
    expect(on({ featureFocus: 3 }, pima)).toBe(true);
    expect(on({ focusedMomentsShare: 0 })).toBe(false);
    // The default: on where the focus acts.
    expect(takesFocusedMoments(resolveSettings({ train, ...RUN }), train.card)).toBe(true);
    expect(takesFocusedMoments(resolveSettings({ train: pima, ...RUN }), pima.card)).toBe(false);
  });

  it('the option: default 0.5, a share in [0, 0.95], refused with an explicit momentsClip (by default not taken with it); a CLI flag', async () => {
    const { train } = await dataset('physionet2012');
    expect(resolveSettings({ train, ...RUN }).focusedMomentsShare).toBe(0.5);
    expect(takesFocusedMoments(resolveSettings({ train, ...RUN, momentsClip: 0.7 }), train.card)).toBe(false);
    expect(() => resolveSettings({ train, ...RUN, focusedMomentsShare: 1 })).toThrow(OptionError);
    expect(() => resolveSettings({ train, ...RUN, focusedMomentsShare: -0.1 })).toThrow(OptionError);
    expect(() => resolveSettings({ train, ...RUN, focusedMomentsShare: 0.5, momentsClip: 0.7 })).toThrow(/momentsClip/);
    expect(resolveSettings({ train, ...RUN, focusedMomentsShare: 0, momentsClip: 0.7 }).momentsClip).toBe(0.7);
    expect(settingsFromFlags({ focusedMomentsShare: '0.5' })).toEqual({ focusedMomentsShare: 0.5 });
  });
});

describe('the focused query', () => {
  async function physionetQuery() {
    const { train } = await dataset('physionet2012');
    const settings = resolveSettings({ train, ...RUN, focusedMomentsShare: SHARE });
    const plan = planBudget(settings, train.card);
    const ctx = privateContext(11);
    const pre = privatePreprocessing(train, plan, { task: settings.task, bounds: settings.bounds }, ctx, plan.preprocessingNoiseMultiplier, (h) => newTask(settings.task, h));
    const first = pre.momentsQuery.measure(ctx, plan.momentsNoiseMultiplier);
    const moments = pre.momentsQuery.decode(first.sums, first.noiseStd);
    const kept = keptFeatures(30, train.card.features.length, moments, poolMoments(moments), 'classification')!;
    return { train, plan, ctx, pre, first, kept };
  }

  it('measures the kept features’ parts exactly as the all-feature query encodes them, with the sensitivity of k features (by hand)', async () => {
    const { train, plan, pre, kept } = await physionetQuery();
    expect(kept).toHaveLength(30);
    const { builder, coordinates } = pre.momentsQuery.focusedLayout(kept);
    const types = train.card.features.map((f) => f.type);
    const byHand = Math.sqrt(1 + kept.reduce((a, f) => a + PART[types[f] as keyof typeof PART], 0));
    expect(builder.l2Sensitivity).toBeCloseTo(byHand, 12);
    const full = Math.sqrt(1 + types.reduce((a, t) => a + PART[t as keyof typeof PART], 0));
    expect(pre.momentsQuery.l2Sensitivity).toBeCloseTo(full, 12);
    // physionet2012: far less noise per unit of ρ for the kept features.
    expect(builder.l2Sensitivity).toBeLessThan(0.6 * full);
    // Its exact sums are those of a moments query over a table of the kept features alone.
    const exact = pre.momentsQuery.measure({ ...privateContext(1), isPrivate: false }, 0).sums;
    const task = newTask('classification', undefined);
    const alone = new StratumMomentsQuery({ ...train, features: kept.map((f) => train.features[f]) }, kept.map((f) => pre.featureBounds[f]), (t) => task.stratify(t), 2, 'kept alone');
    const aloneExact = alone.measure({ ...privateContext(1), isPrivate: false }, 0).sums;
    expect(alone.l2Sensitivity).toBeCloseTo(builder.l2Sensitivity, 12);
    // (The run's one pass adds pre-strata and cells together: the same sums up to rounding.)
    expect(coordinates.length).toBe(aloneExact.length);
    coordinates.forEach((c, i) => expect(Math.abs(exact[c] - aloneExact[i])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(aloneExact[i]))));

    // One charged release: the ledger entry under its own name and σ, noise std σ·Δ_k.
    const ctx = privateContext(5);
    const { measurement } = pre.momentsQuery.measureFocused(ctx, plan.focusedMoments!.noiseMultiplier, kept);
    expect(ctx.ledger.entries().map((e) => [e.name, e.kind === 'gaussian' && e.noiseMultiplier])).toEqual([[MECHANISM.focusedStratumMoments, plan.focusedMoments!.noiseMultiplier]]);
    expect(measurement.noiseStd).toBeCloseTo(plan.focusedMoments!.noiseMultiplier * byHand, 10);
    // The noise really has that std (4 releases of ~180 coordinates each).
    let sq = 0;
    let n = 0;
    for (let r = 0; r < 4; r++) {
      const m = pre.momentsQuery.measureFocused(ctx, plan.focusedMoments!.noiseMultiplier, kept).measurement;
      m.sums.forEach((v, i) => {
        sq += (v - aloneExact[i]) ** 2;
        n++;
      });
    }
    expect(Math.sqrt(sq / n) / measurement.noiseStd).toBeGreaterThan(0.9);
    expect(Math.sqrt(sq / n) / measurement.noiseStd).toBeLessThan(1.1);
  });

  it('the combination: kept coordinates less noisy than the first measurement (and than the one query without the option), the others untouched', async () => {
    const { plan, pre, first, kept } = await physionetQuery();
    const exact = pre.momentsQuery.measure({ ...privateContext(1), isPrivate: false }, 0).sums;
    const ctx = privateContext(8);
    const { coordinates } = pre.momentsQuery.focusedLayout(kept);
    const isKept = new Uint8Array(exact.length);
    coordinates.forEach((c) => (isKept[c] = 1));
    const firstStd = first.noiseStd;
    const focusedStd = plan.focusedMoments!.noiseMultiplier * pre.momentsQuery.focusedLayout(kept).builder.l2Sensitivity;
    const combinedStd = 1 / Math.sqrt(1 / firstStd ** 2 + 1 / focusedStd ** 2);
    const withoutOption = plan.preprocessingNoiseMultiplier * pre.momentsQuery.l2Sensitivity;
    expect(combinedStd).toBeLessThan(0.7 * withoutOption);
    expect(firstStd).toBeGreaterThan(withoutOption);
    const err = { kept: 0, keptN: 0, other: 0, otherN: 0 };
    for (let r = 0; r < 6; r++) {
      const a = pre.momentsQuery.measure(ctx, plan.momentsNoiseMultiplier);
      const f = pre.momentsQuery.measureFocused(ctx, plan.focusedMoments!.noiseMultiplier, kept);
      const c = combineFocusedMoments(perCoordinate(a), f.measurement, f.coordinates);
      c.noiseStd.forEach((s, i) => expect(s).toBeCloseTo(isKept[i] ? combinedStd : firstStd, 10));
      c.sums.forEach((v, i) => {
        if (isKept[i]) {
          err.kept += (v - exact[i]) ** 2;
          err.keptN++;
        } else {
          expect(v).toBe(a.sums[i]);
          err.other += (v - exact[i]) ** 2;
          err.otherN++;
        }
      });
    }
    const keptRms = Math.sqrt(err.kept / err.keptN);
    expect(keptRms / combinedStd).toBeGreaterThan(0.85);
    expect(keptRms / combinedStd).toBeLessThan(1.15);
    expect(Math.sqrt(err.other / err.otherN) / firstStd).toBeGreaterThan(0.9);
    expect(Math.sqrt(err.other / err.otherN) / firstStd).toBeLessThan(1.1);
    // Decoded: each kept numeric mean carries the combined noise sd, the others the first's.
    const c = combineFocusedMoments(perCoordinate(first), pre.momentsQuery.measureFocused(ctx, plan.focusedMoments!.noiseMultiplier, kept).measurement, coordinates);
    const decoded = pre.momentsQuery.decode(c.sums, c.noiseStd);
    const alone = pre.momentsQuery.decode(first.sums, first.noiseStd);
    const keptSet = new Set(kept);
    let checked = 0;
    decoded[0].features.forEach((m, f) => {
      if (m.meanNoiseSd === undefined) return;
      const ratio = m.meanNoiseSd / alone[0].features[f].meanNoiseSd!;
      // The present count is itself re-estimated for kept features, so the ratio is near, not at, std ratio.
      if (keptSet.has(f)) expect(ratio).toBeLessThan(0.75);
      else expect(ratio).toBe(1);
      checked++;
    });
    expect(checked).toBeGreaterThan(50);
  });

  it('combineGaussianCoordinates: per coordinate, the rule of combineGaussianMeasurements', () => {
    const a = { sums: Float64Array.of(1, 2, 3), noiseStd: Float64Array.of(1, 2, 0) };
    const b = { sums: Float64Array.of(3, 4, 9), noiseStd: Float64Array.of(1, 1, 5) };
    const c = combineGaussianCoordinates(a, b);
    expect(Array.from(c.sums)).toEqual([2, (2 / 4 + 4) / (1 / 4 + 1), 3]);
    expect(c.noiseStd[0]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(c.noiseStd[1]).toBeCloseTo(1 / Math.sqrt(1.25), 15);
    expect(c.noiseStd[2]).toBe(0);
    expect(() => combineGaussianCoordinates(a, { sums: new Float64Array(2), noiseStd: new Float64Array(2) })).toThrow(/lengths/);
  });
});

describe('condense with focusedMomentsShare', () => {
  // Two shares: at 0.5 the two queries have the same σ, at 0.3 a σ swapped between them shows.
  it.each([SHARE, 0.3])('physionet2012, share %s: charges the focused query at the planned σ, the preprocessing’s ε is unchanged, and the receipt lists it', async (share) => {
    const { train } = await dataset('physionet2012');
    const off = await condense({ train, ...RUN, focusedMomentsShare: 0 });
    const offCalls = noise.calls;
    noise.calls = [];
    const on = await condense({ train, ...RUN, focusedMomentsShare: share });
    const plan = planBudget(resolveSettings({ train, ...RUN, focusedMomentsShare: share }), train.card);
    const names = (r: typeof on) => r.receipt.entries.map((e) => e.name);
    expect(names(off)).toEqual([MECHANISM.featureBounds, MECHANISM.stratumMoments, MECHANISM.zeroOrderSteps]);
    expect(names(on)).toEqual([MECHANISM.featureBounds, MECHANISM.stratumMoments, MECHANISM.focusedStratumMoments, MECHANISM.zeroOrderSteps]);
    const [bounds, first, focused] = on.receipt.entries;
    const sigma = off.receipt.entries[1].noise_multiplier as number;
    expect(bounds.noise_multiplier).toBe(sigma);
    expect(first.noise_multiplier).toBe(plan.momentsNoiseMultiplier);
    expect(focused.noise_multiplier).toBe(plan.focusedMoments!.noiseMultiplier);
    // ε after the preprocessing, by hand from the three σ (RDP α/(2σ²) each, Balle et al. 2020's
    // conversion over the ledger's orders), is the off run's after its two.
    const epsilonOf = (sigmas: number[]) => {
      const rho = sigmas.reduce((a, s) => a + 1 / (2 * s * s), 0);
      let best = Infinity;
      for (const a of EXTENDED_ORDERS) best = Math.min(best, a * rho + Math.log((a - 1) / a) - (Math.log(1e-5) + Math.log(a)) / (a - 1));
      return best;
    };
    const onSigmas = [bounds, first, focused].map((e) => e.noise_multiplier as number);
    expect(focused.epsilon_after as number).toBeCloseTo(epsilonOf(onSigmas), 10);
    expect(off.receipt.entries[1].epsilon_after as number).toBeCloseTo(epsilonOf([sigma, sigma]), 10);
    expect(focused.epsilon_after as number).toBeCloseTo(off.receipt.entries[1].epsilon_after as number, 9);
    expect(focused.epsilon_after as number).toBeLessThanOrEqual(off.receipt.entries[1].epsilon_after as number);
    // The whole run spends its ε either way.
    for (const r of [on, off]) {
      expect(r.receipt.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
      expect(r.receipt.epsilon as number).toBeGreaterThan(0.999 * RUN.epsilon);
    }
    // The releases: bounds, first (σ₁·Δ_d over 2 strata × the full block), focused (σ₂·Δ_k), then the steps.
    const keptIdx = on.settings.focusedFeatures!.map((name) => train.card.features.findIndex((f) => f.name === name));
    const deltaK = Math.sqrt(1 + keptIdx.reduce((a, f) => a + PART[train.card.features[f].type as keyof typeof PART], 0));
    const deltaD = Math.sqrt(1 + train.card.features.reduce((a, f) => a + PART[f.type as keyof typeof PART], 0));
    const widthK = 1 + keptIdx.reduce((a, f) => a + (train.card.features[f].type === 'binary' ? 2 : train.card.features[f].type === 'categorical' ? train.card.features[f].categories!.length : 3), 0);
    expect(noise.calls[1].std).toBeCloseTo(plan.momentsNoiseMultiplier * deltaD, 9);
    expect(noise.calls[1].length).toBe(offCalls[1].length);
    expect(offCalls[1].std).toBeCloseTo(sigma * deltaD, 9);
    expect(noise.calls[2]).toEqual({ length: 2 * widthK, std: expect.closeTo(plan.focusedMoments!.noiseMultiplier * deltaK, 9) as unknown as number });
    expect(noise.calls).toHaveLength(offCalls.length + 1);
    expect(on.receipt.parameters.focusedMomentsShare).toBe(share);
    expect(on.receipt.parameters.featureFocus).toBe(30);
    expect('focusedMomentsShare' in off.receipt.parameters).toBe(false);
    expect(on.settings.focusedMomentsShare).toBe(share);
  });

  it('what follows uses the combined moments: an exact focused release moves every kept feature’s released mean and the table', async () => {
    const { train } = await dataset('physionet2012');
    const noisy = await condense({ train, ...RUN, focusedMomentsShare: SHARE });
    const kept = new Set(noisy.settings.focusedFeatures);
    const width = noise.calls[2].length;
    noise.calls = [];
    noise.exactLength = width; // the same run, the focused release without its noise
    const exactFocused = await condense({ train, ...RUN, focusedMomentsShare: SHARE });
    expect(exactFocused.settings.focusedFeatures).toEqual(noisy.settings.focusedFeatures);
    let moved = 0;
    noisy.released.features.forEach((f, j) => {
      const g = exactFocused.released.features[j];
      if (kept.has(f.name) && f.mean !== g.mean) moved++;
    });
    expect(moved).toBe(kept.size);
    expect(formatTableCsv(exactFocused.synthetic)).not.toBe(formatTableCsv(noisy.synthetic));
    // The class counts are in both queries, so they change too (and with them the pooling of frozen features).
    expect(exactFocused.released.strataCounts).not.toEqual(noisy.released.strataCounts);
  });

  it('with the noise-figure gate moving the steps’ budget: focused, then repeated, within ε', async () => {
    const { train } = await dataset('physionet2012');
    const result = await condense({ train, ...RUN, focusedMomentsShare: SHARE, noiseFigureLimit: 1e-9, repeatShare: 0.5 });
    const r = result.receipt;
    expect(r.parameters.budgetPath).toBe('repeated-moments-and-steps');
    expect(r.entries.map((e) => e.name)).toEqual([MECHANISM.featureBounds, MECHANISM.stratumMoments, MECHANISM.focusedStratumMoments, MECHANISM.repeatedStratumMoments, MECHANISM.zeroOrderSteps]);
    expect(r.epsilon as number).toBeLessThanOrEqual(RUN.epsilon);
    expect(r.epsilon as number).toBeGreaterThan(0.99 * RUN.epsilon);
    expect(result.synthetic.nRows).toBe(RUN.rows);
  });

  it('where it does not act, every output is byte-identical to the run with the option off (0); the default is 0.5', async () => {
    const { train } = await dataset('physionet2012');
    const { train: pima } = await dataset('pima');
    // Everything but the receipt's time stamp (the run's start).
    const text = (r: Awaited<ReturnType<typeof condense>>) => JSON.stringify([formatTableCsv(r.synthetic), { ...r.receipt, created_at: '' }, r.trace, r.released]);
    const cases: [typeof train, object][] = [
      [pima, {}], // 8 features ≤ k = 30
      [train, { featureFocus: 'off' }],
      [train, { initialisation: 'mst', steps: 2 }],
      [train, { epsilon: Infinity }],
    ];
    for (const [table, extra] of cases) {
      const without = await condense({ train: table, ...RUN, ...extra, focusedMomentsShare: 0 });
      const withOption = await condense({ train: table, ...RUN, ...extra, focusedMomentsShare: SHARE });
      expect(text(withOption)).toBe(text(without));
      expect(withOption.receipt.entries.map((e) => e.name)).not.toContain(MECHANISM.focusedStratumMoments);
    }
    expect(text(await condense({ train, ...RUN, focusedMomentsShare: SHARE }))).toBe(text(await condense({ train, ...RUN })));
    expect(text(await condense({ train, ...RUN, focusedMomentsShare: 0 }))).not.toBe(text(await condense({ train, ...RUN })));
  });
});
