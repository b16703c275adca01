import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PairCounts, pairCountsFromR } from '../models/survivalReference.js';
import {
  brierScore,
  censoringKaplanMeier,
  harrellC,
  integratedBrierScore,
  kaplanMeier,
  kaplanMeierAt,
  kaplanMeierOfHistogram,
  survivalNllPerRecord,
  unoC,
  type ConcordancePairs,
} from '../../src/metrics/survival.js';

interface MetricCheck {
  time: number[];
  event: number[];
  risk: number[];
  harrell_c: number;
  pair_counts: PairCounts;
}
const reference = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/reference/survival.json', import.meta.url)), 'utf8')) as Record<
  string,
  { metric_check: MetricCheck }
>;

const f64 = (a: number[]) => Float64Array.from(a);
const u8 = (a: number[]) => Uint8Array.from(a);

describe("Harrell's C against R survival::concordance (metric_check vectors)", () => {
  for (const name of ['metabric', 'support', 'rotterdam']) {
    it(`${name}: C and every pair count exact`, () => {
      const m = reference[name].metric_check;
      const c = harrellC(f64(m.time), u8(m.event), f64(m.risk));
      expect(c.pairs).toEqual(pairCountsFromR(m.pair_counts));
      expect(Math.abs(c.cIndex - m.harrell_c)).toBeLessThan(1e-9);
    });
  }
});

/** Textbook O(n²) pair counting with the R conventions (independent of the Fenwick version). */
function bruteForcePairs(time: Float64Array, event: Uint8Array, risk: Float64Array, earlier: (i: number) => number, later: (j: number) => number): ConcordancePairs {
  const n = time.length;
  const pairs = { concordant: 0, discordant: 0, tiedX: 0, tiedY: 0, tiedXY: 0 };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j || event[i] !== 1) continue;
      const comparable = time[i] < time[j] || (time[i] === time[j] && event[j] === 0);
      if (comparable) {
        const w = earlier(i) * later(j);
        if (risk[i] > risk[j]) pairs.concordant += w;
        else if (risk[i] < risk[j]) pairs.discordant += w;
        else pairs.tiedX += w;
      } else if (time[i] === time[j] && event[j] === 1 && i < j) {
        const w = (earlier(i) * later(j) + earlier(j) * later(i)) / 2;
        if (risk[i] === risk[j]) pairs.tiedXY += w;
        else pairs.tiedY += w;
      }
    }
  }
  return pairs;
}

const survivalSample = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.record({
      time: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: n, maxLength: n }),
      event: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      risk: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n }),
      weight: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }),
    }),
  );

