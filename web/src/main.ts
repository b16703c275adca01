/**
 * The browser app: choose data → review the card → settings → run in a Web Worker → results and
 * downloads. Plain TypeScript over the DOM; every computation is the core's (`src/`), run locally.
 */
import { parseCardText } from '../../src/data/dataset.js';
import type { DatasetCard } from '../../src/data/card.js';
import { inferCardFromRecords } from '../../src/data/inferCard.js';
import { tokenizeCsv, type CsvRecordSink } from '../../src/data/csv.js';
import { deliverParquetRecords, hasParquetExtension, hasParquetMagic, readParquetRecords } from '../../src/data/parquet.js';
import type { CondenseProgress } from '../../src/condense/condense.js';
import { describeJobError, type CondenseJobRequest, type CondenseJobResult, type FitsPlacement, type JobError, type JobEvent } from '../../src/job/protocol.js';
import { learnerSpecs } from '../../src/models/registry.js';
import { DEFAULT_LEARNERS, formatLearnerChoice, learnerChoiceName, type LearnerChoice } from '../../src/condense/settings.js';
import { BUNDLED_DATASETS } from './bundled.js';
import { renderCardEditor } from './cardEditor.js';
import { lineChart } from './charts.js';
import { formatNumber, h } from './dom.js';
import { downloadText } from './downloads.js';
import { renderResults } from './results.js';
import { JobRunner } from './runner.js';
import { MAX_POOL_WORKERS, defaultPoolSize } from './parallel/poolSize.js';
import './style.css';

interface Source {
  /** Bundled dataset name, or the uploaded file's name. */
  name: string;
  bundled: boolean;
  /** The file's bytes (CSV or Parquet: the job tells them apart by Parquet's magic number), or a bundled CSV's text. */
  csv: string | Uint8Array;
  /** Delivers the file's records, header first, to card drafting (a CSV's tokens, or a Parquet file's cells as CSV text). */
  replay?: (sink: CsvRecordSink) => void;
  split?: string;
}

const state: { source?: Source; card?: DatasetCard; result?: CondenseJobResult } = {};
const runner = new JobRunner();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- 1. Data ---------------------------------------------------------------------------------
const datasetSelect = $<HTMLSelectElement>('dataset-select');
for (const d of BUNDLED_DATASETS) datasetSelect.append(h('option', { value: d.name }, d.name));
$('use-bundled').addEventListener('click', () => {
  const d = BUNDLED_DATASETS.find((x) => x.name === datasetSelect.value);
  if (!d) return showError('data-error', { kind: 'data', message: 'Choose a dataset first.' });
  clearError('data-error');
  state.source = { name: d.name, bundled: true, csv: d.csv, split: d.split };
  $('outcome-fieldset').hidden = true;
  setCard(parseCardText(d.card, `${d.name}.json`));
  $('data-status').textContent = `Using the bundled dataset “${d.name}” with its fixed test split.`;
});

