import { beforeAll, describe, expect, it } from 'vitest';
import { matrix, matrixFromRows, type Matrix } from '../../src/core/matrix.js';
import { harrellC } from '../../src/metrics/survival.js';
import { CoxLearner, fitCox } from '../../src/models/survival/cox.js';
import { ModelInputError, type SurvivalTarget } from '../../src/models/types.js';
import { SeededRng } from '../../src/core/rng.js';
import {
  loadSurvivalSplit,
  loadSurvivalTable,
  pairCountsFromR,
  SURVIVAL_DATASETS,
  survivalReference,
  type SurvivalSplit,
} from './survivalReference.js';

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
}

describe.each(SURVIVAL_DATASETS)('Cox on %s against R survival 3.5', (name) => {
  const ref = survivalReference[name];
  let split: SurvivalSplit;
  beforeAll(async () => {
    split = await loadSurvivalSplit(name);
  });

  it('uses the reference design', () => {
    // datasets/README.md: the bundled support.csv has the `wbc` and `sodium` header names swapped
    // back to their values; the reference (computed on the mislabelled file) calls position 17 `wbc`
    // and 18 `sodium`, so positions, and therefore coefficients, still correspond.
    const renamed = name === 'support' ? ref.features.map((f) => (f === 'wbc' ? 'sodium' : f === 'sodium' ? 'wbc' : f)) : ref.features;
    expect(split.columnNames).toEqual(renamed);
    expect(split.trainX.rows).toBe(ref.n_train);
    expect(split.testX.rows).toBe(ref.n_test);
  });

  for (const ties of ['efron', 'breslow'] as const) {
    it(`${ties}: coefficients, log-likelihoods, baseline hazard, iterations and test C`, () => {
      const expected = ties === 'efron' ? ref.cox_efron : ref.cox_breslow;
      const model = fitCox(split.trainX, split.train, undefined, { ties });
      const d = model.diagnostics;
      expect(d.converged).toBe(true);
      expect(d.warnings).toEqual([]);
      expect(d.iterations).toBe(expected.iterations);
      expected.coef.forEach((b, j) => expect(relativeError(model.coefficients[j], b)).toBeLessThan(1e-5));
      expect(Math.abs(d.loglik - expected.loglik)).toBeLessThan(1e-6);
      expect(Math.abs(d.loglikNull - expected.loglik_null)).toBeLessThan(1e-6);
      const h0 = model.baselineCumulativeHazardAt(expected.baseline_cumhaz_times);
      expected.baseline_cumhaz.forEach((h, k) => expect(Math.abs(h0[k] - h)).toBeLessThan(1e-6));

      const risk = model.predictRisk(split.testX);
      const c = harrellC(split.test.time, split.test.event, risk);
      expect(Math.abs(c.cIndex - expected.test_harrell_c)).toBeLessThan(1e-6);
      expect(c.pairs).toEqual(pairCountsFromR(expected.test_pair_counts));

      // Survival curves are exp(−H0(t)·exp(xβ)) at the same times.
      const times = Float64Array.from(expected.baseline_cumhaz_times);
      const surv = model.predictSurvival(split.testX, times);
      for (const i of [0, 7, 42]) {
        for (let k = 0; k < times.length; k++) {
          expect(surv[i * times.length + k]).toBeCloseTo(Math.exp(-h0[k] * Math.exp(risk[i])), 12);
        }
      }
    });
  }
});

describe('Cox external validation rotterdam → gbsg', () => {
  it('Efron fit on all rotterdam rows has the reference Harrell C on gbsg', async () => {
    const rotterdam = await loadSurvivalTable('rotterdam');
    const gbsg = await rotterdam.transform('gbsg');
    const model = new CoxLearner({ ties: 'efron' }).fit(rotterdam.X, rotterdam.target);
    expect(model.diagnostics.converged).toBe(true);
    const c = harrellC(gbsg.target.time, gbsg.target.event, model.predictRisk(gbsg.X));
    expect(Math.abs(c.cIndex - survivalReference.rotterdam_to_gbsg.cox_efron_trained_on_all_rotterdam_harrell_c_on_gbsg)).toBeLessThan(1e-6);
  });
});

