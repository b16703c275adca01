/**
 * The results of a run: held-out scores (synthetic vs all real training rows vs a random real
 * subset), the synthetic table against the DP statistics that were released, Kaplan–Meier curves
 * for survival, and the receipt in plain language. Full-precision values sit in `data-value`
 * attributes so tests can compare them with the CLI's exactly.
 */
import type { CondenseJobResult } from '../../src/job/protocol.js';
import type { HeldOutRow } from '../../src/condense/evaluation.js';
import type { ReleasedFeature } from '../../src/condense/condense.js';
import type { FeatureColumn, Table } from '../../src/data/table.js';
import { kaplanMeier, kaplanMeierOfHistogram } from '../../src/metrics/survival.js';
import { lineChart, pairedBars, rangeComparison } from './charts.js';
import { formatNumber, h } from './dom.js';
import { receiptInPlainLanguage } from './receiptText.js';

const METRIC_NAMES = { auroc: 'AUROC', harrell_c: "Harrell's C" } as const;

export function renderResults(container: HTMLElement, result: CondenseJobResult): void {
  const { condensed } = result;
  const synthetic = condensed.synthetic;
  container.replaceChildren(
    h('h2', { id: 'results-heading', tabindex: '-1' }, '4. Results'),
    h('p', {}, `${synthetic.nRows} synthetic rows from ${result.trainRows} real training rows.`),
    heldOutSection(result),
    distributionsSection(synthetic, condensed.released.features),
    ...(synthetic.card.task === 'survival' ? [survivalSection(result)] : []),
    h('section', { 'aria-labelledby': 'receipt-heading' },
      h('h3', { id: 'receipt-heading' }, 'Privacy receipt in plain language'),
      h('ul', { class: 'receipt' }, ...receiptInPlainLanguage(condensed.receipt).map((line) => h('li', {}, line)))),
  );
}

function heldOutSection(result: CondenseJobResult): HTMLElement {
  const section = h('section', { 'aria-labelledby': 'heldout-heading' }, h('h3', { id: 'heldout-heading' }, 'How well models trained on it predict held-out patients'));
  const c = result.evaluation;
  if (!c) {
    section.append(h('p', {}, 'No held-out rows were kept back for this run (the holdout was set to 0 %), so there is nothing to score on.'));
    return section;
  }
  const round3 = (v: number) => formatNumber(Math.round(v * 1000) / 1000);
  const signed = (v: number) => (v > 0 ? '+' : '') + round3(v);
  const cell = (r: HeldOutRow, kind: 'synthetic' | 'full' | 'subset' | 'gap') => {
    const { estimate, low, high } = r[kind];
    const show = kind === 'gap' ? signed : round3;
    return h('td', { 'data-value': String(estimate), 'data-low': String(low), 'data-high': String(high), 'data-kind': kind, 'data-learner': r.learner },
      show(estimate), h('span', { class: 'interval' }, ` (${show(low)} to ${show(high)})`));
  };
  section.append(
    h('p', { class: 'custodian-note' },
      h('strong', {}, 'For your eyes only. '),
      `This evaluation reads real data: ${c.testRows} real patients the condensation never saw, and the ${c.trainRows} real training rows. ` +
        'It is not differentially private and is not part of the release (the synthetic CSV and its receipt); do not share it.'),
    h('table', { id: 'heldout-table' },
      h('caption', {}, `Held-out ${METRIC_NAMES[c.metric]} of each learner by what it was trained on (higher is better), with ${Math.round(c.bootstrap.level * 100)}% bootstrap intervals over the held-out patients (${c.bootstrap.replicates} resamples)`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Learner'), h('th', { scope: 'col' }, `Synthetic (${c.syntheticRows} rows)`), h('th', { scope: 'col' }, `All real training rows (${c.trainRows})`), h('th', { scope: 'col' }, `Random real subsets (${c.subsetRows} rows, mean of ${c.subsets})`), h('th', { scope: 'col' }, 'Synthetic − all real'))),
      h('tbody', {}, ...c.rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.learner), cell(r, 'synthetic'), cell(r, 'full'), cell(r, 'subset'), cell(r, 'gap'))))),
  );
  return section;
}

