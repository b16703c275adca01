/**
 * `startEvidence: 'universal'` (docs/RESULTS.md, "Session 32: the start keeps only the class
 * differences the DP moments give evidence for"): the DP-moment start pools the class means of the
 * numeric features whose DP class difference is within √(2 ln d) noise sds, d the numeric features
 * with a known noise sd. Post-processing of the released moments: the same ledger and the same
 * released statistics. The default since session 32; 'all' is the run as before.
 */
import { describe, expect, it } from 'vitest';
import { formatTableCsv } from '../../src/data/format.js';
import { condense } from '../../src/condense/condense.js';
import { featureSeparation, poolFeaturesWithoutEvidence } from '../../src/condense/featureFocus.js';
import { poolMoments, type StratumMoments } from '../../src/condense/privateStatistics.js';
import { dataset } from './helpers.js';

const RUN = { rows: 20, epsilon: 3, steps: 8, directions: 3, batchSize: 64, seed: 4 };

describe('poolFeaturesWithoutEvidence', () => {
  // Three numeric features with a known noise sd, and one binary feature without one.
  // Differences in noise sds of the difference (noise of each mean 1, of the difference √2):
  // a 4√2 (evidence 4), b 2√2 (evidence 2), c −3√2 (evidence 3). d = 3: threshold √(2 ln 3) = 1.482.
  const stratum = (count: number, a: number, b: number, c: number, p: number): StratumMoments => ({
    count,
    features: [
      { mean: a, sd: 1.5, meanNoiseSd: 1 },
      { mean: b, sd: 2.5, meanNoiseSd: 1 },
      { mean: c, sd: 3.5, meanNoiseSd: 1 },
      { mean: p, sd: Math.sqrt(p * (1 - p)) },
    ],
  });
  const s2 = Math.SQRT2;
  const classes = [stratum(100, 0, 0, 0, 0.2), stratum(300, 4 * s2, 2 * s2, -3 * s2, 0.7)];
  const pooled = poolMoments(classes);

  it('pools the means of the features at or below √(2 ln d) noise sds; every spread, count and the rest stay as released', () => {
    const result = poolFeaturesWithoutEvidence(classes, pooled)!;
    expect(result.threshold).toBeCloseTo(Math.sqrt(2 * Math.log(3)), 12);
    // Evidence 4, 2, 3 against 1.482: nothing pooled.
    expect(result.pooled).toEqual([]);
    expect(result.moments).toEqual(classes);
    // Halve every difference: evidence 2, 1, 1.5 — b (1 ≤ 1.482) is pooled, a and c (1.5 > 1.482) kept.
    const half = [stratum(100, 0, 0, 0, 0.2), stratum(300, 2 * s2, s2, -1.5 * s2, 0.7)];
    const halfPooled = poolMoments(half);
    expect(Array.from(featureSeparation(half, halfPooled, 'classification')).slice(0, 3).map((e) => +e.toFixed(9))).toEqual([2, 1, 1.5]);
    const partly = poolFeaturesWithoutEvidence(half, halfPooled)!;
    expect(partly.pooled).toEqual([1]);
    for (let s = 0; s < 2; s++) {
      expect(partly.moments[s].count).toBe(half[s].count);
      // The pooled feature: both classes at the count-weighted mean (300·√2 / 400), own spreads kept.
      expect(partly.moments[s].features[1].mean).toBeCloseTo((300 * s2) / 400, 12);
      expect(partly.moments[s].features[1].sd).toBe(half[s].features[1].sd);
      // Kept features and the binary feature (no noise sd: not a candidate) are untouched.
      for (const f of [0, 2, 3]) expect(partly.moments[s].features[f]).toEqual(half[s].features[f]);
    }
    // The released moments themselves are not modified.
    expect(half[1].features[1].mean).toBeCloseTo(s2, 12);
  });

  it('soft: a kept difference is shrunk by the threshold, Δ·(1 − threshold / evidence); pooled ones as with hard', () => {
    const half = [stratum(100, 0, 0, 0, 0.2), stratum(300, 2 * s2, s2, -1.5 * s2, 0.7)];
    const halfPooled = poolMoments(half);
    const hard = poolFeaturesWithoutEvidence(half, halfPooled)!;
    const soft = poolFeaturesWithoutEvidence(half, halfPooled, 'soft')!;
    expect(soft.pooled).toEqual(hard.pooled);
    const lambda = Math.sqrt(2 * Math.log(3));
    // Evidence 2 (a) and 1.5 (c): the class difference keeps 1 − λ/2 and 1 − λ/1.5 of itself.
    const gap = (r: typeof soft, f: number) => r.moments[1].features[f].mean - r.moments[0].features[f].mean;
    expect(gap(soft, 0)).toBeCloseTo(2 * s2 * (1 - lambda / 2), 12);
    expect(gap(soft, 2)).toBeCloseTo(-1.5 * s2 * (1 - lambda / 1.5), 12);
    expect(gap(hard, 0)).toBeCloseTo(2 * s2, 12);
    expect(gap(soft, 1)).toBeCloseTo(0, 12);
    // The pooled mean is unchanged by the shrinkage (each stratum moves toward it by the same factor).
    for (const f of [0, 2]) expect(poolMoments(soft.moments).features[f].mean).toBeCloseTo(halfPooled.features[f].mean, 12);
  });

  it('survival strata: the largest difference over the pairs of strata, N = features × pairs', () => {
    // Three strata (early events, late events, censored), one numeric feature with noise 1 per mean:
    // pairs differ by 1, 2 and 3 (evidence 3 / √2 = 2.12); N = 3: threshold 1.482, kept.
    const one = (count: number, x: number): StratumMoments => ({ count, features: [{ mean: x, sd: 1, meanNoiseSd: 1 }] });
    const strata = [one(50, 0), one(50, 1), one(100, 3)];
    const kept = poolFeaturesWithoutEvidence(strata, poolMoments(strata))!;
    expect(kept.threshold).toBeCloseTo(Math.sqrt(2 * Math.log(3)), 12);
    expect(kept.pooled).toEqual([]);
    // Spread 0, 0.5, 1.5: evidence 1.5 / √2 = 1.06 ≤ 1.482, pooled at the count-weighted mean 0.875.
    const close = [one(50, 0), one(50, 0.5), one(100, 1.5)];
    const pooledAway = poolFeaturesWithoutEvidence(close, poolMoments(close))!;
    expect(pooledAway.pooled).toEqual([0]);
    for (const s of pooledAway.moments) expect(s.features[0].mean).toBeCloseTo(0.875, 12);
  });

  it('acts only on private moments (each mean with its noise sd)', () => {
    const exact = classes.map((s) => ({ count: s.count, features: s.features.map(({ mean, sd }) => ({ mean, sd })) }));
    expect(poolFeaturesWithoutEvidence(exact, poolMoments(exact))).toBeUndefined();
  });
});

