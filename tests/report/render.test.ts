import { describe, expect, it } from 'vitest';
import { compareOnHeldOut } from '../../src/condense/evaluation.js';
import { condense } from '../../src/condense/condense.js';
import { parseCard } from '../../src/data/card.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { splitTable } from '../../src/data/table.js';
import { renderReport } from '../../src/report/render.js';
import { CLINIC_CARD, clinicCsv, cohortCsv } from '../fixtures/ownData.js';

const clinicCard = parseCard({ ...CLINIC_CARD, name: 'clinic <ward & "A">' });

async function clinicRun() {
  const { table } = readTableFromTextSync(clinicCsv({ rows: 200 }), clinicCard, { source: 'clinic.csv' });
  const { train, test } = splitTable(table, Int32Array.from({ length: 50 }, (_, i) => 4 * i));
  const result = await condense({ train, rows: 20, epsilon: 3, steps: 4, directions: 2, seed: 1 });
  return { table, train, test, result };
}

/** Every URL-like reference in the page: only the SVG namespaces are allowed. */
function externalReferences(html: string): string[] {
  return (html.match(/(?:https?:|\/\/)[^\s"'<>)]+/g) ?? []).filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u));
}

describe('renderReport', () => {
  it('is one self-contained page: inline SVG charts, no script, no external reference, the card text escaped', async () => {
    const { result } = await clinicRun();
    const html = await renderReport({ card: clinicCard, receipt: result.receipt, synthetic: result.synthetic, released: result.released, trace: result.trace });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(externalReferences(html)).toEqual([]);
    // One chart per feature plus the trace.
    expect(html.match(/<svg/g)).toHaveLength(5);
    expect(html).toContain('clinic &lt;ward &amp; &quot;A&quot;&gt;');
    expect(html).not.toContain('<ward');
    expect(html).toContain('@media print');
  });

  it('explains the receipt in plain language and says when the release is not private', async () => {
    const { result } = await clinicRun();
    const html = await renderReport({ card: clinicCard, receipt: result.receipt, synthetic: result.synthetic });
    const e = result.receipt.epsilon as number;
    expect(html).toContain(`at most ${Number(Math.exp(e).toPrecision(3))} times`);
    expect(html).toMatch(/What δ = 0\.00001 means/);
    expect(html).toMatch(/This is <strong>not<\/strong> a private release: .*seed/);
    expect(html).toMatch(/What is public\..*category levels/s);
    for (const entry of result.receipt.entries) expect(html).toContain(entry.purpose!);
  });

  it("lists the receipt's warnings, escaped, and has no warnings block when there are none", async () => {
    const { result } = await clinicRun();
    const quiet = await renderReport({ card: clinicCard, receipt: { ...result.receipt, warnings: [] }, synthetic: result.synthetic });
    expect(quiet).not.toContain('Warnings in the receipt');
    const warned = { ...result.receipt, warnings: ['the cohort is small for ε = 3: <about 90 records>', 'an unpenalised Cox fit diverges'] };
    const html = await renderReport({ card: clinicCard, receipt: warned, synthetic: result.synthetic });
    expect(html).toContain('Warnings in the receipt');
    expect(html).toContain('<li>the cohort is small for ε = 3: &lt;about 90 records&gt;</li>');
    expect(html).toContain('<li>an unpenalised Cox fit diverges</li>');
  });

  it('is public by default; held-out utility or real histograms make it custodian-only, marked', async () => {
    const { train, test, result } = await clinicRun();
    const shared = await renderReport({ card: clinicCard, receipt: result.receipt, synthetic: result.synthetic, released: result.released });
    expect(shared).toContain('may be shared together with the release');
    expect(shared).not.toMatch(/CUSTODIAN ONLY|custodian only/);
    // No real value reaches a shared report: every number in it comes from the synthetic table or DP outputs.
    expect(shared).not.toContain('Real data');

    const evaluation = compareOnHeldOut({ synthetic: result.synthetic, train, test, learners: ['logistic'], replicates: 50 });
    const withUtility = await renderReport({ card: clinicCard, receipt: result.receipt, synthetic: result.synthetic, evaluation });
    expect(withUtility).toMatch(/CUSTODIAN ONLY: this report contains sections computed from real patient records/);
    expect(withUtility).toContain(`${evaluation.rows[0].full.estimate.toFixed(3)} <span class="ci">[${evaluation.rows[0].full.low.toFixed(3)}, ${evaluation.rows[0].full.high.toFixed(3)}]`);

    const withReal = await renderReport({ card: clinicCard, receipt: result.receipt, synthetic: result.synthetic, custodianReal: train });
    expect(withReal).toMatch(/Real data <span class="tag">custodian only — not private/);
    expect(withReal).toMatch(/CUSTODIAN ONLY/);
  });

  it('survival: Kaplan–Meier of the synthetic table against the released DP time histogram', async () => {
    const card = parseCard({ name: 'cohort', task: 'survival', time: 'days', event: 'status', features: [{ name: 'age', type: 'numeric', bounds: [18, 100] }, { name: 'grade', type: 'integer', bounds: [1, 3] }] });
    const { table } = readTableFromTextSync(cohortCsv({ rows: 400, zeroTimes: 5 }), card, { source: 'cohort.csv' });
    const result = await condense({ train: table, rows: 20, epsilon: 3, steps: 2, directions: 2, seed: 4 });
    const html = await renderReport({ card, receipt: result.receipt, synthetic: result.synthetic, released: result.released });
    expect(html).toContain('<h2>Survival</h2>');
    expect(html).toMatch(/Red, dashed: the Kaplan–Meier curve implied by the DP histograms/);
    const survivalFigure = html.slice(html.indexOf('<h2>Survival</h2>'));
    expect(survivalFigure).toContain('released DP histogram');
    expect(survivalFigure).toContain('synthetic table');
  });
});

describe('a survival cohort too small for its ε', () => {
  const card = parseCard({ name: 'cohort', task: 'survival', time: 'days', event: 'status', features: [{ name: 'age', type: 'numeric', bounds: [18, 100] }, { name: 'grade', type: 'integer', bounds: [1, 3] }] });

  it('condenses from merged time bins when every fine event bin is under its noise floor', async () => {
    // With seed 3, 200 rows at ε = 3 leave every fine event bin under its threshold (this used to fail
    // inside Cox on NaN times, then was refused); merged bins clear theirs, so the run completes.
    const { table } = readTableFromTextSync(cohortCsv({ rows: 200 }), card, { source: 'small.csv' });
    const result = await condense({ train: table, rows: 20, epsilon: 3, steps: 2, directions: 2, seed: 3 });
    expect(Array.from(result.synthetic.time!).every((t) => Number.isFinite(t) && t >= 0)).toBe(true);
  });

});
