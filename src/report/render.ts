/**
 * The release report: one self-contained HTML page (inline CSS and SVG, no script, no network) for
 * a clinician or an information-governance officer, rendered by a pure function from what a run
 * produced. Isomorphic: `dpcondense report`, `condense --report` and the browser app call it alike.
 *
 * What goes in, and why it may: the receipt, the synthetic table, the DP statistics the run
 * released and the private optimisation trace are the release or DP outputs, so a report made of
 * them alone can travel with the release. Two inputs read real records and are for the custodian
 * only: the held-out evaluation, and — off unless asked for — histograms of the real data. When
 * either is present the page says so at the top and marks the sections.
 */
import type { ReleasedStatistics } from '../condense/condense.js';
import type { HeldOutComparison, Interval } from '../condense/evaluation.js';
import type { DatasetCard, FeatureSpec } from '../data/card.js';
import type { FeatureColumn, Table } from '../data/table.js';
import { kaplanMeier, kaplanMeierOfHistogram } from '../metrics/survival.js';
import type { PrivacyReceipt } from '../privacy/receipt.js';
import { SERIES_COLOURS, histogramSpec, levelSharesSpec, renderSvg, stepCurvesSpec, traceSpec, type CurvePoint, type HistogramBar, type LevelShare } from './charts.js';

export interface ReportInput {
  card: DatasetCard;
  receipt: PrivacyReceipt;
  synthetic: Table;
  /** The DP statistics the run released (absent: the synthetic distributions are shown alone). */
  released?: ReleasedStatistics;
  trace?: readonly { step: number; loss: number; smoothedLoss: number }[];
  /** Custodian only: `evaluate`'s comparison on real test rows. */
  evaluation?: HeldOutComparison;
  /** Custodian only, off by default: real rows whose histograms are shown in a marked section. */
  custodianReal?: Table;
  title?: string;
}

const HISTOGRAM_BINS = 12;