const fileInput = $<HTMLInputElement>('file-input');
const dropZone = $('drop-zone');
fileInput.addEventListener('change', () => fileInput.files?.[0] && loadFile(fileInput.files[0]));
dropZone.addEventListener('dragover', (e) => {
  e.preventDefault();
  dropZone.classList.add('dragging');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
dropZone.addEventListener('drop', (e) => {
  e.preventDefault();
  dropZone.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file) void loadFile(file);
});

async function loadFile(file: File): Promise<void> {
  clearError('data-error');
  const bytes = new Uint8Array(await file.arrayBuffer());
  let header: string[] = [];
  let replay: (sink: CsvRecordSink) => void;
  let described: string;
  if (hasParquetExtension(file.name) || hasParquetMagic(bytes)) {
    // Parquet is decoded here, in the page (hyparquet, as the CLI), into the records of its CSV export.
    try {
      const records = await readParquetRecords(bytes, file.name);
      header = [...records.header];
      replay = (sink) => deliverParquetRecords(records, sink);
      described = `Parquet, ${records.rows.toLocaleString('en')} rows × ${header.length} columns`;
    } catch (error) {
      return showError('data-error', describeJobError(error));
    }
  } else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return showError('data-error', { kind: 'data', file: file.name, message: `${file.name}: the file is not valid UTF-8 text` });
    }
    try {
      const firstLine = text.slice(0, text.search(/\r?\n/) >= 0 ? text.search(/\r?\n/) : undefined);
      tokenizeCsv(firstLine, file.name, (fields) => (header = header.length ? header : fields));
    } catch (error) {
      return showError('data-error', describeJobError(error));
    }
    replay = (sink) => tokenizeCsv(text, file.name, sink);
    described = `${bytes.length.toLocaleString('en')} bytes`;
  }
  header = header.map((s) => s.replace(/^\uFEFF/, '').trim());
  state.source = { name: file.name, bundled: false, csv: bytes, replay };
  state.card = undefined;
  $('card-section').hidden = $('settings-section').hidden = true;
  $('data-status').textContent = `Read ${file.name} (${described}) in this browser; it is not uploaded anywhere. Now say which column is the outcome.`;
  for (const id of ['label-column', 'time-column', 'event-column']) {
    const select = $<HTMLSelectElement>(id);
    select.replaceChildren(...header.map((name) => h('option', { value: name }, name)));
  }
  const guess = (pattern: RegExp) => header.find((n) => pattern.test(n));
  $<HTMLSelectElement>('label-column').value = guess(/outcome|label|death|died|class|target|y$/i) ?? header[header.length - 1];
  $<HTMLSelectElement>('time-column').value = guess(/time|days|months|years|futime/i) ?? header[0];
  $<HTMLSelectElement>('event-column').value = guess(/event|status|dead|death/i) ?? header[header.length - 1];
  $('outcome-fieldset').hidden = false;
  updateOutcomeKind();
}

const taskRadios = document.querySelectorAll<HTMLInputElement>('input[name="task"]');
const updateOutcomeKind = () => {
  const survival = $<HTMLInputElement>('task-survival').checked;
  $('classification-fields').hidden = survival;
  $('survival-fields').hidden = !survival;
};
taskRadios.forEach((r) => r.addEventListener('change', updateOutcomeKind));

$('draft-card').addEventListener('click', () => {
  const source = state.source;
  if (!source?.replay) return;
  clearError('data-error');
  const survival = $<HTMLInputElement>('task-survival').checked;
  const positive = $<HTMLInputElement>('positive-value').value.trim();
  try {
    const draft = inferCardFromRecords(source.replay, {
      name: source.name.replace(/\.[^.]*$/, ''),
      source: source.name,
      ...(survival
        ? { time: $<HTMLSelectElement>('time-column').value, event: $<HTMLSelectElement>('event-column').value }
        : { label: $<HTMLSelectElement>('label-column').value, ...(positive ? { positive } : {}) }),
    });
    setCard(draft.card);
    $('data-status').textContent = `Drafted a card from ${source.name}: ${draft.notes.join('; ')}.`;
  } catch (error) {
    showError('data-error', describeJobError(error));
  }
});

// ---- 2. Card ---------------------------------------------------------------------------------
function setCard(card: DatasetCard): void {
  state.card = card;
  renderCardEditor($('card-editor'), card, (edited) => (state.card = edited));
  $('card-section').hidden = false;
  renderSettings(card);
  $('settings-section').hidden = false;
  $('card-heading').focus();
}

// ---- 3. Settings -----------------------------------------------------------------------------
/** The engine's default choice of a learner, with its parameters, if the learner is a default. */
function defaultChoice(task: DatasetCard['task'], name: string): LearnerChoice | undefined {
  return DEFAULT_LEARNERS[task].find((choice) => learnerChoiceName(choice) === name);
}

function renderSettings(card: DatasetCard): void {
  const specs = learnerSpecs(card.task);
  $('learners').replaceChildren(
    h('legend', {}, 'Learner(s) to condense for'),
    ...specs.map((s) => {
      const preset = defaultChoice(card.task, s.name);
      // A default with its own parameters (the small forest in the loss) says so beside its name.
      const note = preset !== undefined && typeof preset !== 'string' ? ` (in the loss as ${formatLearnerChoice(preset)})` : '';
      return h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'learner', value: s.name, checked: preset !== undefined }), ` ${s.name} — ${s.description}${note}`);
    }),
  );
  $<HTMLInputElement>('rows').value = card.task === 'classification' ? '20' : '50';
  const bundled = Boolean(state.source?.bundled);
  $('holdout-fields').hidden = bundled;
  $('bundled-split-note').hidden = !bundled;
  explainSettings();
}