describe('condense with startEvidence', () => {
  it("'universal' is the default; 'all' is the run without it; both spend the same ε through the same entries, and the receipt lists the pooled features", async () => {
    const { train } = await dataset('wdbc');
    const [plain, all, universal] = [
      await condense({ train, ...RUN }),
      await condense({ train, ...RUN, startEvidence: 'all' }),
      await condense({ train, ...RUN, startEvidence: 'universal' }),
    ];
    expect(formatTableCsv(plain.synthetic)).toBe(formatTableCsv(universal.synthetic));
    expect(JSON.stringify(plain.receipt.parameters)).toBe(JSON.stringify(universal.receipt.parameters));
    expect('startEvidence' in all.receipt.parameters).toBe(false);

    const listed = universal.receipt.parameters.startEvidence as { threshold: number; pooled: string[] };
    // wdbc: 30 numeric features, threshold √(2 ln 30) = 2.608.
    expect(listed.threshold).toBeCloseTo(Math.sqrt(2 * Math.log(30)), 3);
    expect(listed.pooled.length).toBeGreaterThan(0);
    expect(listed.pooled.every((name) => train.card.features.some((f) => f.name === name))).toBe(true);
    expect(formatTableCsv(universal.synthetic)).not.toBe(formatTableCsv(all.synthetic));
    expect(universal.receipt.epsilon).toBe(all.receipt.epsilon);
    expect(universal.receipt.entries).toEqual(all.receipt.entries);
    expect(universal.released).toEqual(all.released);
  });

  it("'universal-soft' spends the same ε through the same entries and says so in the receipt", async () => {
    const { train } = await dataset('wdbc');
    const [hard, soft] = [await condense({ train, ...RUN }), await condense({ train, ...RUN, startEvidence: 'universal-soft' })];
    const listed = soft.receipt.parameters.startEvidence as { threshold: number; pooled: string[]; shrink?: string };
    expect(listed.shrink).toBe('soft');
    expect((hard.receipt.parameters.startEvidence as { shrink?: string }).shrink).toBeUndefined();
    expect(listed.pooled).toEqual((hard.receipt.parameters.startEvidence as { pooled: string[] }).pooled);
    expect(soft.receipt.entries).toEqual(hard.receipt.entries);
    expect(soft.released).toEqual(hard.released);
  });

  it('not taken without noise (no noise sds) or with another start', async () => {
    const { train } = await dataset('pima');
    for (const options of [{ epsilon: Infinity }, { initialisation: 'uniform' as const }]) {
      const [plain, all] = [await condense({ train, ...RUN, ...options }), await condense({ train, ...RUN, ...options, startEvidence: 'all' })];
      expect('startEvidence' in plain.receipt.parameters).toBe(false);
      expect(formatTableCsv(plain.synthetic)).toBe(formatTableCsv(all.synthetic));
    }
  });

  it('the start itself: every pooled feature has the same mean in both classes up to the draws', async () => {
    const { train } = await dataset('wdbc');
    // No steps: the released table is the start. ε = 8 keeps a few features, pools the rest.
    const run = await condense({ train, rows: 200, epsilon: 8, steps: 0, seed: 2, startEvidence: 'universal' });
    const listed = run.receipt.parameters.startEvidence as { threshold: number; pooled: string[] };
    const table = run.synthetic;
    const label = table.label!;
    const classMean = (values: ArrayLike<number>, c: number) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < values.length; i++) {
        if (label[i] === c) {
          sum += values[i];
          n++;
        }
      }
      return sum / n;
    };
    const released = run.released!;
    let checked = 0;
    for (const [f, feature] of train.card.features.entries()) {
      const values = table.features[f].values;
      const gap = Math.abs(classMean(values, 1) - classMean(values, 0));
      const sd = released.features[f].sd;
      if (listed.pooled.includes(feature.name)) {
        // 100 draws per class: the gap of two sample means is a few tenths of an sd at most.
        expect(gap).toBeLessThan(0.6 * sd);
        checked++;
      }
    }
    expect(checked).toBe(listed.pooled.length);
    expect(listed.pooled.length).toBeLessThan(train.card.features.length);
  });
});
