import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LOG_LOSS_EPS,
  accuracy,
  auroc,
  averagePrecision,
  brierScore,
  calibration,
  classificationReport,
  logLoss,
} from '../../src/metrics/classification.js';

const reference = JSON.parse(readFileSync(new URL('../fixtures/reference/classification.json', import.meta.url), 'utf8'));

/** O(n²) Mann–Whitney: Σ over (positive, negative) pairs of w_p·w_n·[s_p > s_n] + ½[s_p = s_n]. */
function bruteAuroc(y: number[], s: number[], w?: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      const pw = (w ? w[i] : 1) * (w ? w[j] : 1);
      den += pw;
      num += pw * (s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0);
    }
  }
  return num / den;
}

/** AP straight from the definition: thresholds at each distinct score, precision/recall at ≥ t. */
function bruteAveragePrecision(y: number[], s: number[], w?: number[]): number {
  const thresholds = [...new Set(s)].sort((a, b) => b - a);
  let totalPos = 0;
  for (let i = 0; i < y.length; i++) totalPos += y[i] * (w ? w[i] : 1);
  let ap = 0;
  let prevRecall = 0;
  for (const t of thresholds) {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < y.length; i++) {
      if (s[i] < t) continue;
      const wi = w ? w[i] : 1;
      if (y[i] === 1) tp += wi;
      else fp += wi;
    }
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Labels with both classes, scores on a coarse grid (many ties), positive weights. */
const labelledScores = fc
  .integer({ min: 2, max: 60 })
  .chain((n) =>
    fc.record({
      y: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      s: fc.array(fc.integer({ min: 0, max: 8 }).map((k) => k / 8), { minLength: n, maxLength: n }),
      w: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: n, maxLength: n }),
    }),
  )
  .filter(({ y }) => y.includes(0) && y.includes(1));

describe('AUROC and average precision against the reference metric_check vectors', () => {
  it.each(['pima', 'wdbc', 'physionet2012'])('%s: exact to 1e-9', (name) => {
    const { y, score, auroc: refAuroc, average_precision: refAp } = reference[name].metric_check;
    expect(Math.abs(auroc(y, score) - refAuroc)).toBeLessThan(1e-9);
    expect(Math.abs(averagePrecision(y, score) - refAp)).toBeLessThan(1e-9);
    // Typed-array inputs give the same numbers.
    expect(auroc(Uint8Array.from(y), Float64Array.from(score))).toBe(auroc(y, score));
  });
});