function explainSettings(): void {
  const eps = Number($<HTMLInputElement>('epsilon').value);
  const delta = Number($<HTMLInputElement>('delta').value);
  const rows = Number($<HTMLInputElement>('rows').value);
  const seeded = $<HTMLInputElement>('seed').value.trim() !== '';
  const lines = [
    `You will get ${rows} synthetic rows.`,
    Number.isFinite(eps) && eps > 0
      ? `ε = ${eps}: for any one patient, anything concluded from the synthetic table is at most e^${eps} ≈ ${formatNumber(Math.exp(eps))} times more (or less) likely than had their record been left out. Smaller ε means stronger privacy and noisier results; 1 to 8 is the usual range.`
      : 'ε must be a positive number.',
    delta > 0 && delta < 1 ? `δ = ${delta}: the small probability that this bound does not hold; keep it well below 1 / (number of patients).` : 'δ must be between 0 and 1.',
    seeded ? 'A seed makes the run reproducible — and therefore NOT a private release (the receipt will say so). Use it for testing only.' : 'No seed: the noise comes from the browser’s cryptographically secure generator, so the result is a private release.',
  ];
  $('settings-explanation').replaceChildren(...lines.map((l) => h('p', {}, l)));
}
for (const id of ['epsilon', 'delta', 'rows', 'seed']) $(id).addEventListener('input', explainSettings);

// Parallel fits need SharedArrayBuffer, which browsers give only to a cross-origin isolated page.
const poolSize = defaultPoolSize();
const workersSelect = $<HTMLSelectElement>('workers');
if (crossOriginIsolated && poolSize > 1) {
  workersSelect.append(
    h('option', { value: 'auto' }, `automatic (up to ${poolSize})`),
    h('option', { value: '1' }, '1 (no pool)'),
    ...Array.from({ length: poolSize - 1 }, (_, i) => h('option', { value: String(i + 2) }, String(i + 2))),
  );
  $('workers-help').textContent = `Automatic: the fits of a step are shared among up to ${poolSize} Web Workers (one per processor, at most ${MAX_POOL_WORKERS}) when a timed step shows that pays, as for expensive learners such as forests and boosting. A number forces that many. The results are identical either way.`;
} else {
  workersSelect.append(h('option', { value: '1' }, '1 (no pool)'));
  workersSelect.disabled = true;
  $('workers-help').textContent = crossOriginIsolated
    ? 'This browser reports one processor: every fit runs in one Web Worker.'
    : 'Parallel fits are off: this page is not cross-origin isolated (it was opened from a file, or its server does not send the COOP/COEP headers), so it cannot share memory with Web Workers. Every fit runs in one Web Worker; the results are the same, only slower for expensive learners.';
}

// ---- Run -------------------------------------------------------------------------------------
const runButton = $<HTMLButtonElement>('run');
const cancelButton = $<HTMLButtonElement>('cancel');
const progressBar = $<HTMLProgressElement>('progress');
const progressText = $('progress-text');
let trace: { step: number; loss: number; smoothed: number; epsilon: number }[] = [];
let lastChartDraw = 0;

function optionalNumber(id: string): number | undefined {
  const text = $<HTMLInputElement>(id).value.trim();
  return text === '' ? undefined : Number(text);
}

