/**
 * Real-world survival files (issue 12): follow-up time 0, events coded 1/2 (R's Surv) or
 * TRUE/FALSE, and the learners and metrics on time-0 rows checked against R's survival.
 */
import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { parseCard } from '../../src/data/card.js';
import { formatTableCsv } from '../../src/data/format.js';
import { inferCardFromText } from '../../src/data/inferCard.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { harrellC, kaplanMeier } from '../../src/metrics/survival.js';
import { fitCox } from '../../src/models/survival/cox.js';
import { cohortCsv } from '../fixtures/ownData.js';

const card = (extra: Record<string, unknown> = {}) =>
  parseCard({ name: 'cohort', task: 'survival', time: 'days', event: 'status', features: [{ name: 'age', type: 'numeric' }, { name: 'grade', type: 'integer' }], ...extra });

describe('follow-up time 0 and event codings', () => {
  it('reads time 0 as valid follow-up and refuses a negative time, naming row and column', () => {
    const { table } = readTableFromTextSync(cohortCsv({ rows: 40, zeroTimes: 4 }), card(), { source: 'cohort.csv' });
    expect(Array.from(table.time!.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(table.event!.subarray(0, 4))).toEqual([1, 0, 1, 0]);
    const negative = 'age,grade,days,status\n50,1,3,1\n60,2,-1,0\n';
    expect(() => readTableFromTextSync(negative, card(), { source: 'c.csv' })).toThrow(/^c\.csv: row 2, column "days": follow-up time "-1" is not a finite number ≥ 0/);
  });

  it("maps R's 1/2 coding and TRUE/FALSE through the card's event_codes, and writes them back", () => {
    const text = cohortCsv({ rows: 30, status: '12', zeroTimes: 2 });
    const r = card({ event_codes: { event: 2, censored: 1 } });
    const { table } = readTableFromTextSync(text, r, { source: 'r.csv' });
    const statuses = text.trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    expect(Array.from(table.event!)).toEqual(statuses.map((s) => (s === '2' ? 1 : 0)));
    expect(formatTableCsv(table).trim().split('\n').slice(1).map((l) => l.split(',')[3])).toEqual(statuses);
    // Without event_codes, a 2 is refused with the way out in the message.
    expect(() => readTableFromTextSync(text, card(), { source: 'r.csv' })).toThrow(/column "status": event "[12]" is not 0 \(censored\) or 1 \(event\) \(set the card's "event_codes"/);

    const tf = 'age,grade,days,status\n50,1,3,TRUE\n60,2,0,FALSE\n';
    const { table: t2 } = readTableFromTextSync(tf, card({ event_codes: { event: 'TRUE', censored: 'FALSE' } }), { source: 'tf.csv' });
    expect(Array.from(t2.event!)).toEqual([1, 0]);
    expect(formatTableCsv(t2)).toBe('age,grade,days,status\n50,1,3,TRUE\n60,2,0,FALSE\n');
    expect(() => parseCard({ ...card(), event_codes: { event: 1, censored: '1' } })).toThrow(/event and censored codes must differ/);
  });

  it("drafts event_codes as R's Surv reads the column: {1,2} → 2 = event; TRUE/FALSE in any case; 0/1 → default", () => {
    const options = { name: 'c', source: 'c.csv', time: 'days', event: 'status' };
    expect(inferCardFromText(cohortCsv({ rows: 50, status: '12' }), options).card).toMatchObject({ event_codes: { event: 2, censored: 1 } });
    expect(inferCardFromText(cohortCsv({ rows: 50 }), options).card).not.toHaveProperty('event_codes');
    const draft = inferCardFromText('age,days,status\n1,3,true\n2,0,false\n3,5,true\n', options);
    expect(draft.card).toMatchObject({ event_codes: { event: 'true', censored: 'false' } });
    expect(draft.notes.join('\n')).toMatch(/TRUE\/FALSE/);
    expect(() => inferCardFromText('age,days,status\n1,3,dead\n2,4,alive\n', options)).toThrow(/column "status": event values "dead", "alive" are not 0\/1, 1\/2 \(R's Surv\) or TRUE\/FALSE/);
  });
});

describe("time-0 rows against R's survival 3.5 (script in the test's comments)", () => {
  // library(survival)
  // d <- data.frame(time=c(0,0,0,1,2,2,3,4,5,6,7,8,9,10), status=c(1,0,1,1,0,1,1,0,1,1,0,1,0,1),
  //                 x=c(1.2,0.3,2.1,0.5,-0.2,1.0,0.1,-1.0,0.7,-0.5,0.2,-1.3,0.0,-0.8))
  // summary(survfit(Surv(time,status)~1, data=d)); coef(coxph(Surv(time,status)~x, d, ties=...))
  // concordance(Surv(time,status)~x, data=d, reverse=TRUE)$concordance
  const time = Float64Array.from([0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const event = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1]);
  const x = Float64Array.from([1.2, 0.3, 2.1, 0.5, -0.2, 1.0, 0.1, -1.0, 0.7, -0.5, 0.2, -1.3, 0.0, -0.8]);

  it('Kaplan–Meier drops at time 0, with the row censored at 0 still at risk there', () => {
    const km = kaplanMeier(time, event);
    expect(Array.from(km.times)).toEqual([0, 1, 2, 3, 5, 6, 8, 10]);
    expect(Array.from(km.atRisk)).toEqual([14, 11, 10, 8, 6, 5, 3, 1]);
    const r = [0.8571429, 0.7792208, 0.7012987, 0.6136364, 0.5113636, 0.4090909, 0.2727273, 0];
    km.survival.forEach((s, k) => expect(s).toBeCloseTo(r[k], 7));
  });

  it("Cox (Efron and Breslow) and Harrell's C match R with events at time 0", () => {
    const X = matrix(14, 1, x);
    expect(fitCox(X, { task: 'survival', time, event }, undefined, { ties: 'efron' }).coefficients[0]).toBeCloseTo(1.6062318161, 7);
    expect(fitCox(X, { task: 'survival', time, event }, undefined, { ties: 'breslow' }).coefficients[0]).toBeCloseTo(1.51826738255, 7);
    expect(harrellC(time, event, x).cIndex).toBeCloseTo(0.868852459016, 10);
  });
});