describe('auroc', () => {
  it('equals the O(n²) pair count with ties counted 1/2, weighted or not', () => {
    fc.assert(
      fc.property(labelledScores, ({ y, s, w }) => {
        expect(auroc(y, s)).toBeCloseTo(bruteAuroc(y, s), 12);
        expect(auroc(y, s, w)).toBeCloseTo(bruteAuroc(y, s, w), 12);
      }),
    );
  });

  it('integer weights equal duplicated rows', () => {
    const y = [0, 1, 1, 0, 1];
    const s = [0.1, 0.4, 0.35, 0.8, 0.4];
    const w = [2, 1, 3, 1, 2];
    const yd: number[] = [];
    const sd: number[] = [];
    w.forEach((k, i) => {
      for (let r = 0; r < k; r++) {
        yd.push(y[i]);
        sd.push(s[i]);
      }
    });
    expect(auroc(y, s, w)).toBeCloseTo(auroc(yd, sd), 14);
    expect(averagePrecision(y, s, w)).toBeCloseTo(averagePrecision(yd, sd), 14);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, 1/2 for constant scores', () => {
    expect(auroc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(auroc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(auroc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('is NaN when one class is absent (undefined, as R returns NA)', () => {
    expect(auroc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(auroc([0, 1], [0.1, 0.2], [1, 0])).toBeNaN();
  });

  it('rejects malformed input with a RangeError naming the metric', () => {
    expect(() => auroc([0, 1], [0.1])).toThrow(/auroc: 2 labels but 1 predictions/);
    expect(() => auroc([0, 2], [0.1, 0.2])).toThrow(/label 1 is 2/);
    expect(() => auroc([0, 1], [0.1, NaN])).toThrow(/prediction 1 is NaN/);
    expect(() => auroc([0, 1], [0.1, 0.2], [1, -1])).toThrow(/weight 1 is -1/);
    expect(() => averagePrecision([0, 1], [0.1, 0.2], [1])).toThrow(/averagePrecision: 1 weights for 2 labels/);
  });
});

describe('averagePrecision', () => {
  it('equals the step-wise definition evaluated threshold by threshold', () => {
    fc.assert(
      fc.property(labelledScores, ({ y, s, w }) => {
        expect(averagePrecision(y, s)).toBeCloseTo(bruteAveragePrecision(y, s), 12);
        expect(averagePrecision(y, s, w)).toBeCloseTo(bruteAveragePrecision(y, s, w), 12);
      }),
    );
  });

  it('matches a hand-computed value and is NaN without positives', () => {
    // Thresholds 0.9: P=1, R=1/2; 0.8 (tie of a positive and a negative): P=2/3, R=1; AP = 1/2 + 1/2·2/3.
    expect(averagePrecision([1, 1, 0, 0], [0.9, 0.8, 0.8, 0.1])).toBeCloseTo(0.5 + (0.5 * 2) / 3, 15);
    expect(averagePrecision([0, 0], [0.9, 0.1])).toBeNaN();
  });
});

describe('logLoss, brierScore, accuracy', () => {
  it('compute the weighted means of their per-row losses', () => {
    const y = [1, 0, 1, 0];
    const p = [0.8, 0.3, 0.6, 0.5];
    const w = [1, 2, 3, 4];
    const rowLoss = y.map((yi, i) => -(yi ? Math.log(p[i]) : Math.log(1 - p[i])));
    expect(logLoss(y, p)).toBeCloseTo(rowLoss.reduce((a, b) => a + b) / 4, 14);
    expect(logLoss(y, p, { weights: w })).toBeCloseTo(rowLoss.reduce((a, b, i) => a + b * w[i], 0) / 10, 14);
    expect(brierScore(y, p)).toBeCloseTo((0.04 + 0.09 + 0.16 + 0.25) / 4, 15);
    expect(brierScore(y, p, w)).toBeCloseTo((0.04 + 2 * 0.09 + 3 * 0.16 + 4 * 0.25) / 10, 15);
    // p = 0.5 predicts the negative class (scikit-learn's argmax tie rule): row 4 (y = 0) is correct.
    expect(accuracy(y, p)).toBe(1);
    expect(accuracy([1, 0], [0.5, 0.5])).toBe(0.5);
    expect(accuracy([1, 0, 1], [0.9, 0.9, 0.1], [1, 1, 2])).toBe(0.25);
  });

  it('clips probabilities at eps so a certain wrong prediction costs −log(eps), not ∞', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(LOG_LOSS_EPS), 10);
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(LOG_LOSS_EPS), 1);
    expect(logLoss([1], [0], { eps: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 12);
    expect(logLoss([1, 0], [1, 0])).toBeLessThan(1e-14);
  });
});

describe('calibration (logistic recalibration)', () => {
  const logit = (q: number) => Math.log(q / (1 - q));
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

  it('recovers the saturated two-group solution exactly', () => {
    // Two prediction levels; the MLE makes a + b·logit(p_g) equal the observed log-odds of group g.
    const p = [0.2, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.7];
    const y = [1, 0, 0, 0, 1, 1, 1, 0, 1]; // group rates 2/5 and 3/4
    const fit = calibration(y, p);
    expect(fit.converged).toBe(true);
    const slope = (logit(3 / 4) - logit(2 / 5)) / (logit(0.7) - logit(0.2));
    expect(fit.slope).toBeCloseTo(slope, 9);
    expect(fit.intercept).toBeCloseTo(logit(2 / 5) - slope * logit(0.2), 9);
  });

  it('is idempotent: recalibrated predictions have slope 1 and intercept 0', () => {
    const y: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < 40; i++) {
      const q = 0.05 + (0.9 * ((i * 7) % 40)) / 40;
      p.push(q);
      y.push((i * 13) % 5 < 2 ? 1 : 0);
    }
    const first = calibration(y, p);
    const recalibrated = p.map((q) => sigmoid(first.intercept + first.slope * logit(q)));
    const second = calibration(y, recalibrated);
    expect(second.converged).toBe(true);
    expect(second.slope).toBeCloseTo(1, 8);
    expect(second.intercept).toBeCloseTo(0, 8);
  });

  it('reports undefined fits as NaN with a warning, and separation as not converged', () => {
    const single = calibration([1, 1, 1], [0.2, 0.5, 0.7]);
    expect(single.slope).toBeNaN();
    expect(single.warnings[0]).toMatch(/single class/);
    const flat = calibration([1, 0, 1], [0.4, 0.4, 0.4]);
    expect(flat.slope).toBeNaN();
    expect(flat.warnings[0]).toMatch(/all predictions are equal/);
    const separated = calibration([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], { maxIter: 20 });
    expect(separated.converged).toBe(false);
    expect(separated.warnings[0]).toMatch(/did not converge/);
  });

  it('classificationReport gathers every metric', () => {
    const y = [0, 1, 1, 0, 1, 0];
    const p = [0.2, 0.7, 0.4, 0.3, 0.9, 0.6];
    const r = classificationReport(y, p);
    expect(r.auroc).toBe(auroc(y, p));
    expect(r.averagePrecision).toBe(averagePrecision(y, p));
    expect(r.logLoss).toBe(logLoss(y, p));
    expect(r.brier).toBe(brierScore(y, p));
    expect(r.accuracy).toBe(accuracy(y, p));
    expect(r.calibrationSlope).toBe(calibration(y, p).slope);
  });
});