runButton.addEventListener('click', () => {
  const { source, card } = state;
  if (!source || !card) return;
  clearError('run-error');
  const checked = [...document.querySelectorAll<HTMLInputElement>('input[name="learner"]:checked')].map((c) => c.value);
  // A checked default is condensed for as the engine's default (the forest in the loss keeps its 4 trees).
  const learners = checked.map((name) => defaultChoice(card.task, name) ?? name);
  const holdoutPercent = Number($<HTMLInputElement>('holdout').value);
  if (!source.bundled && !(holdoutPercent >= 0 && holdoutPercent < 100)) {
    return showError('run-error', { kind: 'settings', message: 'The share of rows held out for evaluation must be a percentage from 0 to 99.' });
  }
  const seed = optionalNumber('seed');
  const request: CondenseJobRequest = {
    dataset: { card, csv: source.csv, split: source.split, sources: { csv: source.name, card: 'the card above' } },
    options: {
      rows: Number($<HTMLInputElement>('rows').value),
      epsilon: $<HTMLInputElement>('epsilon').value.trim() === 'inf' ? Infinity : Number($<HTMLInputElement>('epsilon').value),
      delta: Number($<HTMLInputElement>('delta').value),
      learners,
      seed,
      steps: optionalNumber('steps'),
      directions: optionalNumber('directions'),
      // A card drafted from the uploaded file is reviewed in the editor above but its levels still
      // came from the data: the run goes ahead and its receipt says it is not a private release.
      acceptDraftCard: Boolean(card.draft),
    },
    // A bundled dataset is public, so its receipt may carry a plain hash; an uploaded file gets none.
    fingerprint: source.bundled ? { public: true } : undefined,
    // An upload has no test split: hold real rows out (as `condense --holdout`, seeded only when
    // the run is). A bundled dataset keeps its fixed split.
    holdout: !source.bundled && holdoutPercent > 0 ? { fraction: holdoutPercent / 100, seed } : undefined,
    evaluation: { learners: checked.length ? checked : [card.task === 'classification' ? 'cart' : 'cox'], seed: 1 },
    report: true,
    parallel: workersSelect.value === 'auto' ? 'auto' : Number(workersSelect.value),
  };
  trace = [];
  latestProgress = undefined;
  state.result = undefined;
  $('results').hidden = true;
  $('run-section').hidden = false;
  $('run-chart').replaceChildren();
  progressBar.value = 0;
  progressBar.removeAttribute('value');
  progressText.textContent = 'Reading the data…';
  $('fits-status').textContent = '';
  $('run-status').textContent = 'Running';
  runButton.disabled = true;
  cancelButton.disabled = false;
  runner.start(request, { onEvent });
});

cancelButton.addEventListener('click', () => {
  cancelButton.disabled = true;
  progressText.textContent = 'Cancelling…';
  runner.cancel();
});

$('show-raw-loss').addEventListener('change', () => drawChart(true));

function onEvent(event: JobEvent): void {
  switch (event.type) {
    case 'loaded':
      progressText.textContent = `Condensing ${event.trainRows.toLocaleString('en')} training rows (${event.testRows.toLocaleString('en')} held out for evaluation)…`;
      break;
    case 'fits':
      $('fits-status').textContent = FITS_PLACEMENT[event.placement](event.workers);
      $('fits-status').dataset.workers = String(event.placement === 'pool' ? event.workers : 1);
      break;
    case 'progress': {
      const p = event.progress;
      trace.push({ step: p.step, loss: p.loss, smoothed: p.smoothedLoss, epsilon: p.epsilonSpent });
      // Steps can arrive faster than frames: redraw once per frame with the latest one.
      latestProgress = p;
      if (!progressFrame) progressFrame = requestAnimationFrame(renderProgress);
      break;
    }
    case 'evaluating':
      progressText.textContent = `Scoring on held-out rows: ${event.learner} (${event.done + 1} of ${event.total})…`;
      break;
    case 'reporting':
      progressText.textContent = 'Writing the report…';
      break;
    case 'done':
      finishRun('Done');
      progressText.textContent = 'Done: the synthetic table, its receipt and the report are ready below.';
      state.result = event.result;
      showResults(event.result);
      break;
    case 'aborted':
      finishRun('Cancelled');
      progressText.textContent = 'Cancelled: nothing was released.';
      break;
    case 'error':
      finishRun('Failed');
      progressText.textContent = 'The run stopped with an error (see below).';
      showError('run-error', event.error);
      break;
  }
}

const FITS_PLACEMENT: Record<FitsPlacement, (workers: number) => string> = {
  pool: (n) => `The fits of each step run in parallel on ${n} Web Workers (sharing the batch in memory).`,
  timing: (n) => `The fits run in one Web Worker until a timed step shows whether sharing them among ${n} pays.`,
  'inline-cheaper': () => 'The fits run in one Web Worker: a timed step showed they cost less than sharing them out.',
  'inline-chosen': () => 'The fits run in one Web Worker, as chosen in the settings.',
  'not-isolated': () => 'The fits run in one Web Worker: this page is not cross-origin isolated, so parallel fits are off (see the settings).',
};