/** Render the report as a complete HTML document. */
export async function renderReport(input: ReportInput): Promise<string> {
  const custodianOnly = Boolean(input.evaluation || input.custodianReal);
  const sections = [
    receiptSection(input.receipt, input.card),
    input.evaluation ? utilitySection(input.evaluation) : '',
    await featuresSection(input),
    input.card.task === 'survival' ? await survivalSection(input) : '',
    input.trace && input.trace.length ? await traceSection(input.trace) : '',
    input.custodianReal ? await custodianRealSection(input.custodianReal) : '',
  ];
  const title = input.title ?? `Synthetic release of ${input.card.title ?? input.card.name}`;
  const banner = custodianOnly
    ? `<div class="banner custodian">CUSTODIAN ONLY: this report contains sections computed from real patient records (marked below). They are not differentially private. Do not share this file outside the data custodian's organisation; make a report without them to go with the release.</div>`
    : `<div class="banner public">Everything in this report is public or differentially private: it may be shared together with the release.</div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(input.receipt.software.name)} ${escapeHtml(input.receipt.software.version)} · receipt created ${escapeHtml(input.receipt.created_at)} · ${input.synthetic.nRows} synthetic rows · task: ${input.card.task}</p>
${banner}
</header>
<main>
${sections.filter(Boolean).join('\n')}
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Privacy receipt in plain language

function receiptSection(receipt: PrivacyReceipt, card: DatasetCard): string {
  const epsilon = typeof receipt.epsilon === 'number' ? receipt.epsilon : Infinity;
  const verdict = receipt.private_release
    ? `<p class="verdict ok">This is a valid private release: (ε = ${fmt(epsilon)}, δ = ${receipt.delta})-differential privacy.</p>`
    : `<p class="verdict not">This is <strong>not</strong> a private release: ${receipt.reasons_not_private.map(escapeHtml).join('; ') || 'see the receipt'}.</p>`;
  const factor = Number.isFinite(epsilon) ? Math.exp(epsilon) : Infinity;
  const meaning = Number.isFinite(epsilon)
    ? `<p><strong>What ε = ${fmt(epsilon)} means for a patient.</strong> Take any patient in the data. Whatever anyone does with this release, every conclusion they could reach is at most ${fmt(factor)} times (e<sup>ε</sup>) more likely, or less likely, than it would have been had that patient's record never been used. This holds for every patient, whatever else the reader knows. Smaller ε is stronger protection; values from 1 to 10 are common in practice.</p>
<p><strong>What δ = ${receipt.delta} means.</strong> δ is the small probability, allowed by the accounting, that the bound above does not hold. It should be much smaller than one over the number of patients.</p>`
    : `<p><strong>No privacy guarantee:</strong> ε is infinite (a non-private run).</p>`;
  const entries = receipt.entries
    .map((e) => `<tr><td>${escapeHtml(e.name.replace(/_/g, ' '))}</td><td>${escapeHtml(e.purpose ?? '')}</td><td class="num">${fmtJson(e.epsilon_after)}</td></tr>`)
    .join('');
  const bounds = card.features.filter((f) => f.bounds).length;
  // What the receipt warns a recipient about (a Cox fit that diverges, a cohort small for its ε, …).
  const warnings = receipt.warnings.length
    ? `<div class="warnings"><p><strong>Warnings in the receipt.</strong></p><ul>${receipt.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`
    : '';
  return `<section>
<h2>Privacy</h2>
${verdict}
${warnings}
${meaning}
<p><strong>What is public.</strong> The dataset card — column names, types, the ${card.features.length} features' category levels, and public bounds for ${bounds} of them — and the settings listed in the receipt (table size, budget, steps and the like) are treated as known to everybody; they carry no protection. Everything else that left the data went through the differentially private mechanisms below, each charged to one privacy ledger before its noisy result existed; the synthetic table is computed from their results only.</p>
<table><thead><tr><th>mechanism</th><th>what it measured</th><th class="num">ε spent so far</th></tr></thead><tbody>${entries}</tbody></table>
<p class="small">Accountant: ${escapeHtml(receipt.accountant)}. Randomness: ${receipt.randomness.cryptographically_secure ? 'cryptographically secure' : 'NOT cryptographically secure'}${receipt.randomness.reproducible ? ', reproducible (seeded)' : ''}. Input fingerprint (${escapeHtml(receipt.input_fingerprint.algorithm)}): <code>${escapeHtml(receipt.input_fingerprint.hex.slice(0, 16))}…</code></p>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Utility (custodian only)

function utilitySection(c: HeldOutComparison): string {
  const metric = c.metric === 'auroc' ? 'AUROC' : "Harrell's C";
  const level = Math.round(c.bootstrap.level * 100);
  const rows = c.rows
    .map((r) => `<tr><td>${escapeHtml(r.learner)}</td><td class="num">${interval(r.synthetic)}</td><td class="num">${interval(r.full)}</td><td class="num">${interval(r.subset)}</td><td class="num">${interval(r.gap, true)}</td></tr>`)
    .join('');
  return `<section class="custodian">
<h2>Utility on real held-out patients <span class="tag">custodian only</span></h2>
<p>Each learner trained on the ${c.syntheticRows} synthetic rows, on all ${c.trainRows} real training rows, and on random real subsets of ${c.subsetRows} rows (mean of ${c.subsets}), scored by ${metric} on ${c.testRows} real patients the condensation never saw. Brackets: ${level}% bootstrap intervals over test patients (${c.bootstrap.replicates} resamples); they cover the test-set noise, not the randomness of the condensation. These numbers read real records: they are not private.</p>
<table><thead><tr><th>learner</th><th class="num">synthetic</th><th class="num">all real training rows</th><th class="num">random real subset</th><th class="num">synthetic − all real</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function interval(i: Interval, signed = false): string {
  const f = (v: number) => (Number.isFinite(v) ? (signed && v >= 0 ? '+' : '') + v.toFixed(3) : 'n/a');
  return `${f(i.estimate)} <span class="ci">[${f(i.low)}, ${f(i.high)}]</span>`;
}

// ---------------------------------------------------------------------------------------------
// Per-feature distributions: synthetic table against the released DP statistics

async function featuresSection(input: ReportInput): Promise<string> {
  const figures: string[] = [];
  for (const column of input.synthetic.features) {
    const released = input.released?.features.find((f) => f.name === column.spec.name);
    figures.push(await featureFigure(column, released, input.card.features.find((f) => f.name === column.spec.name) ?? column.spec));
  }
  const legend = input.released
    ? `Bars: the synthetic table (<span style="color:${SERIES_COLOURS.synthetic}">blue</span>). Red: what the run released under DP — for numbers the DP mean (dashed) and a normal curve with the DP mean and spread; for categories the DP level frequencies. They are noisy, pooled over strata, and only a summary: the synthetic rows need not match them exactly.`
    : 'The synthetic table only: the DP statistics of the run were not given to the report.';
  return `<section>
<h2>Feature distributions</h2>
<p>${legend} No real record is shown here.</p>
<div class="grid">${figures.join('\n')}</div>
</section>`;
}

async function featureFigure(column: FeatureColumn, released: ReleasedStatistics['features'][number] | undefined, spec: FeatureSpec): Promise<string> {
  const name = spec.name;
  if (spec.type === 'binary' || spec.type === 'categorical') {
    const labels = (spec.categories ?? [0, 1]).map(String);
    const shares: LevelShare[] = levelShares(column, labels.length).map((share, k) => ({ level: labels[k], series: 'synthetic', share }));
    const colours: Record<string, string> = { synthetic: SERIES_COLOURS.synthetic };
    if (released) {
      const dp = spec.type === 'binary' ? [1 - released.mean, released.mean] : (released.levelProbabilities ?? []);
      const clipped = dp.map((p) => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0));
      clipped.forEach((share, k) => shares.push({ level: labels[k], series: 'released (DP)', share }));
      colours['released (DP)'] = SERIES_COLOURS.released;
    }
    return figure(name, await renderSvg(levelSharesSpec(name, shares, colours)));
  }
  const bars = histogram(column, displayRange(column, released, spec));
  const reference = released && Number.isFinite(released.mean) ? { mean: released.mean, sd: released.sd, label: 'released (DP)' } : undefined;
  return figure(name, await renderSvg(histogramSpec(name, bars, SERIES_COLOURS.synthetic, reference)));
}

function figure(name: string, svg: string): string {
  return `<figure><figcaption>${escapeHtml(name)}</figcaption>${svg}</figure>`;
}

/** Share of the non-missing rows at each level index. */
function levelShares(column: FeatureColumn, levels: number): number[] {
  const counts = new Array<number>(levels).fill(0);
  const values = column.values; // read once: a copy when the table is stored row-major
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (column.missing[i]) continue;
    counts[values[i]]++;
    n++;
  }
  return counts.map((c) => (n ? c / n : 0));
}

function observedRange(column: FeatureColumn): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const values = column.values; // read once: a copy when the table is stored row-major
  for (let i = 0; i < values.length; i++) {
    if (column.missing[i]) continue;
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (!Number.isFinite(lo)) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/**
 * The x range of a numeric chart: the synthetic values and the DP mean ± 3 DP sd, inside the bounds
 * the run used (DP-estimated bounds are deliberately wide, and would squash the histogram).
 */
function displayRange(column: FeatureColumn, released: ReleasedStatistics['features'][number] | undefined, spec: FeatureSpec): [number, number] {
  let [lo, hi] = observedRange(column);
  if (released && Number.isFinite(released.mean) && Number.isFinite(released.sd)) {
    lo = Math.min(lo, released.mean - 3 * released.sd);
    hi = Math.max(hi, released.mean + 3 * released.sd);
  }
  const bounds = released?.bounds ?? spec.bounds;
  if (bounds) {
    lo = Math.max(lo, bounds[0]);
    hi = Math.min(hi, bounds[1]);
  }
  return lo < hi ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

/** Equal-width bins over `range`; values outside go to the end bins. */
function histogram(column: FeatureColumn, range: [number, number]): HistogramBar[] {
  const [lo, hi] = range[0] < range[1] ? range : [range[0] - 0.5, range[0] + 0.5];
  const width = (hi - lo) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const values = column.values; // read once: a copy when the table is stored row-major
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (column.missing[i]) continue;
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((values[i] - lo) / width)));
    counts[b]++;
    n++;
  }
  return counts.map((c, b) => ({ start: lo + b * width, end: lo + (b + 1) * width, share: n ? c / n : 0 }));
}

// ---------------------------------------------------------------------------------------------
// Survival: Kaplan–Meier of the synthetic table against the released DP time histogram

async function survivalSection(input: ReportInput): Promise<string> {
  const points: CurvePoint[] = [];
  const synthetic = kaplanMeier(input.synthetic.time!, input.synthetic.event!);
  pushCurve(points, 'synthetic table', synthetic.times, synthetic.survival);
  const colours: Record<string, string> = { 'synthetic table': SERIES_COLOURS.synthetic };
  const histogram = input.released?.timeHistogram;
  let note = 'The DP time histogram of the run was not given to the report.';
  if (histogram) {
    const curve = kaplanMeierOfHistogram(histogram);
    if (curve) {
      pushCurve(points, 'released DP histogram', curve.times, curve.survival);
      colours['released DP histogram'] = SERIES_COLOURS.released;
      note = 'Red, dashed: the Kaplan–Meier curve implied by the DP histograms of event and censoring times that the run released (events and censorings placed at the upper edge of their bin of the public log-time grid).';
    }
  }
  const unit = input.card.task === 'survival' && input.card.time_unit ? ` (${input.card.time_unit})` : '';
  const svg = await renderSvg(stepCurvesSpec(`follow-up time${unit}`, 'survival probability', points, colours));
  return `<section>
<h2>Survival</h2>
<p>Blue, solid: Kaplan–Meier curve of the synthetic table. ${note} No real record is shown here.</p>
<figure>${svg}</figure>
</section>`;
}

function pushCurve(points: CurvePoint[], series: string, times: Float64Array, survival: Float64Array): void {
  points.push({ x: 0, y: 1, series });
  for (let k = 0; k < times.length; k++) points.push({ x: times[k], y: survival[k], series });
}

// ---------------------------------------------------------------------------------------------
// Optimisation trace, and the custodian-only real histograms

async function traceSection(trace: NonNullable<ReportInput['trace']>): Promise<string> {
  const points: CurvePoint[] = [];
  for (const t of trace) {
    points.push({ x: t.step, y: t.loss, series: 'loss (private estimate per step)' });
    points.push({ x: t.step, y: t.smoothedLoss, series: 'running mean' });
  }
  return `<section>
<h2>Optimisation</h2>
<p>The loss of the learner trained on the synthetic rows, measured on real records at each step through the DP mechanism (so it is noisy, and private). A falling curve means the steps improved the table.</p>
<figure>${await renderSvg(traceSpec(points))}</figure>
</section>`;
}

async function custodianRealSection(real: Table): Promise<string> {
  const figures: string[] = [];
  for (const column of real.features) {
    const spec = column.spec;
    if (spec.type === 'binary' || spec.type === 'categorical') {
      const labels = (spec.categories ?? [0, 1]).map(String);
      const shares = levelShares(column, labels.length).map((share, k) => ({ level: labels[k], series: 'real', share }));
      figures.push(figure(spec.name, await renderSvg(levelSharesSpec(spec.name, shares, { real: SERIES_COLOURS.real }))));
    } else {
      const range = spec.bounds ?? observedRange(column);
      figures.push(figure(spec.name, await renderSvg(histogramSpec(spec.name, histogram(column, range), SERIES_COLOURS.real))));
    }
  }
  return `<section class="custodian">
<h2>Real data <span class="tag">custodian only — not private</span></h2>
<p>Histograms of the ${real.nRows} real rows the condensation read. Exact statistics of patient records: never share this section.</p>
<div class="grid">${figures.join('\n')}</div>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// HTML helpers

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '∞';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

function fmtJson(v: number | string | undefined): string {
  return typeof v === 'number' ? fmt(v) : escapeHtml(String(v ?? ''));
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
.meta, .small { color: #555; font-size: 0.85rem; }
.banner { padding: 0.6rem 0.8rem; border-radius: 4px; margin: 0.8rem 0; font-weight: bold; }
.banner.public { background: #e8f4ea; border: 1px solid #4a8f57; }
.banner.custodian { background: #fdecea; border: 2px solid #c0392b; }
.verdict.ok { color: #2d6a3e; font-weight: bold; }
.verdict.not { color: #c0392b; font-weight: bold; }
.warnings { border-left: 4px solid #b7791f; padding-left: 0.8rem; }
section.custodian { border-left: 4px solid #c0392b; padding-left: 0.8rem; }
.tag { font-size: 0.75rem; background: #c0392b; color: white; padding: 0.1rem 0.4rem; border-radius: 3px; vertical-align: middle; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ci { color: #666; font-size: 0.85em; }
.grid { display: flex; flex-wrap: wrap; gap: 0.8rem; }
figure { margin: 0.4rem 0; }
figcaption { font-weight: bold; font-size: 0.9rem; }
svg { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  section, figure, table { break-inside: avoid; }
  h2 { break-after: avoid; }
  .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