/** Small data used by the property tests below. */
function simulate(rng: SeededRng, n: number, p: number, beta: number[]): { X: Matrix; target: SurvivalTarget } {
  const X = matrix(n, p);
  const time = new Float64Array(n), event = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let j = 0; j < p; j++) {
      X.data[i * p + j] = rng.normal();
      eta += X.data[i * p + j] * beta[j];
    }
    const t = -Math.log(1 - rng.uniform()) / Math.exp(eta);
    const c = -Math.log(1 - rng.uniform()) * 2;
    // Round to create ties, as in day-resolution clinical data.
    time[i] = Math.max(0.05, Math.round(Math.min(t, c) * 20) / 20);
    event[i] = t <= c ? 1 : 0;
  }
  return { X, target: { task: 'survival', time, event } };
}

describe('Cox properties', () => {
  it('integer case weights equal replicated rows', () => {
    const rng = new SeededRng(11);
    const { X, target } = simulate(rng, 60, 3, [0.8, -0.5, 0.2]);
    const w = new Float64Array(60);
    const rows: number[] = [];
    for (let i = 0; i < 60; i++) {
      w[i] = 1 + rng.int(3);
      for (let r = 0; r < w[i]; r++) rows.push(i);
    }
    const Xr = matrix(rows.length, 3), time = new Float64Array(rows.length), event = new Uint8Array(rows.length);
    rows.forEach((i, r) => {
      Xr.data.set(X.data.subarray(i * 3, i * 3 + 3), r * 3);
      time[r] = target.time[i];
      event[r] = target.event[i];
    });
    for (const ties of ['breslow', 'efron'] as const) {
      const weighted = fitCox(X, target, w, { ties });
      const replicated = fitCox(Xr, { task: 'survival', time, event }, undefined, { ties });
      if (ties === 'breslow') {
        // Breslow is exactly a sum over rows, so weights and replication agree exactly.
        for (let j = 0; j < 3; j++) expect(weighted.coefficients[j]).toBeCloseTo(replicated.coefficients[j], 8);
        expect(weighted.diagnostics.loglik).toBeCloseTo(replicated.diagnostics.loglik, 8);
      } else {
        // R's weighted Efron uses the mean weight per tie group, which is not replication: close only.
        for (let j = 0; j < 3; j++) expect(Math.abs(weighted.coefficients[j] - replicated.coefficients[j])).toBeLessThan(0.1);
      }
    }
  });

  it('reports the Efron loglik of an independent O(n²) formula, and is a maximum of it', () => {
    const { X, target } = simulate(new SeededRng(3), 80, 3, [0.5, 0, -1]);
    const model = fitCox(X, target);
    const best = efronLoglik(linearPredictor(X, model.coefficients), target);
    expect(model.diagnostics.loglik).toBeCloseTo(best, 9);
    expect(model.diagnostics.loglikNull).toBeCloseTo(efronLoglik(new Float64Array(80), target), 9);
    for (let j = 0; j < 3; j++) {
      for (const delta of [-1e-3, 1e-3]) {
        const moved = model.coefficients.slice();
        moved[j] += delta;
        expect(efronLoglik(linearPredictor(X, moved), target)).toBeLessThan(best);
      }
    }
  });

  it('ridge shrinks coefficients towards 0 and keeps separated data finite', () => {
    const { X, target } = simulate(new SeededRng(5), 50, 4, [1, -1, 0.5, 0]);
    const plain = fitCox(X, target);
    const ridged = fitCox(X, target, undefined, { ridge: 5 });
    const norm = (b: Float64Array) => Math.hypot(...b);
    expect(norm(ridged.coefficients)).toBeLessThan(norm(plain.coefficients));
    expect(ridged.diagnostics.converged).toBe(true);
    expect(ridged.diagnostics.penalisedLoglik).toBeLessThan(ridged.diagnostics.loglik);

    // Perfect separation: the event order is fully explained by x, so β → ∞ without a penalty.
    const n = 30;
    const Xsep = matrix(n, 1), time = new Float64Array(n), event = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      Xsep.data[i] = -i;
      time[i] = i + 1;
    }
    const separated = fitCox(Xsep, { task: 'survival', time, event });
    expect(separated.diagnostics.warnings.join(' ')).toMatch(/variable 1; coefficient may be infinite|did not converge/);
    const shrunk = fitCox(Xsep, { task: 'survival', time, event }, undefined, { ridge: 1 });
    expect(shrunk.diagnostics.converged).toBe(true);
    expect(shrunk.diagnostics.warnings).toEqual([]);
    expect(Number.isFinite(shrunk.coefficients[0])).toBe(true);
  });

  it('lpSd rescales the fit to a fixed linear-predictor sd, shrinkage by a fixed factor: same direction, baseline refitted (Breslow: fitted hazards sum to the events)', () => {
    const { X, target } = simulate(new SeededRng(11), 80, 3, [0.8, -0.5, 0.2]);
    const plain = fitCox(X, target, undefined, { ties: 'breslow' });
    const lpSdOf = (model: typeof plain): number => {
      const lp = model.predictRisk(X);
      const mean = lp.reduce((a, v) => a + v, 0) / lp.length;
      return Math.sqrt(lp.reduce((a, v) => a + (v - mean) ** 2, 0) / lp.length);
    };
    const events = target.event.reduce((a, e) => a + e, 0);
    /** Σ_i H0(t_i)·exp(x_iβ), β of `model`, H0 of `baseline`. */
    const fittedHazardSum = (model: typeof plain, baseline = model): number => {
      const H = baseline.baselineCumulativeHazardAt(target.time);
      const risk = model.predictRisk(X);
      let sum = 0;
      for (let i = 0; i < X.rows; i++) sum += H[i] * Math.exp(risk[i]);
      return sum;
    };
    expect(fittedHazardSum(plain)).toBeCloseTo(events, 8);
    for (const lpSd of [0.5, 2]) {
      const scaled = fitCox(X, target, undefined, { ties: 'breslow', lpSd });
      expect(lpSdOf(scaled)).toBeCloseTo(lpSd, 10);
      const k = lpSd / lpSdOf(plain);
      for (let j = 0; j < 3; j++) expect(scaled.coefficients[j]).toBeCloseTo(k * plain.coefficients[j], 10);
      // The Breslow baseline for these coefficients: Σ_i H0(t_i)·exp(x_iβ) = number of events.
      expect(fittedHazardSum(scaled)).toBeCloseTo(events, 8);
      // Scaling the coefficients without refitting the baseline breaks it.
      expect(Math.abs(fittedHazardSum(scaled, plain) - events)).toBeGreaterThan(1);
      // The fit's own diagnostics are kept (the log-likelihood of the maximum-likelihood fit).
      expect(scaled.diagnostics.loglik).toBe(plain.diagnostics.loglik);
    }
    // shrinkage c: the coefficients times c, the baseline refitted for them.
    const shrunk = fitCox(X, target, undefined, { ties: 'breslow', shrinkage: 0.5 });
    for (let j = 0; j < 3; j++) expect(shrunk.coefficients[j]).toBeCloseTo(0.5 * plain.coefficients[j], 12);
    expect(fittedHazardSum(shrunk)).toBeCloseTo(events, 8);
    expect(Math.abs(fittedHazardSum(shrunk, plain) - events)).toBeGreaterThan(1);
    expect(() => fitCox(X, target, undefined, { shrinkage: 0 })).toThrow(ModelInputError);
    expect(() => fitCox(X, target, undefined, { shrinkage: 1.5 })).toThrow(ModelInputError);
    expect(() => fitCox(X, target, undefined, { shrinkage: 0.5, lpSd: 1 })).toThrow(ModelInputError);
    // lpSd 0 is the plain fit.
    const off = fitCox(X, target, undefined, { ties: 'breslow', lpSd: 0 });
    expect(Array.from(off.coefficients)).toEqual(Array.from(plain.coefficients));
    expect(() => fitCox(X, target, undefined, { lpSd: -1 })).toThrow(ModelInputError);
  });

  it('a constant column keeps coefficient 0 and is reported singular; others are unaffected', () => {
    const { X, target } = simulate(new SeededRng(8), 70, 2, [0.7, -0.4]);
    const Xc = matrix(70, 3);
    for (let i = 0; i < 70; i++) {
      Xc.data[i * 3] = X.data[i * 2];
      Xc.data[i * 3 + 1] = 4.2;
      Xc.data[i * 3 + 2] = X.data[i * 2 + 1];
    }
    const a = fitCox(X, target);
    const b = fitCox(Xc, target);
    expect(b.coefficients[1]).toBe(0);
    expect(b.coefficients[0]).toBeCloseTo(a.coefficients[0], 10);
    expect(b.coefficients[2]).toBeCloseTo(a.coefficients[1], 10);
    expect(b.diagnostics.warnings.join(' ')).toContain('singular; variable 2');
  });

  it('survival curves are non-increasing step functions in [0, 1], equal to 1 before the first event', () => {
    const { X, target } = simulate(new SeededRng(9), 40, 2, [0.3, 0.3]);
    const model = fitCox(X, target);
    const times = Float64Array.from([1e-6, 0.1, 0.3, 0.5, 1, 2, 5, 100]);
    const s = model.predictSurvival(X, times);
    const firstEvent = model.baselineTimes[0];
    for (let i = 0; i < X.rows; i++) {
      for (let k = 0; k < times.length; k++) {
        const v = s[i * times.length + k];
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        if (k > 0) expect(v).toBeLessThanOrEqual(s[i * times.length + k - 1]);
        if (times[k] < firstEvent) expect(v).toBe(1);
      }
    }
  });

  it('reports non-convergence as a warning, never silently', () => {
    const { X, target } = simulate(new SeededRng(12), 60, 3, [0.5, -0.5, 1]);
    const capped = fitCox(X, target, undefined, { maxIterations: 1 });
    expect(capped.diagnostics.converged).toBe(false);
    expect(capped.diagnostics.iterations).toBe(1);
    expect(capped.diagnostics.warnings.join(' ')).toMatch(/did not converge/);
    const full = fitCox(X, target);
    expect(full.diagnostics.loglik).toBeGreaterThanOrEqual(capped.diagnostics.loglik);
  });

  it('with no covariates gives the Breslow (Nelson–Aalen) cumulative hazard', () => {
    const time = Float64Array.from([1, 2, 2, 3, 4, 5]), event = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    const model = fitCox(matrix(6, 0), { task: 'survival', time, event }, undefined, { ties: 'breslow' });
    expect(model.diagnostics.converged).toBe(true);
    const h = model.baselineCumulativeHazardAt([1, 2, 3, 5]);
    [1 / 6, 1 / 6 + 1 / 5, 1 / 6 + 1 / 5 + 1 / 3, 1 / 6 + 1 / 5 + 1 / 3 + 1].forEach((v, k) => expect(h[k]).toBeCloseTo(v, 14));
  });

  it('rejects bad input with ModelInputError', () => {
    const X = matrixFromRows([[1], [2], [3]]);
    const ok = { task: 'survival' as const, time: Float64Array.from([1, 2, 3]), event: Uint8Array.from([1, 0, 1]) };
    expect(() => fitCox(matrix(0, 1), { task: 'survival', time: new Float64Array(0), event: new Uint8Array(0) })).toThrow(ModelInputError);
    // No events is not an error but the documented fallback (tests/models/degenerate.test.ts).
    expect(fitCox(X, { ...ok, event: Uint8Array.from([0, 0, 0]) }).diagnostics.warnings.join(' ')).toMatch(/no events/);
    expect(() => fitCox(X, { ...ok, time: Float64Array.from([1, NaN, 3]) })).toThrow(/time\[1\]/);
    expect(() => fitCox(X, { ...ok, time: Float64Array.from([1, -1, 3]) })).toThrow(/time\[1\] = -1 is not a finite non-negative number/);
    // Time 0 is valid follow-up (an event on the day of entry), as in R.
    expect(() => fitCox(X, { ...ok, time: Float64Array.from([1, 0, 3]) })).not.toThrow();
    expect(() => fitCox(X, { ...ok, event: Uint8Array.from([1, 2, 0]) })).toThrow(/event\[1\]/);
    expect(() => fitCox(X, ok, Float64Array.from([1, -1, 1]))).toThrow(/weight\[1\]/);
    expect(() => fitCox(matrixFromRows([[1], [NaN], [3]]), ok)).toThrow(/not finite/);
    expect(() => fitCox(X, ok, undefined, { ridge: -1 })).toThrow(ModelInputError);
    expect(() => fitCox(X, { ...ok, time: Float64Array.from([1, 2]) })).toThrow(ModelInputError);
  });
});

function linearPredictor(X: Matrix, beta: Float64Array): Float64Array {
  const eta = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) eta[i] += X.data[i * X.cols + j] * beta[j];
  return eta;
}

/** Independent O(n²) Efron log partial likelihood of a linear predictor (textbook form). */
function efronLoglik(eta: Float64Array, target: SurvivalTarget): number {
  const n = eta.length;
  const times = [...new Set(Array.from(target.time).filter((_, i) => target.event[i] === 1))];
  let ll = 0;
  for (const t of times) {
    const deaths: number[] = [];
    let riskSum = 0;
    for (let i = 0; i < n; i++) {
      if (target.time[i] >= t) riskSum += Math.exp(eta[i]);
      if (target.time[i] === t && target.event[i] === 1) deaths.push(i);
    }
    const deathSum = deaths.reduce((s, i) => s + Math.exp(eta[i]), 0);
    for (let k = 0; k < deaths.length; k++) {
      ll += eta[deaths[k]] - Math.log(riskSum - (k / deaths.length) * deathSum);
    }
  }
  return ll;
}