let latestProgress: CondenseProgress | undefined;
let progressFrame = 0;

function renderProgress(): void {
  progressFrame = 0;
  const p = latestProgress;
  if (!p || !runner.running) return;
  progressBar.max = p.steps;
  progressBar.value = p.step;
  progressText.textContent = `Step ${p.step} of ${p.steps} · about ${Math.ceil(p.etaMs / 1000)} s left · private loss ${formatNumber(p.smoothedLoss)} · ε spent ${formatNumber(p.epsilonSpent)}`;
  drawChart(p.step === p.steps);
}

function finishRun(status: string): void {
  cancelAnimationFrame(progressFrame);
  progressFrame = 0;
  if (latestProgress) {
    progressBar.max = latestProgress.steps;
    progressBar.value = latestProgress.step;
    drawChart(true);
  }
  latestProgress = undefined;
  $('run-status').textContent = status;
  runButton.disabled = false;
  cancelButton.disabled = true;
}

function drawChart(force: boolean): void {
  const now = performance.now();
  if (!force && now - lastChartDraw < 250) return;
  lastChartDraw = now;
  const showRaw = $<HTMLInputElement>('show-raw-loss').checked;
  const steps = trace.map((t) => t.step);
  $('run-chart').replaceChildren(
    lineChart({
      title: 'Private loss during the run',
      xLabel: 'step',
      yLabel: 'loss (DP)',
      series: [
        { label: 'private loss, moving average', xs: steps, ys: trace.map((t) => t.smoothed), style: 0 },
        ...(showRaw ? [{ label: 'private loss per step', xs: steps, ys: trace.map((t) => t.loss), style: 2 as const }] : []),
      ],
    }),
    lineChart({
      title: 'Privacy budget spent (ε)',
      xLabel: 'step',
      yLabel: 'ε',
      series: [{ label: 'ε spent (all steps are charged before the first one)', xs: steps, ys: trace.map((t) => t.epsilon), style: 1 }],
      yRange: [0, Math.max(1e-9, ...trace.map((t) => t.epsilon)) * 1.1],
    }),
  );
}

// ---- 4. Results and downloads ----------------------------------------------------------------
function showResults(result: CondenseJobResult): void {
  const container = $('results-body');
  renderResults(container, result);
  $('results').hidden = false;
  $('results-heading').focus();
}

const baseName = () => (state.source?.name ?? 'data').replace(/\.[^.]*$/, '');
$('download-csv').addEventListener('click', () => state.result && downloadText(`${baseName()}-synthetic.csv`, state.result.syntheticCsv, 'text/csv'));
$('download-receipt').addEventListener('click', () => state.result && downloadText(`${baseName()}-synthetic.receipt.json`, state.result.receiptJson, 'application/json'));
$('download-report').addEventListener('click', () => state.result?.reportHtml && downloadText(`${baseName()}-report.html`, state.result.reportHtml, 'text/html'));

// ---- Errors ----------------------------------------------------------------------------------
function showError(id: string, error: JobError): void {
  const box = $(id);
  const where = [error.file && `file ${error.file}`, error.row !== undefined && `row ${error.row}`, error.column !== undefined && `column “${error.column}”`].filter(Boolean);
  box.replaceChildren(
    h('strong', {}, error.kind === 'internal' ? 'Something went wrong: ' : 'Please fix the input: '),
    error.message,
    ...(where.length ? [h('span', { class: 'error-where', 'data-row': error.row, 'data-column': error.column }, ` (${where.join(', ')})`)] : []),
  );
  box.hidden = false;
  box.focus();
}

function clearError(id: string): void {
  $(id).hidden = true;
  $(id).replaceChildren();
}

// An unexpected exception must never leave a blank page: show it where the user is looking.
window.addEventListener('error', (e) => showError('run-error', { kind: 'internal', message: e.message }));
window.addEventListener('unhandledrejection', (e) => showError('run-error', describeJobError(e.reason)));