function distributionsSection(synthetic: Table, released: ReleasedFeature[]): HTMLElement {
  const section = h('section', { 'aria-labelledby': 'dist-heading' },
    h('h3', { id: 'dist-heading' }, 'Synthetic table vs the released DP statistics'),
    h('p', {}, 'The DP statistics are the noisy measurements the run released (and paid for); the synthetic rows should stay close to them. Neither shows your raw data.'));
  const rows = synthetic.features.map((column, j) => {
    const r = released[j];
    const syn = columnStats(column);
    const spec = column.spec;
    const numeric = spec.type === 'numeric' || spec.type === 'integer';
    return h('tr', {},
      h('th', { scope: 'row' }, spec.name),
      h('td', {}, spec.type),
      h('td', {}, numeric ? `${formatNumber(r.mean)} ± ${formatNumber(r.sd)}` : levelText(spec.categories, r)),
      h('td', {}, numeric ? `${formatNumber(syn.mean)} ± ${formatNumber(syn.sd)}` : levelText(spec.categories, { levelProbabilities: syn.shares })),
      h('td', {}, numeric ? `${formatNumber(r.bounds[0])} to ${formatNumber(r.bounds[1])}` : '—'));
  });
  section.append(h('table', { id: 'distribution-table' },
    h('caption', {}, 'Per feature: mean ± standard deviation (numbers) or share of each category'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Feature'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Released DP'), h('th', { scope: 'col' }, 'Synthetic'), h('th', { scope: 'col' }, 'Bounds used'))),
    h('tbody', {}, ...rows)));
  const charts = h('div', { class: 'chart-grid' });
  const numeric = synthetic.features
    .map((column, j) => ({ column, r: released[j] }))
    .filter(({ column }) => column.spec.type === 'numeric' || column.spec.type === 'integer');
  if (numeric.length) {
    charts.append(rangeComparison({
      title: 'Numeric features: mean ± standard deviation within the bounds, released DP vs synthetic',
      a: 'released DP',
      b: 'synthetic',
      rows: numeric.map(({ column, r }) => ({ name: column.spec.name, bounds: r.bounds, a: { mean: r.mean, sd: r.sd }, b: columnStats(column) })),
    }));
  }
  synthetic.features.forEach((column, j) => {
    const spec = column.spec;
    if (spec.type === 'numeric' || spec.type === 'integer') return;
    const levels = (spec.categories ?? [0, 1]).map(String);
    const dp = released[j].levelProbabilities ?? [1 - released[j].mean, released[j].mean];
    charts.append(pairedBars({ title: `${spec.name}: share of each category`, categories: levels, a: { label: 'released DP', values: dp }, b: { label: 'synthetic', values: columnStats(column).shares } }));
  });
  if (charts.childElementCount) section.append(charts);
  return section;
}

function levelText(categories: FeatureColumn['spec']['categories'], r: { levelProbabilities?: number[]; mean?: number }): string {
  const levels = (categories ?? [0, 1]).map(String);
  const p = r.levelProbabilities ?? [1 - (r.mean ?? NaN), r.mean ?? NaN];
  return levels.map((l, k) => `${l}: ${(p[k] * 100).toFixed(0)}%`).join(', ');
}

function columnStats(column: FeatureColumn): { mean: number; sd: number; shares: number[] } {
  let n = 0, sum = 0, sum2 = 0;
  const k = column.spec.type === 'categorical' ? column.spec.categories!.length : 2;
  const counts = new Array<number>(k).fill(0);
  const values = column.values; // read once: a copy when the table is stored row-major
  for (let i = 0; i < values.length; i++) {
    if (column.missing[i]) continue;
    const v = values[i];
    n++; sum += v; sum2 += v * v;
    if (column.spec.type === 'categorical' || column.spec.type === 'binary') counts[v]++;
  }
  const mean = sum / n;
  return { mean, sd: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), shares: counts.map((c) => c / Math.max(1, n)) };
}

function survivalSection(result: CondenseJobResult): HTMLElement {
  const synthetic = result.condensed.synthetic;
  const syn = kaplanMeier(synthetic.time!, synthetic.event!);
  const dp = kaplanMeierOfHistogram(result.condensed.released.timeHistogram!);
  const withStart = (c: { times: Float64Array; survival: Float64Array }) => ({ xs: [0, ...c.times], ys: [1, ...c.survival] });
  const lastTime = Math.max(syn.times.at(-1) ?? 0, ...synthetic.time!);
  const dpCurve = dp ? withStart(dp) : { xs: [], ys: [] };
  const keep = dpCurve.xs.filter((x) => x <= lastTime * 1.05).length;
  return h('section', { 'aria-labelledby': 'km-heading' },
    h('h3', { id: 'km-heading' }, 'Kaplan–Meier survival'),
    h('p', {}, 'Survival estimated from the synthetic rows, and from the DP histograms of event and censoring times the run released.'),
    lineChart({
      title: 'Kaplan–Meier survival: synthetic vs released DP histograms',
      xLabel: `time${synthetic.card.task === 'survival' && synthetic.card.time_unit ? ` (${synthetic.card.time_unit})` : ''}`,
      yLabel: 'survival',
      yRange: [0, 1],
      series: [
        { label: 'synthetic table', ...withStart(syn), step: true, style: 1 },
        { label: 'released DP histograms', xs: dpCurve.xs.slice(0, keep), ys: dpCurve.ys.slice(0, keep), step: true, style: 0 },
      ],
    }));
}