function closeTo(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

function expectPairsClose(actual: ConcordancePairs, expected: ConcordancePairs): void {
  for (const key of Object.keys(expected) as (keyof ConcordancePairs)[]) {
    if (!closeTo(actual[key], expected[key])) throw new Error(`${key}: ${actual[key]} vs ${expected[key]}`);
  }
}

describe("Harrell's C properties", () => {
  it('O(n log n) counts equal brute-force counts, weighted and unweighted, with heavy ties', () => {
    fc.assert(
      fc.property(survivalSample, (s) => {
        const time = f64(s.time), event = u8(s.event), risk = f64(s.risk), w = f64(s.weight);
        expectPairsClose(harrellC(time, event, risk).pairs, bruteForcePairs(time, event, risk, () => 1, () => 1));
        expectPairsClose(harrellC(time, event, risk, w).pairs, bruteForcePairs(time, event, risk, (i) => w[i], (j) => w[j]));
      }),
      { numRuns: 300 },
    );
  });

  it('integer weights equal replicated records; reversing the risk gives 1 − C; NaN when nothing is comparable', () => {
    const time = f64([5, 3, 3, 8, 1, 9, 4]), event = u8([1, 1, 0, 0, 1, 1, 1]), risk = f64([0.2, 0.9, 0.1, 0.3, 0.9, 0.05, 0.5]);
    const weights = f64([2, 1, 3, 1, 1, 2, 1]);
    const rep = { time: [] as number[], event: [] as number[], risk: [] as number[] };
    weights.forEach((w, i) => {
      for (let k = 0; k < w; k++) {
        rep.time.push(time[i]);
        rep.event.push(event[i]);
        rep.risk.push(risk[i]);
      }
    });
    const weighted = harrellC(time, event, risk, weights);
    const replicated = harrellC(f64(rep.time), u8(rep.event), f64(rep.risk));
    // Pairs between copies of one record are never comparable (tied time, same event): only tiedY/XY differ.
    expect(weighted.pairs.concordant).toBe(replicated.pairs.concordant);
    expect(weighted.pairs.discordant).toBe(replicated.pairs.discordant);
    expect(weighted.cIndex).toBeCloseTo(replicated.cIndex, 12);
    const reversed = harrellC(time, event, risk.map((r) => -r));
    expect(reversed.cIndex).toBeCloseTo(1 - harrellC(time, event, risk).cIndex, 12);
    expect(Number.isNaN(harrellC(f64([1, 2]), u8([0, 0]), f64([1, 2])).cIndex)).toBe(true);
  });

  it('rejects mismatched lengths, NaN risk, bad events and negative times', () => {
    expect(() => harrellC(f64([1, 2]), u8([1]), f64([1, 2]))).toThrow(RangeError);
    expect(() => harrellC(f64([1, 2]), u8([1, 0]), f64([1, NaN]))).toThrow(/risk\[1\]/);
    expect(() => harrellC(f64([1, 2]), u8([1, 3]), f64([1, 2]))).toThrow(/event\[1\]/);
    expect(() => harrellC(f64([1, -2]), u8([1, 0]), f64([1, 2]))).toThrow(/time\[1\]/);
  });
});

/** G(t−) of the censoring distribution by direct products (events before censorings at ties). */
function censoringBefore(time: Float64Array, event: Uint8Array, t: number): number {
  let g = 1;
  const censorTimes = [...new Set(Array.from(time).filter((_, i) => event[i] === 0))].sort((a, b) => a - b);
  for (const s of censorTimes) {
    if (s >= t) break;
    let atRisk = 0, censored = 0;
    for (let i = 0; i < time.length; i++) {
      if (time[i] > s || (time[i] === s && event[i] === 0)) atRisk++;
      if (time[i] === s && event[i] === 0) censored++;
    }
    g *= 1 - censored / atRisk;
  }
  return g;
}

function censoringAt(time: Float64Array, event: Uint8Array, t: number): number {
  return censoringBefore(time, event, t + 1e-9);
}

describe("Uno's C", () => {
  it('equals the brute-force IPCW pair sum (weights 1/G(T_i−)², truncation τ)', () => {
    fc.assert(
      fc.property(survivalSample, fc.integer({ min: 2, max: 9 }), (s, tau) => {
        const time = f64(s.time), event = u8(s.event), risk = f64(s.risk);
        const ipcw = (i: number) => (event[i] === 1 && time[i] < tau ? 1 / censoringBefore(time, event, time[i]) ** 2 : 0);
        const expected = bruteForcePairs(time, event, risk, ipcw, () => 1);
        const actual = unoC(time, event, risk, { tau }).pairs;
        for (const key of ['concordant', 'discordant', 'tiedX'] as const) {
          if (!closeTo(actual[key], expected[key])) throw new Error(`${key}: ${actual[key]} vs ${expected[key]}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("equals Harrell's C when nothing is censored (G ≡ 1)", () => {
    const time = f64([3, 1, 4, 1.5, 5, 9, 2, 6]), event = u8([1, 1, 1, 1, 1, 1, 1, 1]), risk = f64([2, 7, 1, 8, 2, 8, 1, 8]);
    expect(unoC(time, event, risk).cIndex).toBeCloseTo(harrellC(time, event, risk).cIndex, 12);
  });

  it('uses a separate censoring sample when given', () => {
    const time = f64([1, 2, 3, 4, 5]), event = u8([1, 0, 1, 0, 1]), risk = f64([5, 4, 3, 2, 1]);
    const other = unoC(time, event, risk, { censoringTime: f64([1, 2, 3, 4, 5, 6]), censoringEvent: u8([1, 1, 1, 1, 1, 1]) });
    // No censoring in the censoring sample: G ≡ 1, so Uno's C is Harrell's.
    expect(other.cIndex).toBeCloseTo(harrellC(time, event, risk).cIndex, 12);
    expect(() => unoC(time, event, risk, { censoringTime: f64([1]) })).toThrow(/both/);
  });
});

describe('Kaplan–Meier', () => {
  it('hand example: censored at an event time stays at risk; right-continuous', () => {
    const km = kaplanMeier(f64([1, 2, 2, 3, 4]), u8([1, 1, 0, 1, 0]));
    expect(Array.from(km.times)).toEqual([1, 2, 3]);
    const s = kaplanMeierAt(km, [0.5, 1, 1.5, 2, 2.5, 3, 4, 100]);
    const expected = [1, 0.8, 0.8, 0.8 * 0.75, 0.6, 0.6 * 0.5, 0.3, 0.3];
    expected.forEach((v, k) => expect(s[k]).toBeCloseTo(v, 14));
    expect(Array.from(km.atRisk)).toEqual([5, 4, 2]);
  });

  it('integer weights equal replicated records', () => {
    const time = f64([3, 1, 4, 1, 5, 9, 2, 6]), event = u8([1, 0, 1, 1, 0, 1, 1, 0]), w = f64([1, 2, 3, 1, 2, 1, 1, 2]);
    const rt: number[] = [], re: number[] = [];
    w.forEach((k, i) => {
      for (let r = 0; r < k; r++) {
        rt.push(time[i]);
        re.push(event[i]);
      }
    });
    const grid = [0.5, 1, 2, 3, 4, 5, 6, 9, 10];
    const a = kaplanMeierAt(kaplanMeier(time, event, w), grid), b = kaplanMeierAt(kaplanMeier(f64(rt), u8(re)), grid);
    grid.forEach((_, k) => expect(a[k]).toBeCloseTo(b[k], 14));
  });

  it('of a noisy histogram: counts as weighted records at the bin upper edges, negative counts as none', () => {
    // DP counts can be negative; a weight below 0 would be rejected by kaplanMeier.
    const histogram = { edges: [0, 1, 2, 4, 8], events: [2.5, -0.7, 3, 0], censored: [-1.2, 1.5, 0.5, 2] };
    const km = kaplanMeierOfHistogram(histogram)!;
    const records = kaplanMeier(f64([1, 2, 4, 4, 8]), u8([1, 0, 1, 0, 0]), f64([2.5, 1.5, 3, 0.5, 2]));
    expect(Array.from(km.times)).toEqual([1, 4]);
    expect(Array.from(km.survival)).toEqual(Array.from(records.survival));
    expect(km.survival[0]).toBeCloseTo(1 - 2.5 / 9.5, 14);
    expect(kaplanMeierOfHistogram({ edges: [0, 1, 2], events: [0, -1], censored: [3, 1] })).toBeUndefined();
  });

  it('censoring distribution: events come first at tied times', () => {
    // Times 2 (event) and 2 (censored): at 2, the event leaves before the censoring, so the censoring
    // hazard at 2 is 1 / (Y − d) = 1 / (4 − 1).
    const g = censoringKaplanMeier(f64([1, 2, 2, 3, 4]), u8([1, 1, 0, 1, 0]));
    expect(Array.from(g.times)).toEqual([2, 4]);
    expect(g.survival[0]).toBeCloseTo(1 - 1 / 3, 14);
    expect(g.survival[1]).toBe(0);
  });
});

describe('Brier score (Graf et al. 1999)', () => {
  it('without censoring it is the mean squared error of S(t) against 1{T > t}', () => {
    const time = f64([1, 2, 3, 4]), event = u8([1, 1, 1, 1]);
    const times = f64([1.5, 2.5]);
    const s = f64([0.2, 0.1, 0.9, 0.3, 0.8, 0.7, 0.5, 0.5]);
    const bs = brierScore(time, event, s, times);
    expect(bs[0]).toBeCloseTo((0.2 ** 2 + 0.1 ** 2 + 0.2 ** 2 + 0.5 ** 2) / 4, 14);
    expect(bs[1]).toBeCloseTo((0.1 ** 2 + 0.3 ** 2 + 0.3 ** 2 + 0.5 ** 2) / 4, 14);
  });

  it('equals the direct IPCW formula with censoring (G(T_i−) for events, G(t) for survivors)', () => {
    fc.assert(
      fc.property(survivalSample, fc.integer({ min: 0, max: 1000 }), (s, seed) => {
        const time = f64(s.time), event = u8(s.event);
        const n = time.length;
        const times = f64([1.5, 3, 4.5]);
        // G(t) must be positive at the evaluation times: skip samples censored out before 4.5.
        if (!(censoringAt(time, event, 4.5) > 0)) return;
        const curves = new Float64Array(n * 3);
        let x = seed + 1;
        for (let q = 0; q < curves.length; q++) {
          x = (x * 16807) % 2147483647;
          curves[q] = x / 2147483647;
        }
        const bs = brierScore(time, event, curves, times);
        for (let k = 0; k < 3; k++) {
          const t = times[k];
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const si = curves[i * 3 + k];
            if (time[i] <= t && event[i] === 1) sum += si ** 2 / censoringBefore(time, event, time[i]);
            else if (time[i] > t) sum += (1 - si) ** 2 / censoringAt(time, event, t);
          }
          if (!closeTo(bs[k], sum / n)) throw new Error(`t=${t}: ${bs[k]} vs ${sum / n}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('integrated Brier score is the trapezoid over the grid divided by its span', () => {
    const time = f64([1, 2, 3, 4, 5]), event = u8([1, 0, 1, 1, 0]);
    const times = f64([1, 2, 3, 4]);
    const curves = new Float64Array(5 * 4).fill(0.5);
    const { integratedBrier, brier } = integratedBrierScore(time, event, curves, times);
    const area = (brier[0] + brier[1]) / 2 + (brier[1] + brier[2]) / 2 + (brier[2] + brier[3]) / 2;
    expect(integratedBrier).toBeCloseTo(area / 3, 14);
    // S ≡ 1/2 scores 1/4 per record wherever the IPCW weights sum to n (here at t = 1, before any censoring).
    expect(brier[0]).toBeCloseTo(0.25, 14);
    expect(() => brierScore(time, event, curves, f64([1, 6]))).toThrow(RangeError); // G(6) = 0 (wrong size first)
    expect(() => brierScore(time, event, new Float64Array(10), f64([1, 6]))).toThrow(/G\(6\)/);
  });
});

describe('survivalNllPerRecord (grid conventions)', () => {
  const grid = f64([1, 2, 3]);
  it('events take the mass of their interval, censored records the survival at the last grid point ≤ T', () => {
    const time = f64([0.5, 1, 1.5, 3, 10, 0.5, 2, 2.5, 99]);
    const event = u8([1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const curve = [0.9, 0.6, 0.2];
    const curves = new Float64Array(time.length * 3);
    for (let i = 0; i < time.length; i++) curves.set(curve, i * 3);
    const out = survivalNllPerRecord(curves, grid, time, event, 1e-6, new Float64Array(time.length));
    const expected = [0.1, 0.1, 0.3, 0.4, 0.2, 1, 0.6, 0.6, 0.2].map((p) => -Math.log(p));
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
  });

  it('clips probabilities to [pMin, 1] (non-monotone or NaN curves give −log pMin)', () => {
    const curves = f64([0.5, 0.7, 0.1, NaN, NaN, NaN]);
    const out = survivalNllPerRecord(curves, grid, f64([1.5, 2]), u8([1, 0]), 0.01);
    expect(out[0]).toBeCloseTo(-Math.log(0.01), 12);
    expect(out[1]).toBeCloseTo(-Math.log(0.01), 12);
    expect(() => survivalNllPerRecord(curves, grid, f64([1.5, 2]), u8([1, 0]), 0)).toThrow(RangeError);
    expect(() => survivalNllPerRecord(curves, grid, f64([1.5]), u8([1]), 0.1)).toThrow(RangeError);
  });
});
